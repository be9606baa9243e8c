// Browser tests of parlog's web interface: start `parlog serve --demo` on a free port with a
// fresh data folder, drive Debian's Chromium headless through playwright-core, and check what a
// makelaar, a researcher and a viewer do with the page; the tests of many studies on one server
// make their own data folder with two studies (startStudiesServer). Prints "N passed, M failed"; exits 1 if
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

// Every event of the log, read page by page as `role`; of one study's log when `study` is given
// (without it, the old route: the token's only study).
async function allEvents(server, role, study) {
  const base = study ? `/api/v1/studies/${study}` : '/api/v1';
  const out = [];
  let from = 1;
  for (;;) {
    const page = await api(server, role, 'GET', `${base}/events?from=${from}&limit=1000`);
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
      // Text recorded in the study (such as its own title for the role) is not interface text.
      if (el.closest('[data-from-log]')) continue;
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
  for (const view of ['note', 'reflection', 'method', 'rolechange', 'notes', 'initiatives', 'activity', 'cycles', 'role', 'signals', 'lessons', 'codebook', 'network', 'warnings', 'retro']) {
    await go(page, view);
    if (await page.locator(`#view-${view}.projection`).count()) await waitViewLoaded(page, view);
    if (view === 'notes') await notesLoaded(page);
    if (view === 'retro') await page.locator('#retro-doc h1').waitFor({ timeout: 30_000 });
    if (view === 'reflection') await page.locator('#refl-participants-box > summary').click();
    let left = [];
    await waitUntil(async () => (left = await untranslated(page)).length === 0, `no Dutch interface text in the ${view} section in English`, 5000)
      .catch(() => { throw new Error(`the ${view} section shows Dutch interface text in English: ${left.join(' | ')}`); });
  }
  // A note's page and an event's page, reached from the notes browser.
  await go(page, 'notes');
  await notesLoaded(page);
  await page.locator('#notes-list > li h2 a').first().click();
  await page.locator('#noteview-body li.note-card').waitFor();
  await page.evaluate(() => { for (const d of document.querySelectorAll('#view-noteview details')) d.open = true; });
  let left = [];
  await waitUntil(async () => (left = await untranslated(page)).length === 0, 'no Dutch interface text on a note\'s page in English', 5000)
    .catch(() => { throw new Error(`a note's page shows Dutch interface text in English: ${left.join(' | ')}`); });
  await page.locator('#noteview-body a.src').first().click();
  await page.locator('#event-payload').waitFor();
  await waitUntil(async () => (left = await untranslated(page)).length === 0, 'no Dutch interface text on an event\'s page in English', 5000)
    .catch(() => { throw new Error(`an event's page shows Dutch interface text in English: ${left.join(' | ')}`); });
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
      assert((await page.locator(`#view-${view} [data-chart-slot] figure`).count()) > 0, `the ${view} view has a picture`);
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
    // The study's log, read at its route under /api/v1/studies/{study}/ (or the old alias).
    const logPath = /^\/api\/v1\/(studies\/[a-z0-9-]+\/)?events$/;
    page.on('request', (r) => { const u = new URL(r.url()); if (logPath.test(u.pathname) && r.method() === 'GET') reads.push(u.searchParams); });
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

// ---- accessibility (issue 15) ----------------------------------------------------------------

// Every rule of axe-core for WCAG 2.0, 2.1 and 2.2 at A and AA, and its best practices: each
// finding of any impact, in what the page shows now (open shadow roots included: the reports).
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];
async function accessibilityProblems(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }), AXE_TAGS);
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

// Waits until a view shows what it shows when loaded.
async function viewLoaded(page, view) {
  if (await page.locator(`#view-${view}.projection`).count()) await waitViewLoaded(page, view);
  else if (view === 'retro') await page.locator('#retro-doc h1').waitFor({ timeout: 30_000 });
  else if (view === 'compare') await page.locator('#compare-doc.loaded').waitFor({ timeout: 30_000 });
  else if (view === 'note') await waitForNotesCatalog(page);
  else if (view === 'notes') await notesLoaded(page);
  else if (view === 'reflection') await waitUntil(async () => (await page.locator('#refl-cycle option').count()) > 1, 'the cycles');
  else if (view === 'method' || view === 'rolechange') await waitUntil(async () => (await page.locator(`#${view}-role option`).count()) > 0, 'the roles');
}

// Every folded part of the view open, so that axe sees what it holds too.
async function openFolds(page, view) {
  await page.evaluate((v) => { for (const d of document.querySelectorAll(`#view-${v} details`)) d.open = true; }, view);
}

// axe-core is injected as a script, which the page's Content-Security-Policy forbids: these
// tests alone let the browser bypass it.
for (const [size, options] of [['phone', PHONE], ['desktop', LAPTOP]]) {
  for (const role of ['makelaar', 'researcher', 'viewer', 'admin']) {
    test(`accessibility: no axe finding (WCAG 2.2 A/AA and best practice) in any view of ${role === 'admin' ? 'an' : 'a'} ${role} on a ${size}`, { ...options, bypassCSP: true }, async ({ page, server }) => {
      await page.goto(server.base);
      await page.locator('#signin').waitFor({ state: 'visible' });
      const problems = (await accessibilityProblems(page)).map((p) => `signin: ${p}`);
      await page.evaluate(() => { location.hash = '#/toegankelijkheid'; });
      await page.locator('#view-statement').waitFor({ state: 'visible' });
      problems.push(...(await accessibilityProblems(page)).map((p) => `statement, signed out: ${p}`));
      await signIn(page, server, role);
      const views = await page.locator('#tab-list a').evaluateAll((l) => l.map((a) => a.dataset.view));
      assert(views.length >= (role === 'admin' ? 2 : 9), `the ${role}'s views: ${views}`);
      for (const view of [...views, 'statement']) {
        if (view === 'statement') {
          await page.evaluate(() => { location.hash = '#/toegankelijkheid'; });
          await page.locator('#view-statement').waitFor({ state: 'visible' });
        } else {
          await go(page, view);
        }
        await viewLoaded(page, view);
        await openFolds(page, view);
        assert(await page.locator('footer a[href="#/toegankelijkheid"]').isVisible(), `the ${view} view links the accessibility statement`);
        problems.push(...(await accessibilityProblems(page)).map((p) => `${view}: ${p}`));
        // Reflow (WCAG 1.4.10): nothing makes the page scroll sideways.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        if (overflow > 1) problems.push(`${view}: the page scrolls sideways by ${overflow} px`);
      }
      assert(problems.length === 0, `accessibility problems:\n        ${problems.join('\n        ')}`);
    });
  }
}

// ---- the keyboard alone ----------------------------------------------------------------------

