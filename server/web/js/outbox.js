// The outbox: every event this page writes is kept in localStorage first, then sent, one event
// per request, oldest first; what the server has is taken out. The event id is fixed when the
// event is made (newId), so a retry after a lost answer is stored once: the server answers a
// repeated id with the original position. Network trouble and the server's 5xx/408/429 are
// retried every RETRY_INTERVAL_MS; any other refusal marks the event rejected, to be copied,
// removed, or sent again by hand.
//
// Each event is sent to the study it was written in (the item's `study`), not to the one the page
// shows when it is sent: a note written in Gouda while offline stays Gouda's after switching to
// Zwolle. Items of the client before studies have no `study`; they go to the old route
// /api/v1/events, which the server keeps for a token's only study (the one they were written in).
import { S, KEY, storageGet, storageSet } from './state.js';
import { $, h, toast } from './dom.js';
import { t } from './texts.js';
import { fmtDateTime, sleep } from './format.js';
import { request, studyPath, ApiError, NetError } from './http.js';
import { studyLabel } from './studies.js';

export const RETRY_INTERVAL_MS = 15000;

// crypto.randomUUID exists only in secure contexts (https, localhost); a phone on the local
// network over plain http has getRandomValues only.
export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// The items in localStorage, of every participant who wrote on this device (each sees their own):
// {participant, study, queued_at, event, attempts, rejected?, error?, status?}, keyed by the event id.
export const outbox = {
  all() {
    return storageGet(localStorage, KEY.outbox, []);
  },
  save(items) {
    return storageSet(localStorage, KEY.outbox, items);
  },
  add(item) {
    const items = this.all().filter((x) => x.event.id !== item.event.id);
    items.push(item);
    return this.save(items);
  },
  remove(id) {
    this.save(this.all().filter((x) => x.event.id !== id));
  },
  update(id, patch) {
    this.save(this.all().map((x) => (x.event.id === id ? Object.assign({}, x, patch) : x)));
  },
  mine() {
    return this.all().filter((x) => S.me && x.participant === S.me.participant);
  },
};

// Where an item is sent: its study's events, or the old route for an item without one.
function eventsPath(item) {
  return item.study ? studyPath('/events', item.study) : '/events';
}

function post(path, events) {
  return request(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(events) });
}

export function renderOutbox() {
  const items = S.me ? outbox.mine() : [];
  // With more than one study, each item says which one it goes to.
  const named = S.studies.length > 1;
  const n = items.length;
  $('#outbox-count').textContent = String(n);
  $('#outbox-button').hidden = n === 0;
  $('#outbox-button').classList.toggle('bad', items.some((x) => x.rejected));
  const card = $('#outbox-card');
  card.hidden = n === 0;
  $('#outbox-list').replaceChildren(...items.map((x) => {
    const p = x.event.payload;
    const text = (x.event.sealed && x.event.sealed.text) || p.aspect || p.summary || p.title || p.reason || p.name || x.event.kind;
    return h('li', { class: x.rejected ? 'outbox-item rejected' : 'outbox-item', 'data-id': x.event.id },
      h('div', { class: 'meta' }, fmtDateTime(x.event.occurred_at), named && x.study ? ` · ${t('outbox.study', { v: studyLabel(x.study) })}` : '', ' · ', x.rejected ? t('outbox.rejected') : t('outbox.waiting')),
      h('p', { class: 'excerpt', text: text.length > 160 ? `${text.slice(0, 160)}…` : text }),
      x.error ? h('p', { class: 'error', text: x.error }) : null,
      x.rejected ? h('div', { class: 'buttons' },
        h('button', { type: 'button', text: t('outbox.copy'), onclick: () => copyText(text) }),
        h('button', { type: 'button', class: 'danger', text: t('outbox.remove'), onclick: () => { if (confirm(t('outbox.remove.confirm'))) { outbox.remove(x.event.id); renderOutbox(); } } })) : null);
  }));
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast(t('outbox.copied'));
  } catch (_) { /* clipboard not allowed here */ }
}

function scheduleRetry() {
  clearTimeout(S.retryTimer);
  S.retryTimer = setTimeout(flushOutbox, RETRY_INTERVAL_MS);
}

// Sends what waits in the outbox, oldest first, one event per request so that one refused
// event does not hold up the others. Returns the ids stored in this round.
export async function flushOutbox() {
  const stored = new Set();
  if (!S.me || !S.token || S.flushing) return stored;
  if (!navigator.onLine) {
    if (outbox.mine().some((x) => !x.rejected)) scheduleRetry();
    return stored;
  }
  S.flushing = true;
  try {
    for (const item of outbox.mine()) {
      if (item.rejected) continue;
      try {
        await post(eventsPath(item), [item.event]);
        outbox.remove(item.event.id);
        stored.add(item.event.id);
      } catch (e) {
        if (e instanceof NetError || (e instanceof ApiError && (e.status >= 500 || e.status === 429 || e.status === 408))) {
          outbox.update(item.event.id, { attempts: (item.attempts || 0) + 1 });
          scheduleRetry();
          break;
        }
        if (e instanceof ApiError && e.status === 401) break;
        outbox.update(item.event.id, { rejected: true, error: e.message, status: e.status });
      }
    }
  } finally {
    S.flushing = false;
    renderOutbox();
  }
  if (outbox.mine().some((x) => !x.rejected)) scheduleRetry();
  if (stored.size && !S.submitting) toast(t(stored.size === 1 ? 'outbox.sent1' : 'outbox.sent', { n: stored.size }));
  return stored;
}

// Writes events from a form: into the outbox, then to the server. Returns 'stored', 'queued',
// or throws the server's refusal (the events are then taken out of the outbox again, so the
// person can correct the form and try again).
export async function submit(events) {
  const now = new Date().toISOString();
  // The study is fixed now, with the event's id: it is where the form was filled in.
  const study = S.study.slug;
  const kept = events.every((event) => outbox.add({ participant: S.me.participant, study, queued_at: now, event, attempts: 0 }));
  if (!kept) {
    // This browser keeps nothing (storage full or switched off): send straight away, or say so.
    for (const e of events) outbox.remove(e.id);
    try {
      await post(studyPath('/events', study), events);
      return 'stored';
    } catch (e) {
      if (e instanceof NetError) throw new NetError(t('err.notkept'));
      throw e;
    }
  }
  renderOutbox();
  while (S.flushing) await sleep(50);
  S.submitting = true;
  let stored;
  try {
    stored = await flushOutbox();
  } finally {
    S.submitting = false;
  }
  if (events.every((e) => stored.has(e.id))) return 'stored';
  const left = outbox.all().filter((x) => events.some((e) => e.id === x.event.id));
  const refused = left.find((x) => x.rejected);
  if (refused) {
    for (const e of events) outbox.remove(e.id);
    renderOutbox();
    throw new ApiError(refused.status || 400, refused.error);
  }
  return 'queued';
}

// The "send now" button: what the server refused is tried again too (it may have been fixed).
export function retryAll() {
  for (const x of outbox.mine()) if (x.rejected) outbox.update(x.event.id, { rejected: false, error: null });
  flushOutbox();
}
