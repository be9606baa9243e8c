// A memo (MemoWritten) about a note, a code or a research cycle: a title and a text, with the
// notes (event ids), codes and cycle it is about. Researchers write them; each goes to the
// researcher's own memo stream (memo:<participant>), through the outbox.
import { S } from '../state.js';
import { $, h } from '../dom.js';
import { t } from '../texts.js';
import { rfc3339 } from '../format.js';
import { newId } from '../outbox.js';
import { formError, applyLimits } from './fields.js';
import { sendFrom } from './amend.js';

// `notes`, `codes`, `cycle`: what the memo is about; `title`: the fold's label; `idPrefix` keeps
// the ids of several memo forms on one page apart.
export function memoForm({ notes = [], codes = [], cycle, title, onSaved, idPrefix = 'memo' }) {
  const id = (x) => `${idPrefix}-${x}`;
  const form = h('form', { class: 'form memo-form', novalidate: true, id: id('form') },
    h('div', { class: 'field' },
      h('label', { for: id('title'), text: t('memo.title') }),
      h('input', { type: 'text', id: id('title'), 'data-limit': 'short_text_chars_max', autocomplete: 'off', required: true })),
    h('div', { class: 'field' },
      h('label', { for: id('text'), text: t('memo.text') }),
      h('textarea', { id: id('text'), rows: '5', 'data-limit': 'long_text_chars_max', required: true })),
    h('p', { class: 'error', role: 'alert', hidden: true }),
    h('button', { type: 'submit', class: 'primary', text: t('memo.submit') }));
  applyLimits(form);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const titleEl = $(`#${id('title')}`, form);
    const textEl = $(`#${id('text')}`, form);
    if (!titleEl.value.trim()) return formError(form, t('form.err.required'), titleEl);
    if (!textEl.value.trim()) return formError(form, t('form.err.required'), textEl);
    const payload = { title: titleEl.value.trim(), text: textEl.value.trim() };
    if (codes.length) payload.codes = codes;
    if (notes.length) payload.notes = notes;
    if (cycle) payload.cycle = cycle;
    const e = { id: newId(), stream: `memo:${S.me.participant}`, kind: 'MemoWritten', occurred_at: rfc3339(new Date()), payload };
    sendFrom(form, [e], t('memo.saved'), (msg, result) => {
      form.reset();
      if (onSaved) onSaved(msg, result);
    });
  });
  return h('details', { class: 'card fold', id: id('fold') }, h('summary', { text: title || t('memo.write') }), form);
}
