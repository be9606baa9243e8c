// One event of the log (#/event/<position> or #/event/<id>), where every source reference leads:
// its kind, dates, author and stream, its payload in words, its sealed text if the role reads
// it, the corrections made to it (read from its stream: a correction is written to the stream of
// what it corrects) and links to what it refers to. And the list of the events a count counts
// (#/events?p=12,30,41).
import { S } from '../state.js';
import { $, h, append } from '../dom.js';
import { t } from '../texts.js';
import { fmtDay, fmtDateTime } from '../format.js';
import { getJson, query, errorText, studyPath } from '../http.js';
import { label, limit } from '../catalog.js';
import { eventHref, notesHref, readsNotes, EVENTS_LISTED_MAX } from '../links.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STREAM = /^([a-z]+):([a-z0-9][a-z0-9._-]*)$/;
const NOTE_KINDS = ['ObservationRecorded', 'ReflectionRecorded', 'MemoWritten'];
const CORRECTION_PAGES_MAX = 20; // pages of the stream read for corrections
// The notes browser's filter for a stream that names a thing notes are about.
const STREAM_FILTER = { area: 'area', initiative: 'initiative', cycle: 'cycle', code: 'code', participant: 'author' };

const st = { seq: 0 };

export function kindLabel(kind) {
  const k = `kind.${kind}`;
  const s = t(k);
  return s === k ? kind : s;
}

// One event by position (a number) or id.
export async function fetchEvent(ref) {
  if (/^\d+$/.test(ref)) {
    const page = await getJson(studyPath(`/events${query({ from: ref, limit: 1 })}`));
    const e = page.events && page.events[0];
    if (!e || String(e.position) !== String(ref)) throw new Error(t('event.missing', { v: ref }));
    return e;
  }
  return getJson(studyPath(`/events/${encodeURIComponent(ref)}`));
}

export async function openEvent(ref) {
  const seq = ++st.seq;
  const epoch = S.epoch;
  const status = $('#event-status');
  status.textContent = t('loading');
  status.classList.remove('error');
  $('#event-body').replaceChildren();
  $('#event-title').textContent = ref && /^\d+$/.test(ref) ? `${t('view.event')} #${ref}` : t('view.event');
  // A link from another study's report that this token cannot open (nav.js entered the study
  // when it could): not this study's event of the same number.
  const want = new URLSearchParams((location.hash.split('?')[1]) || '').get('study');
  if (want && want !== S.study.slug) {
    status.textContent = t('event.otherstudy', { v: want });
    status.classList.add('error');
    return;
  }
  try {
    const e = await fetchEvent(ref);
    const corrections = await correctionsOf(e);
    if (seq !== st.seq || epoch !== S.epoch) return;
    $('#event-title').textContent = `${kindLabel(e.kind)} · #${e.position}`;
    append($('#event-body'), [renderEvent(e, corrections)]);
    status.textContent = '';
  } catch (err) {
    if (seq !== st.seq || epoch !== S.epoch) return;
    status.textContent = errorText(err);
    status.classList.add('error');
  }
}

// The corrections of `e`: the amendments and retractions after it in its stream that name it.
async function correctionsOf(e) {
  if (['EventAmended', 'EventRetracted', 'SubjectForgotten'].includes(e.kind)) return [];
  const out = [];
  const page = limit('page_events_max') || 100;
  let from = (e.stream_version || 0) + 1;
  for (let i = 0; i < CORRECTION_PAGES_MAX; i += 1) {
    const d = await getJson(studyPath(`/streams/${encodeURIComponent(e.stream)}${query({ from_version: from, limit: page })}`));
    for (const x of d.events || []) if ((x.kind === 'EventAmended' || x.kind === 'EventRetracted') && x.payload && x.payload.target === e.id) out.push(x);
    if (!d.next_version || !(d.events || []).length) break;
    from = d.next_version;
  }
  return out;
}

// What the page knows a stream by: an area's, initiative's or code's name, a participant's label.
function nameOf(s) {
  const data = (name) => S.cache[name] && S.cache[name].data;
  const area = S.areas.get(s);
  if (area) return area.name;
  const ini = ((data('initiatives') || {}).initiatives || []).find((i) => i.id === s);
  if (ini) return ini.name;
  const code = ((data('codebook') || {}).codes || []).find((c) => c.id === s);
  if (code) return code.name;
  const node = ((data('network') || {}).nodes || []).find((n) => n.id === s);
  return node ? node.label : null;
}

function streamLink(s) {
  const m = STREAM.exec(s || '');
  const filter = m && STREAM_FILTER[m[1]];
  const name = nameOf(s);
  const words = [name ? h('span', { 'data-from-log': '', text: `${name} ` }) : null, h('code', { text: s })];
  if (!filter || !readsNotes()) return h('span', {}, words);
  return h('a', { href: notesHref({ [filter]: filter === 'author' ? m[2] : s }), 'aria-label': t('event.notes.about', { v: name ? `${name} ${s}` : s }) }, words);
}

