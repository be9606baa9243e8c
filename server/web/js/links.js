// Addresses inside the page and links to them: every source reference opens its event
// (#/event/<position>), every count opens the list it counts (the notes browser with filters in
// the address, #/notes?cycle=..., or the events its sources name, #/events?p=12,30), and each
// view's table can be downloaded as CSV. Who may follow which link: the event log is not for
// viewers (the server answers 403), the notes are for makelaars and researchers.
import { S } from './state.js';
import { h } from './dom.js';
import { t } from './texts.js';
import { fmtDay } from './format.js';
import { request, errorText } from './http.js';

// ---- the address ---------------------------------------------------------------------------

// `#/notes/abc?area=x` -> {view: 'notes', arg: 'abc', params: URLSearchParams('area=x')}.
export function hashParts(hash = location.hash) {
  const m = /^#\/([a-z]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(hash);
  if (!m) return { view: null, arg: '', params: new URLSearchParams() };
  return { view: m[1], arg: m[2] ? decodeURIComponent(m[2]) : '', params: new URLSearchParams(m[3] || '') };
}

export function readsEvents() {
  return !!(S.me && ['makelaar', 'researcher', 'admin'].includes(S.me.role));
}
export function readsNotes() {
  return !!(S.me && ['makelaar', 'researcher'].includes(S.me.role));
}

// ---- source references ---------------------------------------------------------------------

export function eventHref(ref) {
  return `#/event/${encodeURIComponent(ref)}`;
}

// `#308 · 18 mrt 2019`, a link to the event where the role may read the log.
export function srcLink(src) {
  if (!src) return null;
  const text = src.date ? `#${src.position} · ${fmtDay(src.date)}` : `#${src.position}`;
  if (!readsEvents()) return h('span', { class: 'src', title: t('src') }, text);
  return h('a', { class: 'src', href: eventHref(src.position), 'aria-label': t('src.open', { v: text }) }, text);
}

// ---- counts --------------------------------------------------------------------------------

export function notesHref(filters = {}) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const q = p.toString();
  return `#/notes${q ? `?${q}` : ''}`;
}

// A count of notes (`text` says what it counts) as a link to the notes browser with `filters`.
export function notesCount(text, filters, cls) {
  if (!readsNotes()) return h('span', { class: cls, text });
  return h('a', { class: `count-link ${cls || ''}`, href: notesHref(filters), text });
}

// A count of other events as a link to the list of the events its sources name.
export function eventsCount(text, srcs, cls) {
  const positions = Array.from(new Set((srcs || []).filter(Boolean).map((s) => s.position))).sort((a, b) => a - b);
  if (!readsEvents() || !positions.length) return h('span', { class: cls, text });
  return h('a', { class: `count-link ${cls || ''}`, href: `#/events?p=${positions.slice(0, EVENTS_LISTED_MAX).join(',')}`, text });
}
export const EVENTS_LISTED_MAX = 50;

// ---- CSV -----------------------------------------------------------------------------------

// Downloads `path` (an API path that answers CSV) as `name`: the request needs the bearer token,
// so it is fetched and saved from a blob rather than opened as a link.
export async function downloadCsv(path, name, status) {
  if (status) {
    status.textContent = t('loading');
    status.classList.remove('error');
  }
  try {
    const res = await request(path);
    const blob = new Blob([await res.blob()], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    if (status) status.textContent = t('retro.downloaded', { f: name });
  } catch (e) {
    if (status) {
      status.textContent = errorText(e);
      status.classList.add('error');
    }
  }
}

// ---- text offsets --------------------------------------------------------------------------

// The server counts a text's characters as Unicode code points; JavaScript strings (and the
// browser's selections) count UTF-16 units, in which 😀 is two. These convert between them.
export function toCodePoints(text, utf16) {
  return Array.from(text.slice(0, utf16)).length;
}
export function toUtf16(text, codePoints) {
  let units = 0;
  let n = 0;
  for (const ch of text) {
    if (n >= codePoints) break;
    units += ch.length;
    n += 1;
  }
  return units;
}
// The passage between two code point offsets.
export function passage(text, start, end) {
  return text.slice(toUtf16(text, start), toUtf16(text, end));
}
export function codePointLength(text) {
  return Array.from(text).length;
}