// What has the focus (inside a report's shadow root too), and whether it can be seen: its box
// (its first line, for a link that wraps) lies inside the viewport, and the element found at
// its centre and just below its top edge is the element or inside it, not the sticky bars, the
// toast or anything else laid over it (WCAG 2.2 SC 2.4.11, and more: not even partly hidden).
async function focusState(page) {
  return page.evaluate(() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    if (!el || el === document.body || el === document.documentElement) return { ok: false, what: 'body', why: 'the focus is on <body>' };
    const what = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''} "${(el.textContent || el.value || '').trim().slice(0, 40)}"`;
    const rects = Array.from(el.getClientRects()).filter((r) => r.width > 0 && r.height > 0);
    const r = rects[0];
    if (!r) return { ok: false, what, why: 'it has no box (hidden)' };
    const vw = document.documentElement.clientWidth;
    const vh = window.innerHeight;
    const bottom = Math.min(r.bottom, r.top + vh); // an element taller than the screen: its top part
    if (r.top < -1 || r.left < -1 || bottom > vh + 1 || r.right > vw + 1) return { ok: false, what, why: `it lies outside the ${vw}x${vh} viewport: ${JSON.stringify({ top: r.top, left: r.left, bottom: r.bottom, right: r.right })}` };
    const root = el.getRootNode();
    for (const [x, y] of [[r.left + r.width / 2, (r.top + bottom) / 2], [r.left + r.width / 2, r.top + Math.min(3, r.height / 2)]]) {
      const hit = root.elementFromPoint(x, y);
      if (!hit || !(hit === el || el.contains(hit))) {
        const over = hit ? `${hit.tagName.toLowerCase()}${hit.id ? `#${hit.id}` : ''}.${hit.className}` : 'nothing';
        const bars = hit && hit.closest && hit.closest('.bars') ? ' (the sticky bars)' : '';
        return { ok: false, what, why: `at (${Math.round(x)}, ${Math.round(y)}) the page shows ${over}${bars}` };
      }
    }
    return { ok: true, what };
  });
}

async function assertFocusSeen(page, step) {
  const f = await focusState(page);
  assert(f.ok, `${step}: the focused ${f.what} cannot be seen: ${f.why}`);
  return f;
}

// Presses Tab (or Shift+Tab) until `selector` has the focus, checking at every step that the
// focused element is in view and not covered; `steps_max` bounds the walk.
async function tabTo(page, selector, { back = false, stepsMax = 400, label = selector } = {}) {
  for (let i = 0; i < stepsMax; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    await assertFocusSeen(page, `${back ? 'Shift+Tab' : 'Tab'} towards ${label}, step ${i + 1}`);
    if (await page.evaluate((sel) => { let el = document.activeElement; while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement; return !!el && el.matches(sel); }, selector)) return i + 1;
  }
  throw new Error(`${label} not reached in ${stepsMax} presses of ${back ? 'Shift+Tab' : 'Tab'}`);
}

const focusedId = (page) => page.evaluate(() => document.activeElement && document.activeElement.id);

for (const [size, options] of [['phone', PHONE], ['desktop', LAPTOP]]) {
  test(`keyboard: a makelaar signs in and records a field note with only the keyboard on a ${size}, the focus always in sight`, options, async ({ page, server }) => {
    await page.goto(server.base);
    await page.locator('#signin').waitFor({ state: 'visible' });
    assert((await focusedId(page)) === 'token-input', 'the sign-in form has the focus');
    await page.keyboard.type(server.tokens.makelaar);
    await page.keyboard.press('Enter');
    await page.locator('#view-note').waitFor({ state: 'visible' });
    await waitUntil(async () => (await focusedId(page)) === 'note-title', "the focus on the note form's heading after signing in (not on <body>)");
    await waitForNotesCatalog(page);

    // The makelaar's own area (makelaar-noord-a is registered for Noord), and its initiatives.
    assert((await page.locator('#note-area').inputValue()) === 'area:noord', `the area starts as the makelaar's own: ${await page.locator('#note-area').inputValue()}`);
    const text = `Toetsenbord: gesprek bij de taalmaatjes ${randomUUID()}`;
    await tabTo(page, '#note-text');
    await page.keyboard.type(text);
    await tabTo(page, '#note-topic');
    await page.keyboard.type('taalmaatjes');
    await tabTo(page, '#note-initiative');
    await page.keyboard.type('Taal');
    await waitUntil(async () => (await page.locator('#note-initiative').inputValue()) === 'initiative:taalmaatjes-noord', 'Taalmaatjes Noord chosen by typing its name');
    await tabTo(page, '#note-health-list input[value="participation"]');
    await page.keyboard.press('Space');
    await tabTo(page, '#note-codes-box > summary');
    await page.keyboard.press('Enter');
    await tabTo(page, '#note-codes-list input');
    await page.keyboard.press('Space');
    const code = await page.evaluate(() => document.activeElement.value);
    await tabTo(page, '#note-people');
    await page.keyboard.type('r-017');
    await tabTo(page, '#note-form button[type=submit]');
    // Back up through the whole form (the codes are open) to the tabs, and down again: every
    // control stays in sight, none under the sticky bars.
    await tabTo(page, '#tab-list a', { back: true });
    await tabTo(page, '#note-form button[type=submit]');
    await page.keyboard.press('Enter');

    await waitUntil(async () => (await page.locator('#note-status').textContent()).includes('Notitie opgeslagen'), 'the status line to say the note was saved');
    assert((await page.locator('#note-status').getAttribute('role')) === 'status', 'the status line is a live region');
    assert((await focusedId(page)) === 'note-text', `after saving, the focus is on the first field, not on <body>: ${await focusedId(page)}`);
    await assertFocusSeen(page, 'after saving');
    assert(await page.locator('#note-status').isVisible(), 'the status line is in view');
    const stored = withText(await allEvents(server, 'makelaar'), text);
    assert(stored.length === 1, `the note is stored once, found ${stored.length}`);
    const p = stored[0].payload;
    assert(p.area === 'area:noord' && p.initiative === 'initiative:taalmaatjes-noord' && p.topic === 'taalmaatjes', `area, initiative and topic: ${JSON.stringify(p)}`);
    assert(JSON.stringify(p.health) === '["participation"]' && JSON.stringify(p.codes) === JSON.stringify([code]), `health and code: ${JSON.stringify(p)}`);
    assert(JSON.stringify(stored[0].sealed.subjects) === '["resident:r-017"]', `data subjects: ${stored[0].sealed.subjects}`);
  });

  test(`keyboard: every view reached with only the keyboard on a ${size}, and walked backwards, the focus always in sight`, options, async ({ page, server }) => {
    await signIn(page, server, 'researcher');
    await waitUntil(async () => (await focusedId(page)) === 'note-title', "the focus on the first view's heading after signing in by link");
    const views = await page.locator('#tab-list a').evaluateAll((l) => l.map((a) => a.dataset.view));
    for (const view of views) {
      // From the heading of the view shown, back into the tabs and along them to the next one.
      await tabTo(page, `#tab-list a[data-view="${view}"]`, { back: true, stepsMax: 40, label: `the ${view} tab` });
      await page.keyboard.press('Enter');
      await page.locator(`#view-${view}`).waitFor({ state: 'visible' });
      await waitUntil(async () => (await focusedId(page)) === `${view === 'reflection' ? 'refl' : view}-title`, `the focus on the ${view} view's heading`);
      await viewLoaded(page, view);
      if (['retro', 'initiatives', 'cycles', 'note'].includes(view)) {
        // Down to the footer, then all the way back up (the source links of the retrospective,
        // the "Verloop" and "Plan en verloop" toggles, the forms' fields).
        await tabTo(page, 'footer a', { stepsMax: 2000, label: `the footer, through the ${view} view` });
        await tabTo(page, `#view-${view} > h1, #tab-list a`, { back: true, stepsMax: 2000, label: `back up through the ${view} view` });
        await page.locator(`#view-${view} > h1`).focus();
      }
    }
    // The accessibility statement from the footer, by keyboard.
    await tabTo(page, '#tab-list a[data-view="lessons"]', { back: true, stepsMax: 40 });
    await page.keyboard.press('Enter');
    await waitUntil(async () => (await focusedId(page)) === 'lessons-title', "the focus on the lessons view's heading");
    await tabTo(page, 'footer a', { stepsMax: 400 });
    await page.keyboard.press('Enter');
    await page.locator('#view-statement').waitFor({ state: 'visible' });
    await waitUntil(async () => (await focusedId(page)) === 'statement-title', "the focus on the statement's heading");
  });
}

// The focus ring has 3:1 or more against the colour around it (WCAG 1.4.11): fields on a card (a
// 25% ring, 1.43:1, before), buttons, tabs, checkboxes, and the header's buttons on its dark blue
// (an amber ring of 1.89:1 on white, before). The ring stands off the control, so what it
// borders is the first background behind the control.
async function focusRingContrast(page, selector) {
  return page.locator(selector).first().evaluate((el) => {
    el.focus();
    const st = getComputedStyle(el);
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    let bg = null;
    for (let p = el.parentElement; p && !bg; p = p.parentElement) {
      const c = rgb(getComputedStyle(p).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) bg = c.slice(0, 3);
    }
    bg = bg || [255, 255, 255];
    const ring = rgb(st.outlineColor);
    const [a, b] = [lum(ring.slice(0, 3)), lum(bg)].sort((x, y) => y - x);
    return { ratio: (a + 0.05) / (b + 0.05), width: parseFloat(st.outlineWidth), style: st.outlineStyle, alpha: ring.length === 4 ? ring[3] : 1, ring: st.outlineColor, bg: `rgb(${bg.join(', ')})` };
  });
}

test('focus ring: 3:1 or more against what surrounds it, on fields, buttons, tabs and the header', PHONE, async ({ page, server }) => {
  await signIn(page, server, 'makelaar');
  await waitForNotesCatalog(page);
  await page.keyboard.press('Tab'); // keyboard use: :focus-visible shows for what gets the focus next
  for (const sel of ['#note-text', '#note-area', '#note-health-list input', '#note-codes-box > summary', '#note-form button[type=submit]', '#tab-list a', '.lang button', '#signout']) {
    const c = await focusRingContrast(page, sel);
    assert(c.style !== 'none' && c.width >= 2 && c.alpha === 1, `${sel} shows a solid ring of 2 px or more: ${JSON.stringify(c)}`);
    assert(c.ratio >= 3, `${sel}: the ring ${c.ring} has ${c.ratio.toFixed(2)}:1 against ${c.bg}, needs 3:1`);
  }
});

