// The live feed: the chosen study's GET /api/v1/studies/{slug}/feed read with fetch
// (EventSource cannot send the token), its Server-Sent Events parsed here, reconnecting with
// Last-Event-ID so that nothing is skipped and nothing is taken twice. Viewers may not follow the
// feed; they poll the log's head instead. One feed runs at a time, for one study: choosing
// another stops it (stopLive, and the epoch that ends its loop) and starts the new study's.
// What an event means for the page is main.js's business (setFeedHandlers).
import { S, WRITES } from './state.js';
import { $ } from './dom.js';
import { t } from './texts.js';
import { sleep } from './format.js';
import { API, getJson, query, studyPath, unauthorized } from './http.js';

const FEED_STALL_MS = 45000; // the server sends a keep-alive comment every 15 s
const VIEWER_POLL_MS = 30000; // viewers may not follow the feed; they poll the log's head

// onEvent(e): a new event, in log order; onHeadMoved(): the log grew (viewers, who see no events).
let handlers = { onEvent: () => {}, onHeadMoved: () => {} };
export function setFeedHandlers(h) {
  handlers = h;
}

// ---- the Server-Sent Events format -------------------------------------------------------------

// Where the first complete block of `buf` ends, and how long its blank-line separator is.
function nextBlockEnd(buf) {
  const m = /\r?\n\r?\n/.exec(buf);
  return m ? { at: m.index, len: m[0].length } : null;
}

// One block's fields: {id, type, data}; comments (keep-alives) and unknown fields are skipped.
function parseBlock(block) {
  let id = null;
  let type = 'message';
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (!line || line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'id') id = value;
    else if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  return { id, type, data: data.join('\n') };
}

// ---- following the feed ------------------------------------------------------------------------

// The connection chip: offline, online, or live (the feed is connected).
export function renderNet() {
  const el = $('#net');
  const state = !S.online ? 'offline' : S.live ? 'live' : 'online';
  el.textContent = t(`net.${state}`);
  el.className = `chip net ${state}`;
  el.title = state === 'live' ? t('net.live.title') : '';
}

export function startLive() {
  if (!S.me || !S.study) return;
  if (S.me.role === 'viewer') {
    // Viewers may not follow the feed; a small projection's position tells when the log grew.
    clearInterval(S.pollTimer);
    S.pollTimer = setInterval(pollHead, VIEWER_POLL_MS);
    return;
  }
  runFeed(S.epoch);
}

export function stopLive() {
  if (S.feed) S.feed.abort();
  if (S.wakeFeed) S.wakeFeed();
  S.feed = null;
  S.live = false;
  clearInterval(S.pollTimer);
  renderNet();
}

// Reconnects at once: ends the current connection or the wait before the next one, or starts
// the loop if none runs for this session.
export function restartLive() {
  if (!S.me || !S.study || S.me.role === 'viewer') return;
  if (S.feed) S.feed.abort();
  if (S.wakeFeed) S.wakeFeed();
  if (S.feedLoop !== S.epoch) runFeed(S.epoch);
}

async function pollHead() {
  if (!S.me || !S.study || !S.online) return;
  const epoch = S.epoch;
  try {
    const before = S.head;
    const w = await getJson(studyPath(`/projections/warnings${query({ lang: S.lang })}`));
    if (epoch !== S.epoch) return; // another study's head
    if (w.as_of_position > before && before > 0) {
      S.head = w.as_of_position;
      handlers.onHeadMoved();
    }
    S.head = Math.max(S.head, w.as_of_position || 0);
  } catch (_) { /* next time */ }
}

// Follows the study's feed with fetch (EventSource cannot send the token), parsing the
// Server-Sent Events itself, and reconnects with Last-Event-ID so that nothing is skipped.
async function runFeed(epoch) {
  if (S.feedLoop === epoch) return;
  S.feedLoop = epoch;
  try {
    await followFeed(epoch);
  } finally {
    if (S.feedLoop === epoch) S.feedLoop = null;
  }
}

function pause(ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    S.wakeFeed = () => { clearTimeout(timer); resolve(); };
  });
}

async function followFeed(epoch) {
  // The study of this loop: a change of study bumps the epoch, which ends the loop below, so one
  // loop never reads two studies' feeds (their positions both count from 1).
  const feedUrl = API + studyPath('/feed');
  let backoff = 1000;
  while (S.me && epoch === S.epoch) {
    if (!S.online) {
      await pause(5000);
      continue;
    }
    const ctrl = new AbortController();
    S.feed = ctrl;
    let stall = null;
    const kick = () => {
      clearTimeout(stall);
      stall = setTimeout(() => ctrl.abort(), FEED_STALL_MS);
    };
    try {
      // Wait for the log's last page, so that the feed starts right after what was read.
      if (WRITES.includes(S.me.role) && !S.tailRead) {
        await waitFor(() => S.tailRead || epoch !== S.epoch, 20000);
        if (epoch !== S.epoch) return; // another study (or none) since: its own loop follows it
      }
      const headers = { Authorization: `Bearer ${S.token}`, Accept: 'text/event-stream' };
      if (S.feedPos > 0) headers['Last-Event-ID'] = String(S.feedPos);
      const res = await fetch(feedUrl, { headers, signal: ctrl.signal, cache: 'no-store' });
      if (res.status === 401) return unauthorized();
      if (res.status === 403) return; // this role does not follow the feed
      if (!res.ok) throw new Error(`feed: HTTP ${res.status}`);
      S.live = true;
      renderNet();
      backoff = 1000;
      kick();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        kick();
        buf += value;
        let cut;
        while ((cut = nextBlockEnd(buf)) !== null) {
          const block = buf.slice(0, cut.at);
          buf = buf.slice(cut.at + cut.len);
          onBlock(block, epoch);
        }
      }
    } catch (_) {
      /* aborted, offline or the server went away: reconnect below */
    } finally {
      clearTimeout(stall);
    }
    if (S.feed === ctrl) S.feed = null;
    if (!S.me || epoch !== S.epoch) return; // the live state is the next loop's to tell
    S.live = false;
    renderNet();
    await pause(backoff);
    backoff = Math.min(backoff * 2, 30000);
  }
}

async function waitFor(cond, ms) {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(100);
}

// One block of the feed: an event not seen before goes to the page, in order.
function onBlock(block, epoch) {
  const { id, type, data } = parseBlock(block);
  if (type !== 'event' || !data || epoch !== S.epoch) return;
  let e;
  try {
    e = JSON.parse(data);
  } catch (_) {
    return;
  }
  const pos = Number(id || e.position);
  if (pos && pos <= S.feedPos) return; // already seen (a reconnect that overlapped)
  if (pos) {
    S.feedPos = pos;
    S.head = Math.max(S.head, pos);
  }
  handlers.onEvent(e);
}
