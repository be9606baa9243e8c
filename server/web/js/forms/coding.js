// Coding a passage of a note: the passage is chosen by selecting it in the note's text (a finger
// on a phone, a mouse), or without a pointer by choosing a sentence or typing where it starts
// and ends; one or more codes are ticked, or a new one named (CodeDefined on code:<slug>, sent
// first). The ExcerptCoded event counts in Unicode code points, as the server does; the browser
// counts UTF-16 units (😀 is two of them), so the offsets are converted (links.js).
import { S } from '../state.js';
import { $, h } from '../dom.js';
import { t } from '../texts.js';
import { rfc3339 } from '../format.js';
import { newId } from '../outbox.js';
import { limit } from '../catalog.js';
import { toCodePoints, passage, codePointLength } from '../links.js';
import { formError, checkList, checked, applyLimits } from './fields.js';
import { sendFrom } from './amend.js';

// The note being coded: its text, the element that shows it, and how to set the fields.
let current = null;

// Sentences of a text as code point ranges, without the space after them.
export function sentences(text) {
  const out = [];
  const re = /[^.!?…\n]+[.!?…]*["'”’)]*/gu;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const raw = m[0];
    const lead = raw.length - raw.trimStart().length;
    const body = raw.trim();
    if (!body) continue;
    const a = m.index + lead;
    out.push({ start: toCodePoints(text, a), end: toCodePoints(text, a + body.length), text: body });
  }
  return out;
}

// A code's stream name from the name a researcher typed: lower case, no accents, dashes.
export function codeSlug(name) {
  const max = limit('id_chars_max') || 64;
  return name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, max).replace(/-+$/, '');
}

// Where the reader's selection lies in `el` (the note's text), in UTF-16 units; null when the
// selection is elsewhere or empty.
function selectionIn(el) {
  const sel = window.getSelection();
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
  const r = sel.getRangeAt(0);
  if (!el.contains(r.startContainer) || !el.contains(r.endContainer)) return null;
  const before = document.createRange();
  before.selectNodeContents(el);
  before.setEnd(r.startContainer, r.startOffset);
  const start = before.toString().length;
  return { start, end: start + r.toString().length };
}

let listening = false;
function listen() {
  if (listening) return;
  listening = true;
  document.addEventListener('selectionchange', () => {
    if (!current || !current.el.isConnected) return;
    const s = selectionIn(current.el);
    if (!s) return;
    current.set(toCodePoints(current.text, s.start), toCodePoints(current.text, s.end), { fromSelection: true });
  });
}

