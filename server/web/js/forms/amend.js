// Correcting and withdrawing a note: EventAmended (the whole new payload, checked by the server
// against the note's kind, and for a field note's text a sealed part with the new text, sealed
// to the same data subjects as the original) and EventRetracted, each with a reason, written to
// the note's own stream. The log keeps every version; the note's page shows them.
import { S } from '../state.js';
import { $, h, toast } from '../dom.js';
import { t } from '../texts.js';
import { rfc3339 } from '../format.js';
import { errorText } from '../http.js';
import { newId, submit } from '../outbox.js';
import { vocabulary, label, areaItems, invalidateAll } from '../catalog.js';
import { formError, options, checkList, checked, applyLimits } from './fields.js';

// Sends `events` from `form` through the outbox; `done(message)` after the server took them (or
// they wait in the outbox); a refusal is said in the form.
export async function sendFrom(form, events, savedMsg, done) {
  const button = $('button[type=submit]', form);
  if (button.getAttribute('aria-disabled') === 'true') return;
  button.setAttribute('aria-disabled', 'true');
  formError(form, null);
  try {
    const result = await submit(events);
    const msg = result === 'stored' ? savedMsg : t('note.queued');
    if (result === 'stored') invalidateAll();
    toast(msg, result === 'stored' ? 'ok' : 'warn', { live: false });
    done(msg, result);
  } catch (e) {
    formError(form, errorText(e));
  } finally {
    button.removeAttribute('aria-disabled');
  }
}

// The payload the note has now: the last version's, or the one recorded.
export function currentPayload(n, event) {
  const steps = (n.history || []).filter((s) => s.payload && typeof s.payload === 'object');
  const last = steps[steps.length - 1];
  return Object.assign({}, last ? last.payload : event.payload);
}

function textField(id, key, value, rows, limitName) {
  return h('div', { class: 'field' },
    h('label', { for: id, text: t(key) }),
    rows ? h('textarea', { id, rows: String(rows), 'data-limit': limitName || 'long_text_chars_max', text: value || '' })
      : h('input', { id, type: 'text', 'data-limit': limitName || 'short_text_chars_max', value: value || '', autocomplete: 'off' }));
}

function reasonField(id) {
  return h('div', { class: 'field' },
    h('label', { for: id, text: t('amend.reason') }),
    h('textarea', { id, rows: '2', required: true, 'data-limit': 'long_text_chars_max', 'aria-describedby': `${id}-help` }),
    h('p', { class: 'help', id: `${id}-help`, text: t('amend.reason.help') }));
}

export function amendForm(n, event, done) {
  const p = currentPayload(n, event);
  const kind = n.kind;
  const fields = [];
  if (kind === 'ObservationRecorded') {
    if (n.text_state === 'readable') fields.push(textField('amend-text', 'note.text', n.text, 8));
    fields.push(textField('amend-topic', 'note.topic', p.topic || ''));
    const area = h('select', { id: 'amend-area' });
    options(area, [{ items: areaItems() }], { placeholder: t('none') });
    area.value = p.area || '';
    const ini = h('select', { id: 'amend-initiative' });
    const all = ((S.cache.initiatives && S.cache.initiatives.data.initiatives) || []).slice().sort((a, b) => a.name.localeCompare(b.name, 'nl'));
    options(ini, [{ items: all.map((i) => ({ value: i.id, text: i.area_name ? `${i.name} (${i.area_name})` : i.name })) }], { placeholder: t('none') });
    ini.value = p.initiative || '';
    fields.push(h('div', { class: 'row2' },
      h('div', { class: 'field' }, h('label', { for: 'amend-area', text: t('note.area') }), area),
      h('div', { class: 'field' }, h('label', { for: 'amend-initiative', text: t('note.initiative') }), ini)));
    const health = h('div', { class: 'check-grid', id: 'amend-health' });
    checkList(health, vocabulary('health_dimension').map(({ id }) => ({ value: id, text: label('health_dimension', id) })), 'amend-health', { keep: false });
    for (const d of p.health || []) {
      const box = $(`input[value="${d}"]`, health);
      if (box) box.checked = true;
    }
    fields.push(h('fieldset', { class: 'field checks' }, h('legend', { text: t('note.health') }), health));
  } else if (kind === 'ReflectionRecorded') {
    fields.push(textField('amend-summary', 'refl.summary', p.summary || '', 4));
  } else if (kind === 'MemoWritten') {
    fields.push(textField('amend-title', 'memo.title', p.title || ''));
    fields.push(textField('amend-memo', 'memo.text', p.text || '', 6));
  }
  const form = h('form', { class: 'form', novalidate: true, id: 'amend-form' },
    h('p', { class: 'help', text: t('amend.help') }),
    fields,
    reasonField('amend-reason'),
    h('p', { class: 'error', role: 'alert', hidden: true }),
    h('button', { type: 'submit', class: 'primary', text: t('amend.submit') }));
  applyLimits(form);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const reason = $('#amend-reason').value.trim();
    if (!reason) return formError(form, t('amend.err.reason'), $('#amend-reason'));
    const np = Object.assign({}, p);
    const set = (k, v) => { if (v) np[k] = v; else delete np[k]; };
    let sealed = null;
    if (kind === 'ObservationRecorded') {
      set('topic', $('#amend-topic').value.trim());
      set('area', $('#amend-area').value);
      set('initiative', $('#amend-initiative').value);
      const hd = checked($('#amend-health'));
      set('health', hd.length ? hd : null);
      const box = $('#amend-text');
      if (box) {
        if (!box.value.trim()) return formError(form, t('note.err.text'), box);
        // A new text is sealed like the first: to the same people, so that forgetting one of
        // them forgets every version.
        if (box.value !== n.text) {
          sealed = { text: box.value };
          const subjects = event.sealed && event.sealed.subjects;
          if (subjects && subjects.length) sealed.subjects = subjects;
        }
      }
    } else if (kind === 'ReflectionRecorded') {
      set('summary', $('#amend-summary').value.trim());
    } else if (kind === 'MemoWritten') {
      const title = $('#amend-title').value.trim();
      const text = $('#amend-memo').value.trim();
      if (!title) return formError(form, t('form.err.required'), $('#amend-title'));
      if (!text) return formError(form, t('form.err.required'), $('#amend-memo'));
      np.title = title;
      np.text = text;
    }
    const e = { id: newId(), stream: event.stream, kind: 'EventAmended', occurred_at: rfc3339(new Date()), payload: { target: n.id, payload: np, reason } };
    if (sealed) e.sealed = sealed;
    sendFrom(form, [e], t('amend.saved'), done);
  });
  return h('details', { class: 'fold', id: 'noteview-amend' }, h('summary', { text: t('amend.title') }), form);
}

export function retractForm(n, event, done) {
  const form = h('form', { class: 'form', novalidate: true, id: 'retract-form' },
    h('p', { class: 'help', text: t('retract.help') }),
    reasonField('retract-reason'),
    h('p', { class: 'error', role: 'alert', hidden: true }),
    h('button', { type: 'submit', class: 'danger', text: t('retract.submit') }));
  applyLimits(form);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const reason = $('#retract-reason').value.trim();
    if (!reason) return formError(form, t('amend.err.reason'), $('#retract-reason'));
    const e = { id: newId(), stream: event.stream, kind: 'EventRetracted', occurred_at: rfc3339(new Date()), payload: { target: n.id, reason } };
    sendFrom(form, [e], t('retract.saved'), done);
  });
  return h('details', { class: 'fold', id: 'noteview-retract' }, h('summary', { text: t('retract.title') }), form);
}
