// Browser tests of parlog's web interface: start `parlog serve --demo` on a free port with a
// fresh data folder, drive Debian's Chromium headless through playwright-core, and check what a
// makelaar, a researcher and a viewer do with the page. Prints "N passed, M failed"; exits 1 if
// any test failed, saving a screenshot of the failing page to tests/browser/failures/.
//
//   node run.mjs                      run every test
//   node run.mjs offline live         run the tests whose names contain one of these words
//   PARLOG_BIN=target/release/parlog  the binary to test (default target/debug/parlog)
//   PARLOG_SCREENSHOTS=DIR            also save screenshots of every view at phone and laptop size
//   CHROMIUM=/path/to/chromium        the browser (default /usr/bin/chromium)

import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const BIN = path.resolve(ROOT, process.env.PARLOG_BIN || 'target/debug/parlog');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FAILURES = path.join(HERE, 'failures');
const SHOTS = process.env.PARLOG_SCREENSHOTS ? path.resolve(process.env.PARLOG_SCREENSHOTS) : null;
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const SMALL_PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const LAPTOP = { viewport: { width: 1280, height: 860 } };
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const TEST_TIMEOUT_MS = 120_000;
const WAIT_MS = 15_000;

// ---- the server ------------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startServer() {
  if (!fs.existsSync(BIN)) throw new Error(`no parlog binary at ${BIN}: run \`cargo build --bin parlog\` or set PARLOG_BIN`);
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'parlog-browser-'));
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const proc = spawn(BIN, ['--data', data, 'serve', '--demo', '--addr', addr], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PARLOG_LOG: process.env.PARLOG_LOG || 'warn' },
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (b) => { out += b; });
  proc.stderr.on('data', (b) => { err += b; });
  const tokens = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server printed no sign-in links within 60 s\nstdout:\n${out}\nstderr:\n${err}`)), 60_000);
    const check = () => {
      const found = {};
      for (const m of out.matchAll(/^\s*(\w+)\s+http:\/\/\S+\/#token=(\S+)$/gm)) found[m[1]] = m[2];
      if (['makelaar', 'researcher', 'viewer', 'admin'].every((r) => found[r])) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    proc.stdout.on('data', check);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the server exited with ${code}\nstdout:\n${out}\nstderr:\n${err}`)); });
  });
  return serving(proc, addr, tokens, data, () => `stdout:\n${out}\nstderr:\n${err}`);
}

// Waits until the server answers, and gives the handle the tests use.
async function serving(proc, addr, tokens, data, log) {
  const base = `http://${addr}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch (_) { /* not listening yet */ }
    if (i > 100) throw new Error(`the server does not answer /healthz\n${log()}`);
    await sleep(100);
  }
  return {
    base, tokens, data, proc, log,
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', resolve);
      proc.kill('SIGTERM');
      setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
    }),
  };
}

function parlog(data, ...args) {
  const r = spawnSync(BIN, ['--data', data, ...args], { encoding: 'utf8', env: { ...process.env, PARLOG_LOG: 'warn' } });
  if (r.status !== 0) throw new Error(`parlog ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// A server of another study than the demo: its events loaded from a demo-style file, and a
// token for each {role: participant}.
async function startStudyServer(events, participants) {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'parlog-browser-study-'));
  const file = path.join(data, 'study.json');
  fs.writeFileSync(file, JSON.stringify(events));
  const folder = path.join(data, 'log');
  parlog(folder, 'demo', '--file', file);
  const tokens = {};
  for (const [role, participant] of Object.entries(participants)) {
    tokens[role] = /^plg_\S+/m.exec(parlog(folder, 'token', 'create', '--participant', participant, '--role', role))[0];
  }
  const addr = `127.0.0.1:${await freePort()}`;
  const proc = spawn(BIN, ['--data', folder, 'serve', '--addr', addr], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PARLOG_LOG: 'warn' } });
  let err = '';
  proc.stderr.on('data', (b) => { err += b; });
  proc.stdout.resume();
  return serving(proc, addr, tokens, data, () => `stderr:\n${err}`);
}

// ---- helpers ---------------------------------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(fn, message, timeout = WAIT_MS) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${message} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(150);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