// A view is drawn again when the log grows: the focus stays on the same control of the same
// card (it used to drop to <body> with the old elements), and an opened history stays open.
test('live refresh keeps the focus and the open folds of a view', LAPTOP, async ({ page, server }) => {
  await signIn(page, server, 'makelaar');
  await waitUntil(async () => (await page.locator('#net').textContent()) === 'Live', 'the live feed to connect');
  await go(page, 'initiatives');
  await waitViewLoaded(page, 'initiatives');
  const card = '#view-initiatives li[data-id="initiative:taalmaatjes-noord"]';
  const before = await initiativeNotes(page, 'initiative:taalmaatjes-noord');
  await page.locator(`${card} summary`).focus();
  await page.keyboard.press('Enter');
  assert(await page.locator(`${card} details`).evaluate((d) => d.open), 'the history is open');
  await api(server, 'makelaar', 'POST', '/api/v1/events', [{
    stream: 'notes:makelaar-noord-a', kind: 'ObservationRecorded', occurred_at: new Date().toISOString(),
    payload: { area: 'area:noord', initiative: 'initiative:taalmaatjes-noord' }, sealed: { text: `Browsertest focus ${randomUUID()}` },
  }]);
  await waitUntil(async () => (await initiativeNotes(page, 'initiative:taalmaatjes-noord')) === before + 1, 'the view drawn again with the new note');
  const focus = await page.evaluate(() => { const el = document.activeElement; const li = el && el.closest('li[data-id]'); return { tag: el.tagName, card: li && li.dataset.id }; });
  assert(focus.tag === 'SUMMARY' && focus.card === 'initiative:taalmaatjes-noord', `the focus stays on the card's history: ${JSON.stringify(focus)}`);
  assert(await page.locator(`${card} details`).evaluate((d) => d.open), 'the history stays open');
});

// The toegankelijkheidsverklaring: open to anyone, from the footer of the sign-in page and of
// every view, in Dutch and in English, with what Dutch public bodies' statements hold.
test('accessibility statement: from the footer, signed out and in, Dutch and English', PHONE, async ({ page, server }) => {
  await page.goto(server.base);
  await page.locator('#signin').waitFor({ state: 'visible' });
  await page.locator('footer a[href="#/toegankelijkheid"]').click();
  await page.locator('#view-statement').waitFor({ state: 'visible' });
  assert(await page.locator('#signin').isHidden(), 'the statement instead of the sign-in form');
  const fits = await page.evaluate(() => ({ page: document.documentElement.scrollWidth - document.documentElement.clientWidth, heading: Math.max(...Array.from(document.querySelectorAll('#view-statement h1, #view-statement h2')).map((x) => x.scrollWidth - x.clientWidth)) }));
  assert(fits.page <= 1 && fits.heading <= 1, `the statement fits 390 px, its long title too: ${JSON.stringify(fits)}`);
  const nl = await page.locator('#view-statement').innerText();
  for (const part of ['Toegankelijkheidsverklaring', 'Nalevingsstatus', 'WCAG 2.1', 'Wat wij hebben getest en hoe', 'axe-core', 'toetsenbord', 'Bekende beperkingen', 'Feedback en contact', 'Handhavingsprocedure']) {
    assert(nl.includes(part), `the statement says ${part}`);
  }
  await page.locator('.lang button[data-lang="en"]').click();
  await waitUntil(async () => (await page.locator('#view-statement h1').textContent()) === 'Accessibility statement', 'the statement in English');
  const en = await page.locator('#view-statement').innerText();
  for (const part of ['Compliance status', 'What we tested and how', 'Known limitations', 'Feedback and contact']) assert(en.includes(part), `in English it says ${part}`);
  await page.locator('.lang button[data-lang="nl"]').click();
  await page.locator('#view-statement a[href="#/"]').click();
  await page.locator('#signin').waitFor({ state: 'visible' });
  await signIn(page, server, 'viewer');
  await page.locator('footer a[href="#/toegankelijkheid"]').click();
  await page.locator('#view-statement').waitFor({ state: 'visible' });
  await page.locator('#view-statement a[href="#/"]').click();
  await page.locator('#view-initiatives').waitFor({ state: 'visible' });
});

// The note form starts in the makelaar's own area (the directory's registration) and lists that
// area's initiatives (its neighbourhoods' too), with a way to see every area's.
test("note form: the makelaar's own area, its initiatives, and all of them on request", PHONE, async ({ page, server }) => {
  await signIn(page, server, 'makelaar');
  await waitForNotesCatalog(page);
  const dir = await api(server, 'makelaar', 'GET', '/api/v1/projections/directory');
  const me = dir.participants.find((x) => x.id === 'participant:makelaar-noord-a');
  assert(me && me.area === 'area:noord', `the demo's makelaar is registered for Noord: ${JSON.stringify(me)}`);
  assert((await page.locator('#note-area').inputValue()) === me.area, 'the area starts as the registration says');
  const parent = new Map(dir.areas.map((a) => [a.id, a.parent]));
  const inside = (a, root) => { for (let x = a; x; x = parent.get(x)) if (x === root) return true; return false; };
  const all = (await api(server, 'makelaar', 'GET', '/api/v1/projections/initiatives')).initiatives;
  const shown = async () => (await page.locator('#note-initiative option').evaluateAll((l) => l.map((o) => o.value))).filter(Boolean);
  const noord = await shown();
  const want = all.filter((i) => inside(i.area, 'area:noord')).map((i) => i.id).sort();
  assert(JSON.stringify(noord.slice().sort()) === JSON.stringify(want), `Noord's initiatives and its neighbourhoods': ${noord} vs ${want}`);
  assert(want.includes('initiative:speelstraat-bloemendaal') && noord.length < all.length, 'a neighbourhood of Noord counts, other areas do not');
  assert((await page.locator('#note-initiative-help').textContent()).includes('Noord'), 'the list says which area it shows');
  await page.locator('#note-initiative-all').check();
  assert((await shown()).length === all.length, 'every initiative when asked');
  // An initiative of another area: the note's area follows it.
  await page.locator('#note-initiative').selectOption('initiative:klusbank-west');
  assert((await page.locator('#note-area').inputValue()) === 'area:west', 'the area follows an initiative from elsewhere');
  await page.locator('#note-initiative-all').uncheck();
  await page.locator('#note-area').selectOption('area:oost');
  const oost = await shown();
  assert(oost.length > 0 && oost.every((id) => inside(all.find((i) => i.id === id).area, 'area:oost')), `another area narrows the list again: ${oost}`);
});

// The charts fit a phone without sideways scrolling, in readable text, and span the study's
// period: from its first dated fact to its last day (GET /projections/role says `day`).
test('charts: no sideways scrolling on a phone, readable, and over the study\'s own years', PHONE, async ({ page, server }) => {
  await signIn(page, server, 'viewer');
  const lastYear = Number((await api(server, 'viewer', 'GET', '/api/v1/projections/role')).day.slice(0, 4));
  const ini = (await api(server, 'viewer', 'GET', '/api/v1/projections/initiatives')).initiatives;
  const firstYear = Math.min(...ini.flatMap((i) => i.stages.map((s) => Number(s.src.date.slice(0, 4)))));
  for (const view of ['initiatives', 'role', 'signals', 'cycles']) {
    await go(page, view);
    await waitViewLoaded(page, view);
    const slot = page.locator(`#view-${view} [data-chart-slot]`);
    assert((await slot.locator('figure').count()) > 0, `the ${view} view has its chart`);
    const fit = await slot.evaluate((el) => ({ over: el.scrollWidth - el.clientWidth, page: document.documentElement.scrollWidth - document.documentElement.clientWidth, right: Math.max(...Array.from(el.querySelectorAll('*')).map((c) => c.getBoundingClientRect().right)), edge: el.getBoundingClientRect().right }));
    assert(fit.over <= 1 && fit.page <= 1 && fit.right <= fit.edge + 1, `the ${view} chart fits 390 px: ${JSON.stringify(fit)}`);
    if (view === 'cycles') continue;
    const small = await slot.evaluate((el) => Math.min(...Array.from(el.querySelectorAll('figcaption, .t-name, .t-year, li')).map((c) => parseFloat(getComputedStyle(c).fontSize))));
    assert(small >= 12, `the ${view} chart's words are at least 12 px: ${small}`);
  }
  await go(page, 'initiatives');
  await waitViewLoaded(page, 'initiatives');
  const years = (await page.locator('#view-initiatives .t-year').allTextContents()).map(Number);
  assert(years[0] <= firstYear + 1 && years[years.length - 1] >= lastYear - 1 && years[years.length - 1] <= lastYear, `the stages chart spans ${firstYear}–${lastYear}: ${years}`);
});

// ---- many studies on one server (issue 12) ---------------------------------------------------

