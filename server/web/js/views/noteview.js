// One note's page (#/notes/<id>): the note with its coded passages marked, its versions (the
// history GET /notes/{id} gives), the memos about it, and what the reader may do: correct or
// withdraw it (its author, or a researcher; the server checks it too), code a passage and write
// a memo (researchers).
import { S } from '../state.js';
import { $, h, append } from '../dom.js';
import { t } from '../texts.js';
import { fmtDay } from '../format.js';
import { getJson, errorText, studyPath } from '../http.js';
import { projection } from '../catalog.js';
import { srcLink, eventHref, passage } from '../links.js';
import { noteCard, noteTitle } from './notecard.js';
import { amendForm, retractForm } from '../forms/amend.js';
import { codingForm } from '../forms/coding.js';
import { memoForm } from '../forms/memo.js';

const st = { id: null, seq: 0 };

export function openNoteView(id) {
  st.id = id;
  load(id);
}

export async function load(id, { quiet = false, msg = '' } = {}) {
  const seq = ++st.seq;
  const epoch = S.epoch;
  const status = $('#noteview-status');
  if (!quiet) {
    status.textContent = t('loading');
    status.classList.remove('error');
  }
  $('#view-noteview').setAttribute('aria-busy', 'true');
  try {
    const [n, event] = await Promise.all([
      getJson(studyPath(`/notes/${encodeURIComponent(id)}?lang=${S.lang}`)),
      getJson(studyPath(`/events/${encodeURIComponent(id)}`)),
      projection('codebook').catch(() => null),
    ]);
    if (seq !== st.seq || epoch !== S.epoch) return;
    const active = document.activeElement && $('#noteview-body').contains(document.activeElement) ? document.activeElement.id : null;
    render(n, event);
    status.textContent = msg;
    status.classList.remove('error');
    // The focus stays on the field it was on; after saving (the form drawn anew), the heading.
    const back = active && document.getElementById(active);
    if (back) back.focus({ preventScroll: true });
    else if (msg) $('#noteview-title').focus();
  } catch (e) {
    if (seq !== st.seq || epoch !== S.epoch) return;
    // Drawn again and failed (the connection dropped): what was shown stays.
    if (!quiet) $('#noteview-body').replaceChildren();
    status.textContent = errorText(e);
    status.classList.add('error');
  } finally {
    if (seq === st.seq) $('#view-noteview').removeAttribute('aria-busy');
  }
}

// The note changed (a form here wrote to it, or the feed brought an event): drawn again, with
// what was open kept open.
export function reload(msg, result) {
  if (S.view !== 'noteview' || !st.id) return;
  // Kept in the outbox (no connection): the note as it was, and the line that says so.
  if (result === 'queued') {
    for (const f of document.querySelectorAll('#noteview-body form')) f.reset();
    $('#noteview-status').textContent = msg;
    $('#noteview-status').classList.remove('error');
    $('#noteview-title').focus();
    return;
  }
  load(st.id, { quiet: true, msg: typeof msg === 'string' ? msg : '' });
}

// The feed brought an event: drawn again unless the reader is filling in one of the forms
// (which would lose what was typed); it is drawn again after saving anyway.
export function liveReload() {
  if (S.view !== 'noteview' || !st.id) return;
  if ($('#noteview-body details[open] form')) return;
  load(st.id, { quiet: true });
}

function mayCorrect(n) {
  if (!S.me || S.study.archived) return false;
  if (S.me.role === 'researcher') return true;
  // A makelaar corrects their own field notes (the server allows their own notes stream only).
  return S.me.role === 'makelaar' && n.author === S.me.participant && /^notes:/.test(n.stream || '');
}

function render(n, event) {
  $('#noteview-title').textContent = noteTitle(n);
  const body = $('#noteview-body');
  const open = new Set(Array.from(body.querySelectorAll('details[open][id]')).map((d) => d.id));
  const researcher = S.me.role === 'researcher' && !S.study.archived;
  const readable = n.text_state === 'readable' && !!n.text;
  const card = noteCard(n, { full: true, headingLevel: 2 });
  body.replaceChildren();
  // The coding form right under the text: a passage selected there (on a phone, with a finger)
  // fills it in, in sight.
  append(body, [
    h('ul', { class: 'cards plain' }, card),
    researcher && readable && !n.retracted ? codingForm(n, $('[data-text]', card), reload) : null,
    excerptList(n),
    memosAbout(n),
    historyList(n),
    mayCorrect(n) && !n.retracted ? h('section', { class: 'card actions', 'aria-labelledby': 'noteview-actions' },
      h('h2', { id: 'noteview-actions', text: t('noteview.actions') }),
      amendForm(n, event, reload),
      retractForm(n, event, reload)) : null,
    researcher ? memoForm({ notes: [n.id], cycle: n.cycle || undefined, title: t('memo.on.note'), onSaved: reload, idPrefix: 'noteview-memo' }) : null,
    h('p', {}, h('a', { href: '#/notes', text: t('noteview.back') })),
  ]);
  for (const id of open) {
    const d = document.getElementById(id);
    if (d) d.open = true;
  }
}

function excerptList(n) {
  const xs = n.excerpts || [];
  if (!xs.length || !n.text) return null;
  return h('section', { class: 'card', 'aria-labelledby': 'noteview-coded' },
    h('h2', { id: 'noteview-coded', text: t('noteview.coded', { n: xs.length }) }),
    h('ul', { class: 'plain excerpts' }, xs.map((x) => h('li', {},
      h('blockquote', { class: 'passage', 'data-from-log': '', text: passage(n.text, x.start, x.end) }),
      h('p', { class: 'meta' }, (x.codes || []).map((c) => c.name).join(', '), ' · ', x.by || '', x.date ? ` · ${fmtDay(x.date)}` : '', ' · ', srcLink({ position: x.position, date: x.date }))))));
}

function memosAbout(n) {
  const cb = S.cache.codebook && S.cache.codebook.data;
  const memos = ((cb && cb.memos) || []).filter((m) => (m.notes || []).some((x) => x === n.id || x.id === n.id));
  if (!memos.length) return null;
  return h('section', { class: 'card', 'aria-labelledby': 'noteview-memos' },
    h('h2', { id: 'noteview-memos', text: t('codebook.memos') }),
    h('ul', { class: 'plain memos' }, memos.map((m) => h('li', {},
      h('h3', { text: m.title, 'data-from-log': '' }), h('p', { text: m.text, 'data-from-log': '' }),
      h('p', { class: 'meta' }, m.by_label || m.by || '', ' · ', srcLink(m.src))))));
}

function historyList(n) {
  const steps = n.history || [];
  if (steps.length < 2) return null;
  return h('details', { class: 'card history', id: 'noteview-history' },
    h('summary', { text: t('noteview.history', { n: steps.length }) }),
    h('ol', { class: 'steps' }, steps.map((s) => h('li', { class: `step ${s.step}` },
      h('p', { class: 'meta' }, h('strong', { text: t(`noteview.step.${s.step}`) }), ' · ', fmtDay(s.date), s.by ? ` · ${s.by}` : '', ' · ',
        h('a', { class: 'src', href: eventHref(s.position), text: `#${s.position}` })),
      s.reason ? h('p', {}, h('span', { class: 'muted', text: `${t('noteview.reason')}: ` }), s.reason) : null,
      s.text ? h('p', { class: 'text version', text: s.text }) : null))));
}