export function codingForm(n, textEl, done) {
  const text = n.text;
  const length = codePointLength(text);
  const codes = ((S.cache.codebook && S.cache.codebook.data.codes) || []).filter((c) => !c.merged_into).sort((a, b) => a.name.localeCompare(b.name, 'nl'));
  const list = h('div', { class: 'check-grid', id: 'coding-codes' });
  checkList(list, codes.map((c) => ({ value: c.id, text: c.name })), 'coding-code', { keep: false });
  const sents = sentences(text);
  const sentence = h('select', { id: 'coding-sentence' },
    h('option', { value: '', text: t('coding.sentence.none') }),
    sents.map((s, i) => h('option', { value: String(i), text: `${i + 1}. ${s.text.length > 70 ? `${s.text.slice(0, 70)}…` : s.text}` })));
  const start = h('input', { type: 'number', id: 'coding-start', min: '1', max: String(length), inputmode: 'numeric', 'aria-describedby': 'coding-range-help' });
  const end = h('input', { type: 'number', id: 'coding-end', min: '1', max: String(length), inputmode: 'numeric', 'aria-describedby': 'coding-range-help' });
  const preview = h('blockquote', { class: 'passage', id: 'coding-preview', 'aria-live': 'polite' });
  const form = h('form', { class: 'form', novalidate: true, id: 'coding-form' },
    h('p', { class: 'help', id: 'coding-help', text: t('coding.help') }),
    h('div', { class: 'field' }, h('label', { for: 'coding-sentence', text: t('coding.sentence') }), sentence),
    h('div', { class: 'row2' },
      h('div', { class: 'field' }, h('label', { for: 'coding-start', text: t('coding.start') }), start),
      h('div', { class: 'field' }, h('label', { for: 'coding-end', text: t('coding.end') }), end)),
    h('p', { class: 'help', id: 'coding-range-help', text: t('coding.range.help', { n: length }) }),
    h('p', { class: 'muted', id: 'coding-preview-label', text: t('coding.preview') }),
    preview,
    h('fieldset', { class: 'field checks' }, h('legend', { text: t('coding.codes') }), list),
    h('div', { class: 'field' },
      h('label', { for: 'coding-new', text: t('coding.new') }),
      h('input', { type: 'text', id: 'coding-new', 'data-limit': 'short_text_chars_max', autocomplete: 'off', 'aria-describedby': 'coding-new-help' }),
      h('p', { class: 'help', id: 'coding-new-help', text: t('coding.new.help') })),
    h('p', { class: 'error', role: 'alert', hidden: true }),
    h('button', { type: 'submit', class: 'primary', text: t('coding.submit') }));
  applyLimits(form);
  const fold = h('details', { class: 'card fold', id: 'noteview-coding' }, h('summary', { text: t('coding.title') }), form);

  // The passage as code point offsets [a, b): shown in the fields (1-based, inclusive) and below.
  const range = { a: null, b: null };
  const show = () => {
    if (range.a === null || range.b === null || range.b <= range.a) {
      preview.textContent = t('coding.preview.none');
      return;
    }
    preview.textContent = passage(text, range.a, range.b);
  };
  const set = (a, b, { fromSelection = false } = {}) => {
    range.a = Math.max(0, Math.min(a, length));
    range.b = Math.max(0, Math.min(b, length));
    start.value = String(range.a + 1);
    end.value = String(range.b);
    if (fromSelection) {
      sentence.value = '';
      fold.open = true;
    }
    show();
  };
  const fromFields = () => {
    const a = Number(start.value) - 1;
    const b = Number(end.value);
    range.a = Number.isInteger(a) && start.value !== '' ? a : null;
    range.b = Number.isInteger(b) && end.value !== '' ? b : null;
    show();
  };
  start.addEventListener('input', fromFields);
  end.addEventListener('input', fromFields);
  sentence.addEventListener('change', () => {
    const s = sents[Number(sentence.value)];
    if (s) set(s.start, s.end);
  });
  show();
  current = { el: textEl, text, set };
  listen();

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    fromFields();
    if (range.a === null || range.b === null || range.a < 0 || range.b > length || range.b <= range.a) {
      return formError(form, t('coding.err.range', { n: length }), start);
    }
    const chosen = checked(list);
    const events = [];
    const name = $('#coding-new').value.trim();
    if (name) {
      const slug = codeSlug(name);
      if (!slug) return formError(form, t('coding.err.name'), $('#coding-new'));
      const id = `code:${slug}`;
      const known = ((S.cache.codebook && S.cache.codebook.data.codes) || []).find((c) => c.id === id);
      if (!known) events.push({ id: newId(), stream: id, kind: 'CodeDefined', occurred_at: rfc3339(new Date()), payload: { name } });
      const into = known && known.merged_into ? known.merged_into : id;
      if (!chosen.includes(into)) chosen.push(into);
    }
    if (!chosen.length) return formError(form, t('coding.err.codes'), $('input', list) || $('#coding-new'));
    events.push({ id: newId(), stream: `coding:${S.me.participant}`, kind: 'ExcerptCoded', occurred_at: rfc3339(new Date()), payload: { source: n.id, codes: chosen, start: range.a, end: range.b } });
    sendFrom(form, events, t('coding.saved'), done);
  });
  return fold;
}