// A second study beside the demo's, in the same data folder, with its own log: other areas,
// another initiative. Its makelaar is the demo's makelaar-noord-a, whose one token has a role in
// both studies.
const ZWOLLE_NAME = 'Makelen in Zuid';
const ZWOLLE = [
  { id: '@p-makelaar', stream: 'participant:makelaar-noord-a', kind: 'ParticipantRegistered', occurred_at: '2021-01-04T09:00:00+01:00', author: 'onderzoeker-zwolle', payload: { label: 'makelaar Zuid', role: 'makelaar' } },
  { id: '@p-onderzoeker', stream: 'participant:onderzoeker-zwolle', kind: 'ParticipantRegistered', occurred_at: '2021-01-04T09:01:00+01:00', author: 'onderzoeker-zwolle', payload: { label: 'onderzoeker Zwolle', role: 'researcher' } },
  { id: '@zwolle', stream: 'area:zwolle', kind: 'AreaDefined', occurred_at: '2021-01-04T09:05:00+01:00', author: 'onderzoeker-zwolle', payload: { name: 'Zwolle', kind: 'city' } },
  { id: '@zuid', stream: 'area:zwolle-zuid', kind: 'AreaDefined', occurred_at: '2021-01-04T09:06:00+01:00', author: 'onderzoeker-zwolle', payload: { name: 'Zwolle-Zuid', kind: 'district', parent: 'area:zwolle' } },
  { id: '@study', stream: 'study:zwolle-zuid', kind: 'StudyStarted', occurred_at: '2021-01-05T10:00:00+01:00', author: 'onderzoeker-zwolle', payload: { title: ZWOLLE_NAME, question: 'Wat levert de makelaar in Zuid op?', municipality: 'Zwolle', levels: ['wijk'] } },
  { id: '@buurtkamer', stream: 'initiative:buurtkamer-zuid', kind: 'InitiativeStarted', occurred_at: '2021-02-01T10:00:00+01:00', author: 'makelaar-noord-a', payload: { name: 'Buurtkamer Zuid', route: 'opportunity', area: 'area:zwolle-zuid', description: 'Bewoners openen een buurtkamer in de oude bibliotheek.', initiators: ['participant:makelaar-noord-a'], health: ['participation'] } },
];

function parlogOutput(data, ...args) {
  const r = spawnSync(BIN, ['--data', data, ...args], { encoding: 'utf8', env: { ...process.env, PARLOG_LOG: 'warn' } });
  if (r.status !== 0) throw new Error(`parlog ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

// The demo's study and Zwolle's in one data folder, made with the CLI of issue 12, and served.
// server.tokens.makelaar has the makelaar role in both; server.slug names the two studies, and
// server.studies is what GET /api/v1/studies says of them.
async function startStudiesServer() {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'parlog-browser-studies-'));
  const folder = path.join(data, 'log');
  parlog(folder, 'demo');
  // While the folder holds one study, a command needs no --study (STUDIES.md, CLI).
  const created = parlogOutput(folder, 'token', 'create', '--participant', 'makelaar-noord-a', '--role', 'makelaar');
  const token = /^plg_\S+/m.exec(created.stdout)[0];
  const id = tokenId(folder, created, 'makelaar-noord-a');
  parlog(folder, 'study', 'create', 'zwolle', '--name', ZWOLLE_NAME, '--municipality', 'Zwolle');
  const file = path.join(data, 'zwolle.json');
  fs.writeFileSync(file, JSON.stringify(ZWOLLE));
  parlog(folder, '--study', 'zwolle', 'demo', '--file', file);
  parlog(folder, 'token', 'grant', id, '--study', 'zwolle', '--role', 'makelaar');
  const addr = `127.0.0.1:${await freePort()}`;
  const proc = spawn(BIN, ['--data', folder, 'serve', '--addr', addr], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PARLOG_LOG: 'warn' } });
  let err = '';
  proc.stderr.on('data', (b) => { err += b; });
  proc.stdout.resume();
  const server = await serving(proc, addr, { makelaar: token }, data, () => `stderr:\n${err}`);
  try {
    server.studies = (await api(server, 'makelaar', 'GET', '/api/v1/studies')).studies;
    const gouda = server.studies.find((s) => s.municipality === 'Gouda');
    assert(server.studies.length === 2 && gouda && server.studies.some((s) => s.slug === 'zwolle'), `the token reaches the demo's study and Zwolle's: ${JSON.stringify(server.studies)}`);
    server.slug = { gouda: gouda.slug, zwolle: 'zwolle' };
    server.study = (slug) => server.studies.find((s) => s.slug === slug);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

// The id of the token just made: `token create` says it on stderr ("token ID for …"); failing
// that, `token list` has it in the first column of the participant's line.
function tokenId(folder, created, participant) {
  const said = /\btoken (\S+) for\b/.exec(created.stderr);
  if (said) return said[1];
  const line = parlog(folder, 'token', 'list').split('\n').find((l) => l.split('\t').includes(participant));
  assert(line, `token list names ${participant}`);
  return line.split('\t')[0];
}

async function stopStudiesServer(server) {
  await server.stop();
  fs.rmSync(server.data, { recursive: true, force: true });
}

// Opens the page with the token's link: a token with roles in two studies gets the picker.
async function openAtPicker(page, server) {
  await page.goto(`${server.base}/#token=${server.tokens.makelaar}`);
  await page.locator('#view-studies').waitFor({ state: 'visible', timeout: WAIT_MS });
  await waitUntil(async () => (await page.locator('#study-list button').count()) === server.studies.length, 'a choice for each study');
}

const chosenStudy = (page) => page.evaluate(() => window.parlog.state().study);

async function pickStudy(page, slug) {
  await page.locator(`#study-list button[data-study="${slug}"]`).click();
  await waitUntil(async () => (await chosenStudy(page)) === slug, `the study ${slug} to be chosen`);
  await page.locator('#tabs').waitFor({ state: 'visible' });
}

// From the header's study bar, as a person would.
async function switchStudy(page, slug) {
  await page.locator('#study-switch').click();
  await page.locator('#view-studies').waitFor({ state: 'visible' });
  await pickStudy(page, slug);
}

// The study's name and municipality are in the header, whole and inside the screen.
async function assertStudyShown(page, study) {
  const bar = page.locator('#study-bar');
  assert(await bar.isVisible(), 'the study bar is shown');
  const text = await bar.innerText();
  assert(text.includes(study.name) && text.includes(study.municipality), `the header names ${study.name} in ${study.municipality}: ${text}`);
  const view = page.viewportSize();
  for (const part of ['#study-name', '#study-place']) {
    const el = page.locator(part);
    if (!(await el.isVisible())) continue; // the municipality is left out where it is the name
    const box = await el.boundingBox();
    assert(box && box.x >= 0 && box.y >= 0 && box.x + box.width <= view.width + 1 && box.y + box.height <= view.height, `${part} lies inside the ${view.width} px screen: ${JSON.stringify(box)}`);
  }
  // Wrapped, not cut off: neither the bar nor its text box has more to show than it shows.
  const cut = await page.evaluate(() => ['#study-bar', '#study-bar .study-text'].filter((q) => { const n = document.querySelector(q); return n.scrollWidth > n.clientWidth + 1; }));
  assert(cut.length === 0, `the study's name is not cut off in ${cut}`);
}

test('studies: the picker after sign-in, the study named in the header on a phone, remembered after a reload', PHONE, async ({ page }) => {
  const server = await startStudiesServer();
  try {
    const { zwolle } = server.slug;
    await openAtPicker(page, server);
    assert(await page.locator('#tabs').isHidden(), 'no sections before a study is chosen');
    const choices = await page.locator('#study-list button').allInnerTexts();
    for (const s of server.studies) {
      assert(choices.some((c) => c.includes(s.name) && c.includes(s.municipality)), `the picker names ${s.name} in ${s.municipality}: ${choices}`);
    }
    assert((await page.evaluate(() => document.activeElement.id)) === 'studies-title', "the focus is on the picker's heading");
    assert((await page.locator('#studies-title').textContent()) === 'Kies een onderzoek', 'the picker in Dutch');
    await page.locator('.lang button[data-lang="en"]').click();
    assert((await page.locator('#studies-title').textContent()) === 'Choose a study', 'the picker in English');
    assert((await page.locator('#study-list').innerText()).includes('community broker'), 'the role in English');
    await page.locator('.lang button[data-lang="nl"]').click();

    // By keyboard: Tab to Zwolle's study, Enter.
    await page.locator('#studies-title').focus();
    for (let i = 0; i < 10 && (await page.evaluate(() => document.activeElement.dataset.study)) !== zwolle; i++) await page.keyboard.press('Tab');
    assert((await page.evaluate(() => document.activeElement.dataset.study)) === zwolle, 'the keyboard reaches the study');
    await page.keyboard.press('Enter');
    await waitUntil(async () => (await chosenStudy(page)) === zwolle, 'the study to be chosen by keyboard');
    await page.locator('#tabs').waitFor({ state: 'visible' });
    await assertStudyShown(page, server.study(zwolle));

    // The forms' lists are this study's own.
    await waitUntil(async () => (await page.locator('#note-area option').count()) === 3, "Zwolle's areas (none, Zwolle, Zwolle-Zuid)");
    const areas = await page.locator('#note-area option').allTextContents();
    assert(areas[1] === 'Zwolle' && areas[2].endsWith('Zwolle-Zuid'), `Zwolle's areas, not Gouda's: ${areas}`);

    // Still in view at the bottom of the note form, and the page fits the phone.
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await sleep(200);
    await assertStudyShown(page, server.study(zwolle));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert(overflow <= 1, `the page fits 390 px without sideways scrolling (overflow ${overflow} px)`);

    // Remembered on this device: a reload opens the same study without asking.
    const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('parlog.study.v1')));
    assert(kept && kept['makelaar-noord-a'] === zwolle, `the choice is kept per participant: ${JSON.stringify(kept)}`);
    await page.reload();
    await page.locator('#tabs').waitFor({ state: 'visible' });
    assert((await chosenStudy(page)) === zwolle && (await page.locator('#view-studies').isHidden()), 'after a reload the remembered study is open, without the picker');
    await assertStudyShown(page, server.study(zwolle));

    // A remembered study that the token does not reach is dropped, and the picker shown.
    await page.evaluate(() => localStorage.setItem('parlog.study.v1', JSON.stringify({ 'makelaar-noord-a': 'no-such-study' })));
    await page.reload();
    await page.locator('#view-studies').waitFor({ state: 'visible' });
    assert((await page.locator('#studies-notice').textContent()).includes('niet (meer) te openen'), 'the picker says why it asks again');
    const dropped = await page.evaluate(() => JSON.parse(localStorage.getItem('parlog.study.v1')));
    assert(!dropped['makelaar-noord-a'], `the unreachable study is forgotten: ${JSON.stringify(dropped)}`);
  } finally {
    await stopStudiesServer(server);
  }
});