async function api(server, role, method, p, body) {
  const res = await fetch(server.base + p, {
    method,
    headers: { Authorization: `Bearer ${server.tokens[role]}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
  if (!res.ok) throw new Error(`${method} ${p}: HTTP ${res.status}: ${text}`);
  return json ?? text;
}

// Every event of the log, read page by page as `role`.
async function allEvents(server, role) {
  const out = [];
  let from = 1;
  for (;;) {
    const page = await api(server, role, 'GET', `/api/v1/events?from=${from}&limit=1000`);
    out.push(...page.events);
    if (!page.next) return out;
    from = page.next;
  }
}

const withText = (events, text) => events.filter((e) => e.sealed && e.sealed.data && e.sealed.data.text === text);

async function signIn(page, server, role) {
  await page.goto(`${server.base}/#token=${server.tokens[role]}`);
  await page.locator('#tabs').waitFor({ state: 'visible', timeout: WAIT_MS });
  await waitUntil(async () => (await page.locator('#who').textContent()).trim().length > 0, 'the name of who signed in');
  const url = page.url();
  assert(!url.includes('token='), `the token is wiped from the address bar, got ${url}`);
  const kept = await page.evaluate(() => ({ session: sessionStorage.getItem('parlog.token'), local: JSON.stringify(localStorage) }));
  assert(kept.session === server.tokens[role], 'the token is kept in sessionStorage');
  assert(!kept.local.includes(server.tokens[role]), 'the token is not kept in localStorage');
}

async function go(page, view) {
  await page.evaluate((v) => { location.hash = `#/${v}`; }, view);
  await page.locator(`#view-${view}`).waitFor({ state: 'visible' });
}

async function waitViewLoaded(page, view) {
  await waitUntil(async () => {
    const busy = await page.locator(`#view-${view}`).getAttribute('aria-busy');
    const body = await page.locator(`#view-${view} [data-body]`).count();
    return busy === null && body > 0 && (await page.locator(`#view-${view} [data-body] > *`).count()) > 0;
  }, `the ${view} view to load`);
}

async function initiativeNotes(page, id) {
  return Number(await page.locator(`#view-initiatives li[data-id="${id}"] .notes-count`).textContent());
}

async function areaNotes(page, area) {
  return Number(await page.locator(`#view-activity tr[data-area="${area}"] .notes-count`).textContent());
}

async function waitForNotesCatalog(page) {
  await waitUntil(async () => (await page.locator('#note-area option').count()) > 5 && (await page.locator('#note-initiative option').count()) > 5, 'the area and initiative lists of the note form');
}

async function fillNote(page, { text, area, initiative, health = [], people }) {
  await page.locator('#note-text').fill(text);
  if (area) await page.locator('#note-area').selectOption(area);
  if (initiative) await page.locator('#note-initiative').selectOption(initiative);
  for (const d of health) await page.locator(`#note-health-list input[value="${d}"]`).check();
  if (people) await page.locator('#note-people').fill(people);
}

async function toastText(page) {
  return (await page.locator('#toast').textContent()) || '';
}

// ---- the tests -------------------------------------------------------------------------------

const TESTS = [];
const test = (name, options, fn) => TESTS.push({ name, options, fn });

test('field note on a phone shows in the initiative and activity views', PHONE, async ({ page, server }) => {
  await signIn(page, server, 'makelaar');
  const tabs = await page.locator('#tab-list a').allTextContents();
  assert(tabs.includes('Notitie') && !tabs.includes('Reflectie'), `a makelaar gets the note form, not the researchers' forms: ${tabs}`);
  await go(page, 'initiatives');
  await waitViewLoaded(page, 'initiatives');
  const before = await initiativeNotes(page, 'initiative:taalmaatjes-noord');
  await go(page, 'activity');
  await waitViewLoaded(page, 'activity');
  const areaBefore = await areaNotes(page, 'area:noord');

  await go(page, 'note');
  await waitForNotesCatalog(page);
  const drift = await page.evaluate(() => Math.abs(new Date(document.querySelector('#note-when').value).getTime() - Date.now()));
  assert(drift < 5 * 60_000, `the date and time default to now, ${drift} ms off`);
  const text = `Browsertest: koffie met de taalmaatjes in Noord ${randomUUID()}`;
  await fillNote(page, { text, area: 'area:noord', initiative: 'initiative:taalmaatjes-noord', health: ['participation', 'meaningfulness'], people: 'r-017, Jan' });
  await page.locator('#note-form button[type=submit]').click();
  await waitUntil(async () => (await page.locator('#note-form .error').textContent()).includes('lijkt een naam'), 'a warning that people are named by code, not by name');
  assert((await page.locator('#note-people').getAttribute('aria-invalid')) === 'true', 'the people field is marked');
  assert(await page.locator('#outbox-button').isHidden(), 'nothing was queued');
  await page.locator('#note-people').fill('r-017, r-023');
  await page.locator('#note-form button[type=submit]').click();
  await waitUntil(async () => (await toastText(page)).includes('Notitie opgeslagen'), 'the note to be saved');
  assert(await page.locator('#outbox-button').isHidden(), 'nothing waits in the outbox');
  await waitUntil(async () => (await page.locator('#recent-notes').textContent()).includes(text), 'the note in the list of latest notes');
  assert((await page.locator('#note-text').inputValue()) === '', 'the form is emptied for the next note');

  await go(page, 'initiatives');
  await waitUntil(async () => (await initiativeNotes(page, 'initiative:taalmaatjes-noord')) === before + 1, `the initiative's note count to go from ${before} to ${before + 1}`);
  await go(page, 'activity');
  await waitUntil(async () => (await areaNotes(page, 'area:noord')) === areaBefore + 1, `the area's note count to go from ${areaBefore} to ${areaBefore + 1}`);

  const stored = withText(await allEvents(server, 'makelaar'), text);
  assert(stored.length === 1, `the note is stored once, found ${stored.length}`);
  const e = stored[0];
  assert(e.kind === 'ObservationRecorded' && e.author === 'makelaar-noord-a' && e.stream === 'notes:makelaar-noord-a', `kind, author and stream: ${JSON.stringify(e)}`);
  assert(e.payload.area === 'area:noord' && e.payload.initiative === 'initiative:taalmaatjes-noord', `area and initiative: ${JSON.stringify(e.payload)}`);
  assert(JSON.stringify(e.payload.health.slice().sort()) === JSON.stringify(['meaningfulness', 'participation']), `health: ${e.payload.health}`);
  assert(JSON.stringify(e.sealed.subjects) === JSON.stringify(['resident:r-017', 'resident:r-023']), `data subjects: ${e.sealed.subjects}`);
  await shot(page, 'test-phone-activity');
});

test('offline note is queued, sent once when back online', PHONE, async ({ page, context, server }) => {
  await signIn(page, server, 'makelaar');
  await waitForNotesCatalog(page);
  await page.evaluate(() => navigator.serviceWorker && navigator.serviceWorker.ready);
  await waitUntil(() => page.evaluate(() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)), 'the service worker to control the page');

  await context.setOffline(true);
  await waitUntil(async () => (await page.locator('#net').textContent()) === 'Offline', 'the page to show it is offline');
  const text = `Browsertest offline: gesprek bij de buurtkamer ${randomUUID()}`;
  await fillNote(page, { text, area: 'area:noord', health: ['daily_functioning'] });
  await page.locator('#note-form button[type=submit]').click();
  await waitUntil(async () => (await toastText(page)).includes('Bewaard op dit toestel'), 'the note to be kept on the device');
  assert((await page.locator('#outbox-count').textContent()) === '1', 'the outbox counts one note');
  assert((await page.locator('#outbox-list').textContent()).includes(text.slice(0, 40)), 'the outbox lists the note');
  const queued = await page.evaluate(() => JSON.parse(localStorage.getItem('parlog.outbox.v1')));
  assert(queued.length === 1 && queued[0].event.sealed.text === text, 'the outbox in localStorage holds the note');
  const id = queued[0].event.id;
  assert(/^[0-9a-f-]{36}$/.test(id), `the note has its own event id, got ${id}`);

  // A phone browser may drop the tab while offline: the page opens again from the service
  // worker's cache, with the outbox intact.
  await page.reload();
  await page.locator('#view-note').waitFor({ state: 'visible', timeout: WAIT_MS });
  assert((await page.locator('#outbox-count').textContent()) === '1', 'after an offline reload the outbox still counts one note');

  await context.setOffline(false);
  await waitUntil(async () => page.locator('#outbox-button').isHidden(), 'the outbox to be sent and emptied', 30_000);
  const events = await allEvents(server, 'makelaar');
  const stored = withText(events, text);
  assert(stored.length === 1, `the note is stored exactly once, found ${stored.length}`);
  assert(stored[0].id === id, `the note keeps the id it got on the phone: ${stored[0].id} vs ${id}`);
  assert(events.filter((e) => e.id === id).length === 1, 'one event with that id');

  // A retry after a lost answer sends the same event again: the server keeps the first one.
  const again = await api(server, 'makelaar', 'POST', '/api/v1/events', [queued[0].event]);
  assert(again.appended[0].duplicate === true && again.appended[0].position === stored[0].position, `a repeat is a duplicate: ${JSON.stringify(again)}`);
  assert(withText(await allEvents(server, 'makelaar'), text).length === 1, 'still stored once after a repeat');
});

test('retrospective in the page, downloaded as Markdown and HTML', LAPTOP, async ({ page, server }) => {
  await signIn(page, server, 'viewer');
  const tabs = await page.locator('#tab-list a').allTextContents();
  assert(!tabs.includes('Notitie') && tabs.includes('Terugblik'), `a viewer reads, and writes nothing: ${tabs}`);
  await go(page, 'retro');
  const title = page.locator('#retro-doc h1');
  await title.waitFor({ timeout: 30_000 });
  assert((await title.textContent()).includes('Makelen tussen team en wijk'), 'the retrospective is shown in the page');
  assert((await page.locator('#retro-doc svg').count()) > 0, 'the retrospective has its charts');

  const [md] = await Promise.all([page.waitForEvent('download'), page.locator('#retro-download-md').click()]);
  assert(md.suggestedFilename().endsWith('.md'), `a Markdown file: ${md.suggestedFilename()}`);
  const mdText = fs.readFileSync(await md.path(), 'utf8');
  assert(mdText.startsWith('# Makelen tussen team en wijk'), `Markdown content: ${mdText.slice(0, 80)}`);

  const [html] = await Promise.all([page.waitForEvent('download'), page.locator('#retro-download-html').click()]);
  assert(html.suggestedFilename().endsWith('.html'), `an HTML file: ${html.suggestedFilename()}`);
  const htmlText = fs.readFileSync(await html.path(), 'utf8');
  assert(htmlText.startsWith('<!DOCTYPE html>') && htmlText.includes('Makelen tussen team en wijk'), 'HTML content');

  // Sign out, then sign in again by pasting the code.
  await page.locator('#signout').click();
  await page.locator('#signin').waitFor({ state: 'visible' });
  assert(await page.evaluate(() => sessionStorage.getItem('parlog.token') === null), 'signing out forgets the token');
  assert(await page.locator('#tabs').isHidden(), 'no sections when signed out');
  await page.locator('#token-input').fill('plg_not_a_real_token');
  await page.locator('#signin-form button[type=submit]').click();
  await waitUntil(async () => (await page.locator('#signin-error').textContent()).includes('werkt niet'), 'a message that the code does not work');
  await page.locator('#token-input').fill(server.tokens.viewer);
  await page.locator('#signin-form button[type=submit]').click();
  await page.locator('#tabs').waitFor({ state: 'visible' });
});

// Dutch texts of the interface that differ in English, still visible after switching to English.
async function untranslated(page) {
  return page.evaluate(() => {
    const nl = window.parlog.words('nl');
    const en = window.parlog.words('en');
    const dutch = new Set(Object.keys(nl).filter((k) => nl[k] !== en[k] && !nl[k].includes('{')).map((k) => nl[k].trim()));
    const found = [];
    for (const el of document.querySelectorAll('body *')) {
      if (el.closest('[hidden]') || (el.offsetParent === null && el.tagName !== 'OPTION')) continue;
      for (const n of el.childNodes) {
        if (n.nodeType !== 3) continue;
        const text = n.textContent.trim().replace(/:$/, '');
        if (text && dutch.has(text)) found.push(text);
      }
      for (const attr of ['placeholder', 'aria-label', 'title']) {
        const v = el.getAttribute(attr);
        if (v && dutch.has(v.trim())) found.push(`${attr}=${v}`);
      }
    }
    return found;
  });
}

test('English: every label of every section is translated', PHONE, async ({ page, server }) => {
  await signIn(page, server, 'researcher');
  await page.locator('.lang button[data-lang="en"]').click();
  await waitUntil(async () => (await page.locator('#tab-list a[data-view="retro"]').textContent()) === 'Retrospective', 'the tabs in English');
  assert(await page.evaluate(() => document.documentElement.lang === 'en'), 'the page says it is in English');
  for (const view of ['note', 'reflection', 'method', 'rolechange', 'initiatives', 'activity', 'cycles', 'role', 'signals', 'lessons', 'network', 'warnings', 'retro']) {
    await go(page, view);
    if (await page.locator(`#view-${view}.projection`).count()) await waitViewLoaded(page, view);
    if (view === 'retro') await page.locator('#retro-doc h1').waitFor({ timeout: 30_000 });
    if (view === 'reflection') await page.locator('#refl-participants-box > summary').click();
    let left = [];
    await waitUntil(async () => (left = await untranslated(page)).length === 0, `no Dutch interface text in the ${view} section in English`, 5000)
      .catch(() => { throw new Error(`the ${view} section shows Dutch interface text in English: ${left.join(' | ')}`); });
  }
  await go(page, 'initiatives');
  await waitViewLoaded(page, 'initiatives');
  assert((await page.locator('#view-initiatives h1').textContent()) === 'Initiatives', 'the view title in English');
  assert(/handed over|stopped|active/.test(await page.locator('#view-initiatives .status').first().textContent()), 'labels from the server in English');
  const retroTitle = await page.locator('#retro-doc h2').first().textContent();
  assert(!/onderzoek/i.test(retroTitle), `the retrospective in English: ${retroTitle}`);
  // Back to Dutch, as it stays for the next visit otherwise.
  await page.locator('.lang button[data-lang="nl"]').click();
  assert((await page.locator('#tab-list a[data-view="retro"]').textContent()) === 'Terugblik', 'back in Dutch');
});

test('live: a note appended elsewhere appears without a reload', LAPTOP, async ({ page, context, server }) => {
  await signIn(page, server, 'makelaar');
  await waitUntil(async () => (await page.locator('#net').textContent()) === 'Live', 'the live feed to connect');
  await page.evaluate(() => { window.__sameDocument = true; });
  await waitUntil(async () => (await page.locator('#recent-notes li.note').count()) > 0, 'the latest notes');

  const text = `Browsertest live: ${randomUUID()}`;
  await api(server, 'makelaar', 'POST', '/api/v1/events', [{
    id: randomUUID(), stream: 'notes:makelaar-noord-a', kind: 'ObservationRecorded', occurred_at: new Date().toISOString(),
    payload: { area: 'area:noord', initiative: 'initiative:taalmaatjes-noord', topic: 'live' }, sealed: { text },
  }]);
  await waitUntil(async () => (await page.locator('#recent-notes li.note').first().textContent()).includes(text), 'the new note at the top of the latest notes');

  // Cut off: what is appended meanwhile arrives after reconnecting (Last-Event-ID), not skipped.
  await context.setOffline(true);
  await waitUntil(async () => (await page.locator('#net').textContent()) === 'Offline', 'the page to see it is offline');
  const missed = `${text} (gemist)`;
  await api(server, 'makelaar', 'POST', '/api/v1/events', [{
    stream: 'notes:makelaar-noord-a', kind: 'ObservationRecorded', occurred_at: new Date().toISOString(), payload: { area: 'area:west' }, sealed: { text: missed },
  }]);
  await context.setOffline(false);
  await waitUntil(async () => (await page.locator('#net').textContent()) === 'Live', 'the feed to reconnect');
  await waitUntil(async () => (await page.locator('#recent-notes li.note').first().textContent()).includes(missed), 'the note appended while cut off');
  assert((await page.locator('#recent-notes li.note', { hasText: text }).count()) === 2, 'no note shown twice after reconnecting');

  await go(page, 'initiatives');
  await waitViewLoaded(page, 'initiatives');
  const before = await initiativeNotes(page, 'initiative:taalmaatjes-noord');
  await api(server, 'makelaar', 'POST', '/api/v1/events', [{
    stream: 'notes:makelaar-noord-a', kind: 'ObservationRecorded', occurred_at: new Date().toISOString(),
    payload: { area: 'area:noord', initiative: 'initiative:taalmaatjes-noord' }, sealed: { text: `${text} (2)` },
  }]);
  await waitUntil(async () => (await initiativeNotes(page, 'initiative:taalmaatjes-noord')) === before + 1, 'the open initiative view to count the new note');
  assert(await page.evaluate(() => window.__sameDocument === true), 'the page was not reloaded');
});

test('researcher records a reflection, a method change and a role change', LAPTOP, async ({ page, server }) => {
  await signIn(page, server, 'researcher');
  const tabs = await page.locator('#tab-list a').allTextContents();
  assert(['Notitie', 'Reflectie', 'Werkwijze', 'Functiewijziging'].every((x) => tabs.includes(x)), `a researcher gets every form: ${tabs}`);

  await go(page, 'reflection');
  await waitUntil(async () => (await page.locator('#refl-cycle option').count()) > 5, 'the cycles');
  await page.locator('#refl-cycle').selectOption('cycle:wijk-noord-4');
  await page.locator('#refl-summary').fill('Groepsreflectie in Noord over wie de taalmaatjes draagt.');
  await page.locator('#refl-participants-box > summary').click();
  await page.locator('#refl-participants-filter').fill('makelaar noord');
  await page.locator('#refl-participants label:visible').first().click();
  const first = page.locator('#refl-insights > li').first();
  await first.locator('.ins-kind').selectOption('added_value');
  await first.locator('.ins-stake').selectOption('residents');
  await first.locator('.ins-text').fill('Bewoners zien elkaars kracht als de makelaar op de achtergrond blijft.');
  await page.locator('#refl-add-insight').click();
  const second = page.locator('#refl-insights > li').nth(1);
  await second.locator('.ins-kind').selectOption('pitfall');
  await second.locator('.ins-text').fill('Vrijwilligers die het voor de makelaar doen, haken af als die loslaat.');
  await second.locator('.ins-theme').fill('loslaten');
  await page.locator('#refl-obs-box > summary').click();
  await page.locator('#refl-observations input[type=checkbox]').first().check();
  await page.locator('#refl-form button[type=submit]').click();
  await waitUntil(async () => (await toastText(page)).includes('Reflectie opgeslagen'), 'the reflection to be saved');
  const refl = (await api(server, 'researcher', 'GET', '/api/v1/streams/cycle:wijk-noord-4?limit=1000')).events.filter((e) => e.kind === 'ReflectionRecorded').pop();
  assert(refl.payload.summary.startsWith('Groepsreflectie in Noord'), `the reflection: ${JSON.stringify(refl.payload)}`);
  assert(refl.payload.insights.length === 2 && refl.payload.insights[0].stakeholder === 'residents' && refl.payload.insights[1].kind === 'pitfall', 'two insights');
  assert(refl.payload.participants.length === 1 && refl.payload.observations.length === 1, 'a participant and a cited observation');

  await go(page, 'method');
  await waitUntil(async () => (await page.locator('#method-role option').count()) > 0, 'the roles');
  await page.locator('#method-aspect').fill('signalenoverleg');
  await page.locator('#method-before').fill('Signalen kwamen los binnen.');
  await page.locator('#method-after').fill('Elke maand een vast signalenoverleg.');
  await page.locator('#method-rationale').fill('Zo worden terugkerende vragen eerder gebundeld.');
  await page.locator('#method-form button[type=submit]').click();
  await waitUntil(async () => (await toastText(page)).includes('werkwijze opgeslagen'), 'the method change to be saved');

  await go(page, 'rolechange');
  await waitUntil(async () => (await page.locator('#rolechange-role option').count()) > 0, 'the roles');
  await page.locator('#rolechange-form button[type=submit]').click();
  await waitUntil(async () => (await page.locator('#rolechange-form .error').textContent()).length > 0, 'a message that something must change');
  await page.locator('#rolechange-fte').fill('9');
  await page.locator('#rolechange-rationale').fill('Een extra makelaar voor de stad.');
  await page.locator('#rolechange-form button[type=submit]').click();
  await waitUntil(async () => (await toastText(page)).includes('functie opgeslagen'), 'the role change to be saved');
  const role = (await api(server, 'researcher', 'GET', '/api/v1/streams/role:sociaal-makelaar-gouda?limit=1000')).events;
  const kinds = role.slice(-2).map((e) => `${e.kind}:${e.author}`);
  assert(kinds.join() === 'MethodChanged:onderzoeker-tno,RoleChanged:onderzoeker-tno', `the role stream ends with both changes: ${kinds}`);
  assert(role[role.length - 1].payload.capacity_fte === 9, 'the new capacity');
});

test('every view loads at phone width with its pictures', SMALL_PHONE, async ({ page, server }) => {
  await signIn(page, server, 'researcher');
  for (const view of ['cycles', 'role', 'initiatives', 'signals', 'lessons', 'network', 'activity', 'warnings']) {
    await go(page, view);
    await waitViewLoaded(page, view);
    const err = await page.locator(`#view-${view} .status-line.error`).count();
    assert(err === 0, `the ${view} view loads without an error`);
    const text = await page.locator(`#view-${view}`).innerText();
    assert(!/\[object |undefined|NaN/.test(text), `the ${view} view shows no programming slips: ${(/.{0,40}(\[object |undefined|NaN).{0,40}/.exec(text) || [])[0]}`);
    if (['cycles', 'role', 'initiatives', 'signals'].includes(view)) {
      assert((await page.locator(`#view-${view} [data-chart-slot] svg`).count()) > 0, `the ${view} view has a picture`);
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert(overflow <= 1, `the ${view} view fits 360 px without sideways scrolling of the page (overflow ${overflow} px)`);
  }
  // As of a date: the past has fewer initiatives.
  await go(page, 'initiatives');
  await waitViewLoaded(page, 'initiatives');
  const now = await page.locator('#view-initiatives li.initiative').count();
  await page.locator('#asof-initiatives').fill('2015-06-30');
  await page.locator('#asof-initiatives').dispatchEvent('change');
  await waitUntil(async () => (await page.locator('#view-initiatives li.initiative').count()) < now, 'fewer initiatives as of mid 2015');
});

test('admin verifies the chain, and may not write', LAPTOP, async ({ page, server }) => {
  await signIn(page, server, 'admin');
  const tabs = await page.locator('#tab-list a').allTextContents();
  assert(tabs.includes('Beheer') && !tabs.includes('Notitie'), `an admin gets the admin section and no forms: ${tabs}`);
  await page.locator('#view-admin').waitFor({ state: 'visible' });
  await page.locator('#admin-verify').click();
  await waitUntil(async () => (await page.locator('#admin-result').textContent()).includes('in orde'), 'the chain to be verified');
  await page.evaluate(() => { location.hash = '#/note'; });
  await page.locator('#view-admin').waitFor({ state: 'visible' });
  assert(await page.locator('#view-note').isHidden(), 'the note form stays closed to an admin');
});

// Another study than the demo, with a log longer than one page: the forms' choices come from the
// server (vocabularies, limits, the directory's areas), not from copies in the page, and the page
// reads only the log's last page on start, not the whole log.
const STUDY = [
  { id: '@p-makelaar', stream: 'participant:makelaar-zuid-1', kind: 'ParticipantRegistered', occurred_at: '2021-01-04T09:00:00+01:00', author: 'onderzoeker-1', payload: { label: 'makelaar Zuid 1', role: 'makelaar' } },
  { id: '@p-onderzoeker', stream: 'participant:onderzoeker-1', kind: 'ParticipantRegistered', occurred_at: '2021-01-04T09:01:00+01:00', author: 'onderzoeker-1', payload: { label: 'onderzoeker 1', role: 'researcher' } },
  { id: '@zwolle', stream: 'area:zwolle', kind: 'AreaDefined', occurred_at: '2021-01-04T09:05:00+01:00', author: 'onderzoeker-1', payload: { name: 'Zwolle', kind: 'city' } },
  { id: '@zuid', stream: 'area:zwolle-zuid', kind: 'AreaDefined', occurred_at: '2021-01-04T09:06:00+01:00', author: 'onderzoeker-1', payload: { name: 'Zwolle-Zuid', kind: 'district', parent: 'area:zwolle' } },
  { id: '@study', stream: 'study:zwolle-zuid', kind: 'StudyStarted', occurred_at: '2021-01-05T10:00:00+01:00', author: 'onderzoeker-1', payload: { title: 'Makelen in Zuid', question: 'Wat levert de makelaar op?', municipality: 'Zwolle', levels: ['wijk'] } },
];

test('another study: choices from the server, and only the last page of a long log read on start', PHONE, async ({ page }) => {
  const server = await startStudyServer(STUDY, { makelaar: 'makelaar-zuid-1' });
  try {
    const limits = await api(server, 'makelaar', 'GET', '/api/v1/limits');
    const vocab = (await api(server, 'makelaar', 'GET', '/api/v1/vocabulary')).vocabularies;
    const notes = limits.page_events_max + 100;
    const stamp = Date.parse('2022-01-01T09:00:00+01:00');
    const note = (i) => ({ stream: 'notes:makelaar-zuid-1', kind: 'ObservationRecorded', occurred_at: new Date(stamp + i * 60_000).toISOString(), payload: { area: 'area:zwolle-zuid' }, sealed: { text: `Notitie ${i} in Zuid` } });
    for (let from = 0; from < notes; from += limits.batch_events_max) {
      await api(server, 'makelaar', 'POST', '/api/v1/events', Array.from({ length: Math.min(limits.batch_events_max, notes - from) }, (_, k) => note(from + k)));
    }
    const head = (await api(server, 'makelaar', 'GET', '/api/v1/events?limit=1')).head;
    assert(head > limits.page_events_max, `the log is longer than a page: ${head}`);

    const reads = [];
    page.on('request', (r) => { const u = new URL(r.url()); if (u.pathname === '/api/v1/events' && r.method() === 'GET') reads.push(u.searchParams); });
    await signIn(page, server, 'makelaar');
    await waitUntil(async () => (await page.locator('#note-area option').count()) === 3, 'the areas of this study (none, Zwolle, Zwolle-Zuid)');
    const areas = await page.locator('#note-area option').allTextContents();
    assert(areas[1] === 'Zwolle' && areas[2].endsWith('Zwolle-Zuid'), `the directory's areas as a tree: ${areas}`);

    // The health dimensions are the server's, in its order and with its Dutch labels.
    await waitUntil(async () => (await page.locator('#note-health-list label').count()) > 0, 'the health dimensions');
    const health = await page.locator('#note-health-list label').allTextContents();
    assert(JSON.stringify(health) === JSON.stringify(vocab.health_dimension.map((v) => v.nl)), `health labels from /vocabulary: ${health}`);
    const values = await page.locator('#note-health-list input').evaluateAll((l) => l.map((i) => i.value));
    assert(JSON.stringify(values) === JSON.stringify(vocab.health_dimension.map((v) => v.id)), `health ids from /vocabulary: ${values}`);
    assert((await page.locator('#note-text').getAttribute('maxlength')) === String(limits.long_text_chars_max), 'the note text is limited as the server says');
    assert((await page.locator('#note-topic').getAttribute('maxlength')) === String(limits.short_text_chars_max), 'the topic is limited as the server says');

    // The latest notes come from the last page; the log was not read from its start.
    await waitUntil(async () => (await page.locator('#recent-notes li.note').first().textContent()).includes(`Notitie ${notes - 1} in Zuid`), 'the latest note');
    await waitUntil(async () => (await page.locator('#net').textContent()) === 'Live', 'the live feed (it starts after what was read)');
    const described = reads.map((q) => q.toString());
    assert(reads.length >= 1 && reads.length <= 2, `one page read, or two if the log grew meanwhile: ${described}`);
    for (const q of reads) {
      assert(Number(q.get('from')) > head - limits.page_events_max, `a read of the last page only (head ${head}): ${q}`);
    }

    // Too many people in one note: the server's subjects_per_event_max, said before sending.
    await page.locator('#note-text').fill('Een gesprek met veel bewoners.');
    await page.locator('#note-people').fill(Array.from({ length: limits.subjects_per_event_max + 1 }, (_, i) => `r-${100 + i}`).join(', '));
    await page.locator('#note-form button[type=submit]').click();
    await waitUntil(async () => (await page.locator('#note-form .error').textContent()).includes(`hoogstens ${limits.subjects_per_event_max}`), 'the limit on people per note');
  } finally {
    await server.stop();
    fs.rmSync(server.data, { recursive: true, force: true });
  }
});

// Serious and critical WCAG 2 A/AA problems that axe-core finds in what the page shows now.
async function accessibilityProblems(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'], resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

// axe-core is injected as a script, which the page's Content-Security-Policy forbids: this test
// alone lets the browser bypass it.
test('accessibility: no serious WCAG problems in any section', { ...SMALL_PHONE, bypassCSP: true }, async ({ page, server }) => {
  await page.goto(server.base);
  await page.locator('#signin').waitFor({ state: 'visible' });
  const problems = (await accessibilityProblems(page)).map((p) => `signin: ${p}`);
  await signIn(page, server, 'researcher');
  for (const view of ['note', 'reflection', 'method', 'rolechange', 'initiatives', 'activity', 'cycles', 'role', 'signals', 'lessons', 'network', 'warnings', 'retro']) {
    await go(page, view);
    if (await page.locator(`#view-${view}.projection`).count()) await waitViewLoaded(page, view);
    if (view === 'retro') await page.locator('#retro-doc h1').waitFor({ timeout: 30_000 });
    problems.push(...(await accessibilityProblems(page)).map((p) => `${view}: ${p}`));
  }
  assert(problems.length === 0, `accessibility problems:\n        ${problems.join('\n        ')}`);
});

// ---- screenshots for people to look at -------------------------------------------------------

async function shot(page, name) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}

if (SHOTS) {
  for (const [size, options] of [['phone', PHONE], ['laptop', LAPTOP]]) {
    test(`screenshots at ${size} size`, options, async ({ page, server }) => {
      await page.goto(server.base);
      await page.locator('#signin').waitFor({ state: 'visible' });
      await shot(page, `${size}-signin`);
      await signIn(page, server, 'researcher');
      for (const view of ['note', 'reflection', 'method', 'rolechange', 'cycles', 'role', 'initiatives', 'signals', 'lessons', 'network', 'activity', 'warnings', 'retro']) {
        await go(page, view);
        if (await page.locator(`#view-${view}.projection`).count()) await waitViewLoaded(page, view);
        if (view === 'retro') await page.locator('#retro-doc h1').waitFor({ timeout: 30_000 });
        await sleep(300);
        await shot(page, `${size}-${view}`);
        // Chromium cannot capture pages much taller than 16,000 pixels; the report is longer.
        if (view !== 'retro') await page.screenshot({ path: path.join(SHOTS, `${size}-${view}-full.png`), fullPage: true });
      }
    });
  }
}

// ---- the runner ------------------------------------------------------------------------------

async function main() {
  const filters = process.argv.slice(2);
  const chosen = TESTS.filter((x) => !filters.length || filters.some((f) => x.name.includes(f)));
  fs.rmSync(FAILURES, { recursive: true, force: true });
  const server = await startServer();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let passed = 0;
  let failed = 0;
  try {
    for (const x of chosen) {
      // A new context per test: an empty profile, its own storage and service workers.
      const context = await browser.newContext({ ...x.options, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam', acceptDownloads: true });
      context.setDefaultTimeout(WAIT_MS);
      const page = await context.newPage();
      const console = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.push(`${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
      const started = Date.now();
      try {
        await Promise.race([
          x.fn({ page, context, server }),
          sleep(TEST_TIMEOUT_MS).then(() => { throw new Error(`the test took longer than ${TEST_TIMEOUT_MS / 1000} s`); }),
        ]);
        const errors = console.filter((l) => l.startsWith('pageerror'));
        if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
        passed += 1;
        process.stdout.write(`ok    ${x.name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
      } catch (e) {
        failed += 1;
        fs.mkdirSync(FAILURES, { recursive: true });
        const file = path.join(FAILURES, `${x.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
        await page.screenshot({ path: file, fullPage: true }).catch(() => {});
        process.stdout.write(`FAIL  ${x.name}\n      ${e.stack || e}\n      screenshot: ${path.relative(ROOT, file)}\n`);
        if (console.length) process.stdout.write(`      browser console:\n        ${console.join('\n        ')}\n`);
      } finally {
        await context.close().catch(() => {});
      }
    }
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
    if (failed) process.stdout.write(`server log:\n${server.log()}\ndata folder kept at ${server.data}\n`);
    else fs.rmSync(server.data, { recursive: true, force: true });
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  process.stdout.write(`${e.stack || e}\n0 passed, 1 failed\n`);
  process.exit(1);
});