// A payload value in words: event ids and streams become links, lists become lists.
function value(v, key) {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) {
    if (!v.length) return h('span', { class: 'muted', text: '—' });
    return h('ul', { class: 'plain values' }, v.map((x) => h('li', {}, value(x, key))));
  }
  if (typeof v === 'object') {
    return h('dl', { class: 'payload nested' }, Object.entries(v).flatMap(([k, x]) => [h('dt', { text: fieldLabel(k) }), h('dd', { 'data-from-log': '' }, value(x, k))]));
  }
  const s = String(v);
  if (UUID.test(s)) return h('a', { class: 'src', href: eventHref(s), text: t('event.ref', { v: s.slice(0, 8) }) });
  if (STREAM.test(s)) return streamLink(s);
  if (key === 'health') return label('health_dimension', s);
  if (key === 'kind') return label('insight_kind', s);
  if (key === 'stage') return label('initiative_stage', s);
  if (key === 'level') return label('level', s);
  if (key === 'route') return label('route', s);
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return fmtDay(s);
  return s;
}

function fieldLabel(k) {
  const key = `field.${k}`;
  const s = t(key);
  return s === key ? k.replace(/_/g, ' ') : s;
}

function sealedPart(e) {
  const s = e.sealed;
  if (!s) return null;
  let body;
  if (s.forgotten) body = h('p', { class: 'muted', text: t('notes.forgotten') });
  else if (s.data) {
    body = [
      s.data.text ? h('p', { class: 'text', text: s.data.text }) : null,
      s.data.quotes && s.data.quotes.length ? h('ul', {}, s.data.quotes.map((q) => h('li', {}, h('q', { text: q })))) : null,
      s.data.names && s.data.names.length ? h('p', { text: s.data.names.join(', ') }) : null,
    ];
  } else body = h('p', { class: 'muted', text: t('notes.withheld') });
  return h('section', { class: 'card', 'aria-labelledby': 'event-sealed' }, h('h2', { id: 'event-sealed', text: t('event.sealed') }), body);
}

function renderEvent(e, corrections) {
  const retracted = corrections.find((c) => c.kind === 'EventRetracted');
  const meta = [
    ['event.kind', kindLabel(e.kind)],
    ['event.occurred', fmtDateTime(e.occurred_at)],
    ['event.recorded', fmtDateTime(e.recorded_at)],
    ['event.author', e.author],
    ['event.stream', streamLink(e.stream)],
    ['event.position', `#${e.position}`],
  ];
  return [
    h('section', { class: 'card' },
      retracted ? h('p', { class: 'notice' }, h('strong', { text: `${t('notes.retracted.mark')}: ` }), retracted.payload.reason, ' ', h('a', { class: 'src', href: eventHref(retracted.position), text: `#${retracted.position}` })) : null,
      h('dl', { class: 'payload' }, meta.flatMap(([k, v]) => [h('dt', { text: t(k) }), h('dd', {}, v)])),
      NOTE_KINDS.includes(e.kind) && readsNotes() ? h('p', {}, h('a', { href: `#/notes/${e.id}`, text: t('event.opennote') })) : null,
      e.payload && e.payload.target ? h('p', {}, h('a', { href: eventHref(e.payload.target), text: t('event.target') })) : null),
    h('section', { class: 'card', 'aria-labelledby': 'event-payload' },
      h('h2', { id: 'event-payload', text: t('event.payload') }),
      value(e.payload)),
    sealedPart(e),
    h('section', { class: 'card', 'aria-labelledby': 'event-corrections' },
      h('h2', { id: 'event-corrections', text: t('event.corrections') }),
      corrections.length ? h('ol', { class: 'steps' }, corrections.map((c) => h('li', {},
        h('p', { class: 'meta' }, h('strong', { text: kindLabel(c.kind) }), ` · ${fmtDateTime(c.occurred_at)} · ${c.author} · `, h('a', { class: 'src', href: eventHref(c.position), text: `#${c.position}` })),
        h('p', {}, h('span', { class: 'muted', text: `${t('noteview.reason')}: ` }), c.payload.reason || ''),
        c.kind === 'EventAmended' ? value(c.payload.payload) : null,
        c.sealed && c.sealed.data && c.sealed.data.text ? h('p', { class: 'text version', text: c.sealed.data.text }) : null))) : h('p', { class: 'muted', text: t('event.corrections.none') })),
  ];
}

// ---- the events a count counts --------------------------------------------------------------

export async function openEvents(params) {
  const seq = ++st.seq;
  const epoch = S.epoch;
  const positions = (params.get('p') || '').split(',').filter((x) => /^\d+$/.test(x)).slice(0, EVENTS_LISTED_MAX);
  const status = $('#events-status');
  const list = $('#events-list');
  status.textContent = t('loading');
  status.classList.remove('error');
  list.replaceChildren();
  try {
    const events = await Promise.all(positions.map((p) => fetchEvent(p)));
    if (seq !== st.seq || epoch !== S.epoch) return;
    list.replaceChildren(...events.map((e) => h('li', { class: 'card' },
      h('h2', { class: 'title' }, h('a', { href: eventHref(e.position), text: `${kindLabel(e.kind)} · #${e.position}` })),
      h('p', { class: 'meta' }, `${fmtDateTime(e.occurred_at)} · ${e.author} · `, h('code', { text: e.stream })),
      summaryOf(e) ? h('p', { text: summaryOf(e) }) : null)));
    status.textContent = t('events.count', { n: events.length });
  } catch (err) {
    if (seq !== st.seq || epoch !== S.epoch) return;
    status.textContent = errorText(err);
    status.classList.add('error');
  }
}

// A line that says what an event is about.
function summaryOf(e) {
  const p = e.payload || {};
  const s = (e.sealed && e.sealed.data && e.sealed.data.text) || p.text || p.summary || p.description || p.theme || p.name || p.title || p.reason || p.topic || p.aspect || '';
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