test("studies: switching study changes what is shown, and the live feed follows the chosen study's", LAPTOP, async ({ page }) => {
  const server = await startStudiesServer();
  try {
    const { gouda, zwolle } = server.slug;
    const requests = [];
    page.on('request', (r) => { const u = new URL(r.url()); if (u.pathname.startsWith('/api/')) requests.push(u.pathname); });
    await openAtPicker(page, server);
    await pickStudy(page, gouda);
    await assertStudyShown(page, server.study(gouda));
    await go(page, 'initiatives');
    await waitViewLoaded(page, 'initiatives');
    assert((await page.locator('#view-initiatives li[data-id="initiative:taalmaatjes-noord"]').count()) === 1, "Gouda's initiatives");
    await waitUntil(async () => (await page.locator('#net').textContent()) === 'Live', "Gouda's feed to connect");

    // Another study from the header: the same view, now with that study's data.
    await switchStudy(page, zwolle);
    await page.locator('#view-initiatives').waitFor({ state: 'visible' });
    await waitUntil(async () => (await page.locator('#view-initiatives li[data-id="initiative:buurtkamer-zuid"]').count()) === 1, "Zwolle's initiative");
    assert((await page.locator('#view-initiatives li[data-id="initiative:taalmaatjes-noord"]').count()) === 0, "none of Gouda's initiatives under Zwolle's name");
    await assertStudyShown(page, server.study(zwolle));
    await waitUntil(async () => (await page.locator('#net').textContent()) === 'Live', "Zwolle's feed to connect");
    const feeds = requests.filter((p) => p.endsWith('/feed'));
    assert(feeds.includes(`/api/v1/studies/${gouda}/feed`) && feeds[feeds.length - 1] === `/api/v1/studies/${zwolle}/feed`, `the feed follows the chosen study: ${feeds}`);

    // A note in the other study does not show here; one in this study does, live.
    await go(page, 'note');
    const text = `Browsertest studies: ${randomUUID()}`;
    const note = (area, where) => [{ id: randomUUID(), stream: 'notes:makelaar-noord-a', kind: 'ObservationRecorded', occurred_at: new Date().toISOString(), payload: { area }, sealed: { text: `${text} (${where})` } }];
    await api(server, 'makelaar', 'POST', `/api/v1/studies/${gouda}/events`, note('area:noord', 'Gouda'));
    await api(server, 'makelaar', 'POST', `/api/v1/studies/${zwolle}/events`, note('area:zwolle-zuid', 'Zwolle'));
    await waitUntil(async () => (await page.locator('#recent-notes li.note').first().textContent()).includes(`${text} (Zwolle)`), "Zwolle's new note, live");
    await sleep(1000);
    assert(!(await page.locator('#recent-notes').textContent()).includes(`${text} (Gouda)`), "Gouda's note does not show in Zwolle");

    // Back to Gouda: its note is there, Zwolle's is not.
    await switchStudy(page, gouda);
    await page.locator('#view-note').waitFor({ state: 'visible' });
    await waitUntil(async () => (await page.locator('#recent-notes').textContent()).includes(`${text} (Gouda)`), "Gouda's note among Gouda's latest notes");
    assert(!(await page.locator('#recent-notes').textContent()).includes(`${text} (Zwolle)`), "Zwolle's note does not show in Gouda");
    await waitUntil(async () => (await page.locator('#net').textContent()) === 'Live', "Gouda's feed again");

    // What is kept for offline use is kept per study.
    const kept = await page.evaluate(() => Object.fromEntries(Object.keys(localStorage).filter((k) => k.startsWith('parlog.catalog.')).map((k) => [k, JSON.parse(localStorage.getItem(k))])));
    const z = kept[`parlog.catalog.v2.${zwolle}`];
    const g = kept[`parlog.catalog.v2.${gouda}`];
    assert(z && g, `a catalog for each study: ${Object.keys(kept)}`);
    const names = (c) => c.areas.map((a) => a.name);
    assert(!names(z).includes('Gouda') && names(g).includes('Gouda'), `each study's own areas: ${names(z)} / ${names(g)}`);

    // Every request for a study's data went under that study's path.
    const bare = requests.filter((p) => /^\/api\/v1\/(events|streams|projections|retrospective|charts|feed|verify|subjects|tokens)\b/.test(p));
    assert(bare.length === 0, `no study-scoped request without its study: ${bare}`);
  } finally {
    await stopStudiesServer(server);
  }
});

test('studies: a note queued offline is sent to the study it was written in, after switching', PHONE, async ({ page, context }) => {
  const server = await startStudiesServer();
  try {
    const { gouda, zwolle } = server.slug;
    const posts = [];
    page.on('request', (r) => { if (r.method() === 'POST') posts.push(new URL(r.url()).pathname); });
    await openAtPicker(page, server);
    await pickStudy(page, zwolle);
    await waitUntil(async () => (await page.locator('#note-area option').count()) === 3, "Zwolle's areas");
    await page.evaluate(() => navigator.serviceWorker && navigator.serviceWorker.ready);
    await waitUntil(() => page.evaluate(() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)), 'the service worker to control the page');

    await context.setOffline(true);
    await waitUntil(async () => (await page.locator('#net').textContent()) === 'Offline', 'the page to show it is offline');
    const text = `Browsertest: offline in Zwolle ${randomUUID()}`;
    await fillNote(page, { text, area: 'area:zwolle-zuid' });
    await page.locator('#note-form button[type=submit]').click();
    await waitUntil(async () => (await toastText(page)).includes('Bewaard op dit toestel'), 'the note to be kept on the device');
    const queued = await page.evaluate(() => JSON.parse(localStorage.getItem('parlog.outbox.v1')));
    assert(queued.length === 1 && queued[0].study === zwolle, `the queued note names its study: ${JSON.stringify(queued.map((x) => x.study))}`);

    // Another study while still offline (the picker works from what the session knew).
    await switchStudy(page, gouda);
    await page.locator('#view-note').waitFor({ state: 'visible' });
    assert((await page.locator('#outbox-count').textContent()) === '1', 'the note still waits');
    assert((await page.locator('#outbox-list').textContent()).includes(ZWOLLE_NAME), 'the waiting note says it is for Zwolle');

    await context.setOffline(false);
    await waitUntil(async () => page.locator('#outbox-button').isHidden(), 'the outbox to be sent and emptied', 30_000);
    assert(posts.includes(`/api/v1/studies/${zwolle}/events`) && !posts.includes(`/api/v1/studies/${gouda}/events`), `sent to Zwolle's events, not Gouda's: ${posts}`);
    const inZwolle = withText(await allEvents(server, 'makelaar', zwolle), text);
    assert(inZwolle.length === 1 && inZwolle[0].id === queued[0].event.id, `stored once in Zwolle's log, with its id: ${inZwolle.length}`);
    assert(withText(await allEvents(server, 'makelaar', gouda), text).length === 0, "nothing of it in Gouda's log");
    assert((await chosenStudy(page)) === gouda, 'the page stays in the study chosen');
  } finally {
    await stopStudiesServer(server);
  }
});

test("studies: a source reference of another of the token's studies (#/event/N?study=...) opens there", PHONE, async ({ page }) => {
  const server = await startStudiesServer();
  try {
    const { gouda, zwolle } = server.slug;
    await openAtPicker(page, server);
    await pickStudy(page, gouda);
    await assertStudyShown(page, server.study(gouda));
    const first = (await api(server, 'makelaar', 'GET', `/api/v1/studies/${zwolle}/events?from=1&limit=1`)).events[0];
    // As the retrospective's HTML links it: the server's page, the event and its study.
    await page.goto(`${server.base}/#/event/1?study=${zwolle}`);
    await page.locator('#view-event').waitFor({ state: 'visible' });
    await waitUntil(async () => (await chosenStudy(page)) === zwolle, 'Zwolle chosen');
    await assertStudyShown(page, server.study(zwolle));
    await waitUntil(async () => (await page.locator('#event-body').textContent()).includes(first.author), "Zwolle's first event");
  } finally {
    await stopStudiesServer(server);
  }
});

test('outbox: a note queued by the previous version (no study) goes to the old route; one study needs no picker', PHONE, async ({ page, server }) => {
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST') posts.push(new URL(r.url()).pathname); });
  await page.goto(server.base);
  await page.locator('#signin').waitFor({ state: 'visible' });
  const text = `Browsertest: uit de vorige versie ${randomUUID()}`;
  const id = randomUUID();
  await page.evaluate(({ id, text }) => localStorage.setItem('parlog.outbox.v1', JSON.stringify([{
    participant: 'makelaar-noord-a', queued_at: new Date().toISOString(), attempts: 0,
    event: { id, stream: 'notes:makelaar-noord-a', kind: 'ObservationRecorded', occurred_at: new Date().toISOString(), payload: { area: 'area:noord' }, sealed: { text } },
  }])), { id, text });
  await signIn(page, server, 'makelaar');
  await waitUntil(async () => page.locator('#outbox-button').isHidden(), 'the old note to be sent');
  assert(posts.includes('/api/v1/events'), `sent to the old route, the alias of the only study: ${posts}`);
  const stored = withText(await allEvents(server, 'makelaar'), text);
  assert(stored.length === 1 && stored[0].id === id, `stored once, with its id: ${stored.length}`);

  // One study: chosen without asking, named in the header, nothing to switch to or compare.
  const [only] = (await api(server, 'makelaar', 'GET', '/api/v1/studies')).studies;
  assert(await page.locator('#view-studies').isHidden(), 'no picker for one study');
  await assertStudyShown(page, only);
  assert(await page.locator('#study-switch').isHidden(), 'no other study to switch to');
  assert((await page.locator('#tab-list a[data-view="compare"]').count()) === 0, 'no comparison with one study');
});

test('compare: two studies side by side in the page, downloaded as Markdown and HTML', LAPTOP, async ({ page }) => {
  const server = await startStudiesServer();
  try {
    const { gouda, zwolle } = server.slug;
    const asked = [];
    page.on('request', (r) => { const u = new URL(r.url()); if (u.pathname === '/api/v1/compare') asked.push(u.searchParams); });
    await openAtPicker(page, server);
    await pickStudy(page, gouda);
    const tabs = await page.locator('#tab-list a').allTextContents();
    assert(tabs.includes('Vergelijken'), `a Compare tab with two studies: ${tabs}`);
    await go(page, 'compare');
    assert((await page.locator('#compare-studies input:checked').count()) === 2, 'both studies chosen to start with');
    await page.locator('#compare-doc.loaded').waitFor({ timeout: 30_000 });
    const shown = await page.evaluate(() => document.querySelector('#compare-doc').shadowRoot.textContent);
    assert(shown.includes(gouda) && shown.includes(zwolle), `the report in the page cites both studies: ${shown.slice(0, 200)}`);
    const q = asked[asked.length - 1];
    assert(q.get('format') === 'html' && q.get('studies').split(',').sort().join() === [gouda, zwolle].sort().join(), `GET /compare?studies=…&format=html: ${q}`);

    const [md] = await Promise.all([page.waitForEvent('download'), page.locator('#compare-download-md').click()]);
    assert(md.suggestedFilename().endsWith('.md'), `a Markdown file: ${md.suggestedFilename()}`);
    const mdText = fs.readFileSync(await md.path(), 'utf8');
    assert(mdText.includes(gouda) && mdText.includes(zwolle), `Markdown of both studies: ${mdText.slice(0, 120)}`);
    const [html] = await Promise.all([page.waitForEvent('download'), page.locator('#compare-download-html').click()]);
    assert(html.suggestedFilename().endsWith('.html'), `an HTML file: ${html.suggestedFilename()}`);
    const htmlText = fs.readFileSync(await html.path(), 'utf8');
    assert(/^<!doctype html>/i.test(htmlText) && htmlText.includes(zwolle), 'HTML of both studies');

    // One study is no comparison: said in the page, not asked of the server.
    const before = asked.length;
    await page.locator(`#compare-studies input[value="${zwolle}"]`).uncheck();
    await page.locator('#compare-show').click();
    await waitUntil(async () => (await page.locator('#compare-status').textContent()).includes('minstens twee'), 'a message to choose two or more');
    assert(asked.length === before, 'no request for one study');
  } finally {
    await stopStudiesServer(server);
  }
});

// axe-core is injected as a script, which the page's Content-Security-Policy forbids: these tests
// let the browser bypass it, as the other accessibility tests do.
for (const [size, options] of [['phone', PHONE], ['desktop', LAPTOP]]) test(`accessibility: no axe finding in the study picker and the compare view on a ${size}`, { ...options, bypassCSP: true }, async ({ page }) => {
  const server = await startStudiesServer();
  try {
    await openAtPicker(page, server);
    const problems = (await accessibilityProblems(page)).map((p) => `picker: ${p}`);
    await pickStudy(page, server.slug.gouda);
    await go(page, 'compare');
    await page.locator('#compare-doc.loaded').waitFor({ timeout: 30_000 });
    problems.push(...(await accessibilityProblems(page)).map((p) => `compare: ${p}`));
    // The picker again from the header, with a study chosen (the current one marked).
    await page.locator('#study-switch').click();
    await page.locator('#view-studies').waitFor({ state: 'visible' });
    assert((await page.locator('#study-list button[aria-current="true"]').getAttribute('data-study')) === server.slug.gouda, 'the current study is marked');
    problems.push(...(await accessibilityProblems(page)).map((p) => `picker from the header: ${p}`));
    assert(problems.length === 0, `accessibility problems:\n        ${problems.join('\n        ')}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert(overflow <= 1, `the picker fits the screen (overflow ${overflow} px)`);
  } finally {
    await stopStudiesServer(server);
  }
});

// ---- screenshots for people to look at -------------------------------------------------------

// ---- the workbench (issue 14): notes, events, coding ------------------------------------------

// The notes browser shows its first page (or says it found none).
async function notesLoaded(page) {
  await waitUntil(async () => (await page.locator('#view-notes').getAttribute('aria-busy')) === null && /\d|Geen|No /.test(await page.locator('#notes-status').textContent()), 'the notes browser to load');
}

// What the notes API answers for the same filters, as `role`.
async function notesApi(server, role, params) {
  return api(server, role, 'GET', `/api/v1/studies/gouda/notes?${new URLSearchParams(params)}`);
}

const shownNotes = (page) => page.locator('#notes-list > li').evaluateAll((l) => l.map((li) => li.dataset.id));

// A field note written through the API, as `role`, with `text`; its id.
async function postNote(server, role, text, payload = { area: 'area:oost' }) {
  const me = await api(server, role, 'GET', '/api/v1/me');
  const id = randomUUID();
  await api(server, role, 'POST', '/api/v1/studies/gouda/events', [{ id, stream: `notes:${me.participant}`, kind: 'ObservationRecorded', occurred_at: '2019-05-01T10:00:00+02:00', payload, sealed: { text } }]);
  return id;
}

async function openNote(page, id) {
  await page.evaluate((i) => { location.hash = `#/notes/${i}`; }, id);
  await page.locator('#view-noteview').waitFor({ state: 'visible' });
  await waitUntil(async () => (await page.locator(`#noteview-body li[data-id="${id}"]`).count()) === 1, 'the note on its page');
}

test('workbench: search, filter and load more in the notes browser on a phone', PHONE, async ({ page, server }) => {
  await signIn(page, server, 'researcher');
  await go(page, 'notes');
  await notesLoaded(page);
  const all = await notesApi(server, 'researcher', { limit: 50 });
  assert(all.total > 50, `the demo has more than a page of notes: ${all.total}`);
  assert(JSON.stringify(await shownNotes(page)) === JSON.stringify(all.notes.map((n) => n.id)), 'the first page, newest first, as the API gives it');
  await page.locator('#notes-more').click();
  await waitUntil(async () => (await shownNotes(page)).length === Math.min(100, all.total), 'a second page after "meer laden"');

  // Search: the words go into the address, and the list is what the API finds.
  await page.locator('#notes-f-q').fill('klusbank');
  await page.locator('#notes-filters button[type=submit]').click();
  await waitUntil(() => page.url().includes('q=klusbank'), 'the search in the address');
  const found = await notesApi(server, 'researcher', { q: 'klusbank', limit: 50 });
  assert(found.total > 0 && found.total < all.total, `the search finds some notes: ${found.total}`);
  await waitUntil(async () => JSON.stringify(await shownNotes(page)) === JSON.stringify(found.notes.map((n) => n.id)), 'the notes found');
  assert((await page.locator('#notes-status').textContent()).includes(String(found.total)), 'the status says how many');

  // A filter on top, from the folded filters; the link can be opened again as it is.
  await page.locator('#notes-more-filters > summary').click();
  await page.locator('#notes-f-q').fill('');
  await page.locator('#notes-f-area').selectOption('area:oost');
  await page.locator('#notes-f-kind-observation').check();
  await page.locator('#notes-filters button[type=submit]').click();
  await waitUntil(() => page.url().includes('area=area%3Aoost') && page.url().includes('kind=observation'), 'the filters in the address');
  const oost = await notesApi(server, 'researcher', { area: 'area:oost', kind: 'observation', limit: 50 });
  await waitUntil(async () => JSON.stringify(await shownNotes(page)) === JSON.stringify(oost.notes.map((n) => n.id)), 'the field notes of Oost');
  // Oost and the neighbourhoods in it.
  assert(oost.total > 0 && oost.notes.every((n) => n.area && n.kind === 'ObservationRecorded'), 'the API filtered them');
  const link = page.url();
  await page.goto(`${server.base}/#/initiatives`);
  await page.goto(link);
  await notesLoaded(page);
  assert((await page.locator('#notes-f-area').inputValue()) === 'area:oost' && (await page.locator('#notes-f-kind-observation').isChecked()), 'a link opens the list with its filters in the form');
  await waitUntil(async () => JSON.stringify(await shownNotes(page)) === JSON.stringify(oost.notes.map((n) => n.id)), 'the same list from the link');

  // A count in a view opens the list it counts: the field notes of a research cycle.
  await go(page, 'cycles');
  await waitViewLoaded(page, 'cycles');
  const count = page.locator('#view-cycles a.count-link').first();
  const n = Number(/\d+/.exec(await count.textContent())[0]);
  await count.click();
  await page.locator('#view-notes').waitFor({ state: 'visible' });
  await notesLoaded(page);
  assert(/cycle=cycle%3A/.test(page.url()), `the cycle in the address: ${page.url()}`);
  await waitUntil(async () => (await shownNotes(page)).length === Math.min(n, 50), `the cycle's ${n} field notes listed`);
});

test('workbench: a source reference in a view opens its event, with its corrections', PHONE, async ({ page, server }) => {
  await signIn(page, server, 'researcher');
  await go(page, 'warnings');
  await waitViewLoaded(page, 'warnings');
  const ref = page.locator('#view-warnings a.src').first();
  const position = /#(\d+)/.exec(await ref.textContent())[1];
  await ref.click();
  await page.locator('#view-event').waitFor({ state: 'visible' });
  await waitUntil(async () => (await page.locator('#event-title').textContent()).includes(`#${position}`), `the event #${position}`);
  await waitUntil(async () => (await focusedId(page)) === 'event-title', "the focus on the event's heading");
  const e = (await api(server, 'researcher', 'GET', `/api/v1/studies/gouda/events?from=${position}&limit=1`)).events[0];
  await waitUntil(async () => (await page.locator('#event-body').textContent()).includes(e.author), 'the event with its author');

  // An amended event lists its correction, whose page links back to it.
  const log = await allEvents(server, 'researcher');
  const amended = log.find((x) => x.kind === 'EventAmended');
  const target = log.find((x) => x.id === amended.payload.target);
  await page.evaluate((p) => { location.hash = `#/event/${p}?study=gouda`; }, target.position);
  await waitUntil(async () => (await page.locator('#event-corrections + ol a.src').allTextContents()).includes(`#${amended.position}`), 'the correction listed under the event');
  await page.locator(`#event-corrections + ol a.src`).first().click();
  await waitUntil(async () => (await page.locator('#event-title').textContent()).includes(`#${amended.position}`), 'the correction itself');
  await page.locator('#event-body a[href^="#/event/"]', { hasText: /corrigeert/ }).click();
  await waitUntil(async () => (await page.locator('#event-title').textContent()).includes(`#${target.position}`), 'back to what it corrects');
});

test('workbench: a makelaar corrects and withdraws a field note, and sees its versions', PHONE, async ({ page, server }) => {
  const text = `Koffie in de buurtkamer ${randomUUID()}`;
  const id = await postNote(server, 'makelaar', text, { area: 'area:noord' });
  await signIn(page, server, 'makelaar');
  await openNote(page, id);
  assert(await page.locator('#noteview-coding').count() === 0, 'coding is for researchers');
  await page.locator('#noteview-amend > summary').click();
  await page.locator('#amend-text').fill(`${text} Met twee vrijwilligers.`);
  await page.locator('#amend-form button[type=submit]').click();
  await waitUntil(async () => (await page.locator('#amend-form .error').textContent()).length > 0, 'a reason is required');
  await page.locator('#amend-reason').fill('Aangevuld na het gesprek');
  await page.locator('#amend-form button[type=submit]').click();
  await waitUntil(async () => (await page.locator('#noteview-status').textContent()).includes('correctie is opgeslagen'), 'the correction saved');
  await page.locator('#noteview-history > summary').click();
  await waitUntil(async () => (await page.locator('#noteview-history li').count()) === 2, 'two versions in the history');
  assert((await page.locator('#noteview-history').textContent()).includes('Aangevuld na het gesprek'), 'the reason in the history');
  const note = await api(server, 'makelaar', 'GET', `/api/v1/studies/gouda/notes/${id}`);
  assert(note.revision === 1 && note.text === `${text} Met twee vrijwilligers.`, `the API reads the new text: ${JSON.stringify(note)}`);
  assert(note.history.length === 2 && note.history[1].reason === 'Aangevuld na het gesprek', `the API's history: ${JSON.stringify(note.history)}`);

  await page.locator('#noteview-retract > summary').click();
  await page.locator('#retract-reason').fill('Dubbel ingevoerd');
  await page.locator('#retract-form button[type=submit]').click();
  await waitUntil(async () => (await page.locator('#noteview-body .badge.warn').count()) === 1, 'the note marked as retracted');
  const gone = await api(server, 'makelaar', 'GET', `/api/v1/studies/gouda/notes/${id}`);
  assert(gone.retracted && gone.retracted.reason === 'Dubbel ingevoerd', `retracted: ${JSON.stringify(gone.retracted)}`);

  // Another makelaar's note has no such actions (the server refuses them too).
  const other = (await notesApi(server, 'makelaar', { kind: 'observation', limit: 50 })).notes.find((x) => x.author !== 'makelaar-noord-a');
  await openNote(page, other.id);
  assert(await page.locator('#noteview-amend').count() === 0, "no correcting another makelaar's note");
});

test('workbench: a researcher codes a passage after non-ASCII text, by selection and by keyboard, and writes a memo', PHONE, async ({ page, server }) => {
  // "é", "ë" and "😀" before the passage: one code point each, but 😀 is two UTF-16 units.
  const text = `Café ë 😀 — de buurtkamer gaat open. Tweede zin over 👍🏽 vrijwilligers. ${randomUUID()}`;
  const id = await postNote(server, 'researcher', text);
  const cp = (s) => Array.from(s).length;
  await signIn(page, server, 'researcher');
  await openNote(page, id);

  // With a selection in the text (a finger on a phone; here made in the page).
  await page.evaluate(() => {
    const el = document.querySelector('#view-noteview [data-text]');
    const node = el.firstChild;
    const i = node.textContent.indexOf('buurtkamer');
    const r = document.createRange();
    r.setStart(node, i);
    r.setEnd(node, i + 'buurtkamer'.length);
    getSelection().removeAllRanges();
    getSelection().addRange(r);
  });
  await waitUntil(async () => (await page.locator('#coding-preview').textContent()) === 'buurtkamer', 'the selection shown as the passage');
  await page.locator('#coding-new').fill('Ontmoeting ë');
  await page.locator('#coding-form button[type=submit]').click();
  await waitUntil(async () => (await page.locator('#noteview-status').textContent()).includes('gecodeerd'), 'the passage coded');
  await waitUntil(async () => (await page.locator('#view-noteview [data-text] mark').allTextContents()).includes('buurtkamer'), 'the passage marked in the text');
  let log = await allEvents(server, 'researcher');
  const defined = log.find((e) => e.kind === 'CodeDefined' && e.payload.name === 'Ontmoeting ë');
  assert(defined && defined.stream === 'code:ontmoeting-e', `the new code defined: ${JSON.stringify(defined)}`);
  let coded = log.filter((e) => e.kind === 'ExcerptCoded' && e.payload.source === id);
  assert(coded.length === 1, `one excerpt coded: ${coded.length}`);
  const { start, end } = coded[0].payload;
  assert(start === cp(text.slice(0, text.indexOf('buurtkamer'))) && end === start + 10, `code point offsets: ${start}-${end}`);
  assert(Array.from(text).slice(start, end).join('') === 'buurtkamer', 'the offsets land on the passage');
  assert(JSON.stringify(coded[0].payload.codes) === '["code:ontmoeting-e"]', `its code: ${coded[0].payload.codes}`);

  // With the keyboard alone: the second sentence, chosen from the list, and a code ticked.
  await page.locator('#noteview-title').focus();
  await tabTo(page, '#coding-sentence');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  const sentence = 'Tweede zin over 👍🏽 vrijwilligers.';
  await waitUntil(async () => (await page.locator('#coding-preview').textContent()) === sentence, 'the second sentence as the passage');
  await tabTo(page, '#coding-codes input[value="code:borging"]');
  await page.keyboard.press('Space');
  await tabTo(page, '#coding-form button[type=submit]');
  await page.keyboard.press('Enter');
  await waitUntil(async () => (await page.locator('#view-noteview [data-text] mark').count()) >= 2, 'the second passage marked');
  log = await allEvents(server, 'researcher');
  coded = log.filter((e) => e.kind === 'ExcerptCoded' && e.payload.source === id);
  const second = coded[coded.length - 1].payload;
  assert(second.start === cp(text.slice(0, text.indexOf(sentence))) && second.end === second.start + cp(sentence), `the sentence in code points: ${second.start}-${second.end}`);
  assert(JSON.stringify(second.codes) === '["code:borging"]', `its code: ${second.codes}`);
  // Typed offsets are code points too: the emoji is one character.
  await page.locator('#coding-start').fill(String(cp('Café ë ') + 1));
  await page.locator('#coding-end').fill(String(cp('Café ë 😀')));
  await waitUntil(async () => (await page.locator('#coding-preview').textContent()) === '😀', 'character 8 is the emoji');

  // The API gives the passages with the same offsets.
  const note = await api(server, 'researcher', 'GET', `/api/v1/studies/gouda/notes/${id}`);
  assert(note.excerpts.length === 2 && note.excerpts.some((x) => x.start === start && x.end === end), `the API's excerpts: ${JSON.stringify(note.excerpts)}`);

  // A memo on the note.
  await page.locator('#noteview-memo-fold > summary').click();
  await page.locator('#noteview-memo-title').fill('Ontmoeting');
  await page.locator('#noteview-memo-text').fill('De buurtkamer als plek waar mensen elkaar treffen.');
  await page.locator('#noteview-memo-form button[type=submit]').click();
  await waitUntil(async () => (await page.locator('#noteview-status').textContent()).includes('memo is opgeslagen'), 'the memo saved');
  const memo = (await allEvents(server, 'researcher')).find((e) => e.kind === 'MemoWritten' && e.payload.title === 'Ontmoeting');
  assert(memo && JSON.stringify(memo.payload.notes) === JSON.stringify([id]), `the memo is about the note: ${JSON.stringify(memo && memo.payload)}`);
  await waitUntil(async () => (await page.locator('#noteview-memos').count()) === 1, 'the memo shown with the note');
});

test('workbench: a correction made without a connection waits in the outbox and is sent once', PHONE, async ({ page, context, server }) => {
  const text = `Gesprek in de wijk ${randomUUID()}`;
  const id = await postNote(server, 'makelaar', text, { area: 'area:noord' });
  await signIn(page, server, 'makelaar');
  await openNote(page, id);
  await page.locator('#noteview-amend > summary').click();
  await context.setOffline(true);
  await waitUntil(async () => (await page.locator('#net').textContent()) === 'Offline', 'the page to show it is offline');
  await page.locator('#amend-text').fill(`${text} (r-017 was er ook)`);
  await page.locator('#amend-reason').fill('Aangevuld');
  await page.locator('#amend-form button[type=submit]').click();
  await waitUntil(async () => (await page.locator('#outbox-count').textContent()) === '1', 'the correction kept in the outbox');
  const queued = await page.evaluate(() => JSON.parse(localStorage.getItem('parlog.outbox.v1')));
  assert(queued.length === 1 && queued[0].event.kind === 'EventAmended' && queued[0].event.payload.target === id, `the outbox holds the correction: ${JSON.stringify(queued)}`);
  await context.setOffline(false);
  await waitUntil(async () => page.locator('#outbox-button').isHidden(), 'the outbox to be sent and emptied', 30_000);
  const stored = (await allEvents(server, 'makelaar')).filter((e) => e.kind === 'EventAmended' && e.payload.target === id);
  assert(stored.length === 1 && stored[0].id === queued[0].event.id, `the correction stored once with its id: ${stored.length}`);
  const note = await api(server, 'makelaar', 'GET', `/api/v1/studies/gouda/notes/${id}`);
  assert(note.text === `${text} (r-017 was er ook)` && note.revision === 1, `the new text: ${note.text}`);
});

test('workbench: a source reference in the retrospective shown in the page opens its event', LAPTOP, async ({ page, server }) => {
  await signIn(page, server, 'researcher');
  await go(page, 'retro');
  await page.locator('#retro-doc h1').waitFor({ timeout: 30_000 });
  // The server's report links each source to the web interface's event page (/#/event/N?study=...).
  const ref = page.locator('#retro-doc a.src[href*="#/event/"]').first();
  const href = await ref.getAttribute('href');
  const position = /#\/event\/(\d+)/.exec(href)[1];
  assert(href.includes('study=gouda'), `the link names its study: ${href}`);
  await ref.click();
  await page.locator('#view-event').waitFor({ state: 'visible' });
  await waitUntil(async () => (await page.locator('#event-title').textContent()).includes(`#${position}`), `the event #${position}`);
});

test('accessibility: no axe finding in the notes browser, a note with its forms open, an event and the codebook, on a phone', { ...PHONE, bypassCSP: true }, async ({ page, server }) => {
  const id = await postNote(server, 'researcher', 'Toegankelijk: een notitie met een fragment.');
  await signIn(page, server, 'researcher');
  const problems = [];
  await go(page, 'notes');
  await notesLoaded(page);
  await openFolds(page, 'notes');
  problems.push(...(await accessibilityProblems(page)).map((p) => `notes: ${p}`));
  await openNote(page, id);
  await openFolds(page, 'noteview');
  problems.push(...(await accessibilityProblems(page)).map((p) => `note: ${p}`));
  await page.evaluate(() => { location.hash = '#/event/20'; });
  await page.locator('#event-payload').waitFor();
  problems.push(...(await accessibilityProblems(page)).map((p) => `event: ${p}`));
  await go(page, 'signals');
  await waitViewLoaded(page, 'signals');
  await page.locator('#view-signals a.count-link').first().click();
  await page.locator('#events-list > li').first().waitFor();
  problems.push(...(await accessibilityProblems(page)).map((p) => `events: ${p}`));
  await go(page, 'codebook');
  await waitViewLoaded(page, 'codebook');
  await openFolds(page, 'codebook');
  problems.push(...(await accessibilityProblems(page)).map((p) => `codebook: ${p}`));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 1) problems.push(`codebook: the page scrolls sideways by ${overflow} px`);
  assert(problems.length === 0, `accessibility problems:\n        ${problems.join('\n        ')}`);
});

test('workbench: a researcher reads the agreement between coders in the codebook; a makelaar does not see it', { ...PHONE, bypassCSP: true }, async ({ page, server }) => {
  await signIn(page, server, 'researcher');
  await go(page, 'codebook');
  await waitViewLoaded(page, 'codebook');
  await page.locator('#cb-agreement > summary').click();
  const table = page.locator('#cb-agreement table.agreement-table').first();
  await table.waitFor();
  const row = table.locator('tbody tr', { hasText: 'eigenaarschap' });
  const cells = await row.locator('td').allTextContents();
  // The demo's double coding: GGD and TNO on four notes; eigenaarschap kappa 0.884.
  assert(cells[1] === '0,88', `eigenaarschap's kappa in Dutch: ${JSON.stringify(cells)}`);
  const caption = await table.locator('caption').textContent();
  assert(/onderzoeker GGD/.test(caption) && /onderzoeker TNO/.test(caption), `the table names both coders: ${caption}`);
  await page.locator('#cb-agreement details > summary').first().click();
  const link = page.locator('#cb-agreement .disagreements a', { hasText: '#136' }).first();
  assert((await link.getAttribute('href')) === '#/event/136', 'a disagreement opens its note\'s event');
  const problems = await accessibilityProblems(page);
  assert(problems.length === 0, `accessibility problems:\n        ${problems.join('\n        ')}`);
  await signIn(page, server, 'makelaar');
  await go(page, 'codebook');
  await waitViewLoaded(page, 'codebook');
  assert((await page.locator('#cb-agreement').count()) === 0, 'a makelaar sees no agreement (it quotes coded text)');
});

test('workbench: the notes downloaded as CSV with the filters, named after the study', LAPTOP, async ({ page, server }) => {
  await signIn(page, server, 'researcher');
  await page.evaluate(() => { location.hash = '#/notes?area=area%3Aoost'; });
  await notesLoaded(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#notes-csv').click()]);
  assert(download.suggestedFilename() === 'gouda-notes.csv', `the notes' file name: ${download.suggestedFilename()}`);
  const notes = fs.readFileSync(await download.path(), 'utf8');
  const expected = await api(server, 'researcher', 'GET', '/api/v1/studies/gouda/notes?area=area%3Aoost&format=csv&lang=nl');
  assert(notes === expected, 'the notes as the API gives them, with the filters');
});

test('workbench: a view downloaded as CSV, named after the study', LAPTOP, async ({ page, server }) => {
  await signIn(page, server, 'researcher');
  await go(page, 'initiatives');
  await waitViewLoaded(page, 'initiatives');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#view-initiatives [data-csv]').click()]);
  assert(download.suggestedFilename() === 'gouda-initiatives.csv', `the view's file name: ${download.suggestedFilename()}`);
  assert(fs.readFileSync(await download.path(), 'utf8').split('\n').length > 5, 'the initiatives as rows');
});

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
