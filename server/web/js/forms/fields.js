// What the forms share: error messages, select and checkbox lists that keep what was chosen,
// required fields, and sending through the outbox.
import { $, $$, h, toast } from '../dom.js';
import { t } from '../texts.js';
import { errorText } from '../http.js';
import { submit } from '../outbox.js';
import { limit } from '../catalog.js';
import { fmtTime } from '../format.js';

export function formError(form, msg, field) {
  const el = $('.error[role=alert]', form);
  $$('[aria-invalid]', form).forEach((f) => f.removeAttribute('aria-invalid'));
  if (!msg) {
    el.hidden = true;
    el.textContent = '';
    return;
  }
  el.textContent = msg;
  el.hidden = false;
  if (field) {
    field.setAttribute('aria-invalid', 'true');
    field.focus();
  } else {
    el.scrollIntoView({ block: 'nearest' });
  }
}

export function options(select, groups, { placeholder, keep = true } = {}) {
  const before = keep ? select.value : '';
  const kids = [];
  if (placeholder !== undefined) kids.push(h('option', { value: '', text: placeholder }));
  for (const g of groups) {
    const opts = g.items.map((it) => h('option', { value: it.value, text: it.text }));
    if (!opts.length) continue;
    kids.push(g.label ? h('optgroup', { label: g.label }, opts) : opts);
  }
  select.replaceChildren(...kids.flat());
  if (before && $$('option', select).some((o) => o.value === before)) select.value = before;
}

export function checkList(container, items, name, { keep = true } = {}) {
  const checked = new Set(keep ? $$('input:checked', container).map((i) => i.value) : []);
  container.replaceChildren(...items.map((it) => {
    const id = `${name}-${it.value.replace(/[^a-z0-9]/gi, '_')}`;
    return h('label', { class: 'check', for: id, 'data-filter': (it.filter || it.text).toLowerCase() },
      h('input', { type: 'checkbox', id, name, value: it.value, checked: checked.has(it.value) }),
      // A hint from the log (a participant's role in the study's own words) is the study's
      // text, not the interface's: it stays as recorded in either language.
      h('span', {}, it.text, it.hint ? h('small', it.fromLog ? { text: it.hint, 'data-from-log': '' } : { text: it.hint }) : null));
  }));
}

export function checked(container) {
  return $$('input[type=checkbox]:checked', container).map((i) => i.value);
}

export function countChecked(container, out) {
  const n = checked(container).length;
  out.textContent = n ? `(${n})` : '';
}


export function requireFields(f, ids) {
  for (const id of ids) {
    const el = $(`#${id}`);
    if (!el.value.trim()) {
      formError(f, t('form.err.required'), el);
      return false;
    }
  }
  return true;
}

// Sends a form's events. While it waits, the button says so (aria-disabled rather than disabled:
// a disabled button would drop the focus to <body>) and a second press is ignored. After it, the
// result is said in the form's status line (a live region) and the focus goes to the form's
// first field, ready for the next one, with the status line in view above it.
export async function submitForm(f, events, savedMsg, reset) {
  const button = $('button[type=submit]', f);
  if (button.getAttribute('aria-disabled') === 'true') return null;
  button.setAttribute('aria-disabled', 'true');
  formStatus(f, '');
  try {
    const result = await submit(events);
    reset();
    const msg = result === 'stored' ? savedMsg : t('note.queued');
    formStatus(f, `${msg} (${fmtTime(new Date())})`, result === 'stored' ? 'ok' : 'warn');
    toast(msg, result === 'stored' ? 'ok' : 'warn', { live: false });
    const first = $('input:not([type=hidden]), select, textarea', f);
    if (first) first.focus({ preventScroll: true });
    $('.form-status', f).scrollIntoView({ block: 'start' });
    return result;
  } catch (e) {
    formError(f, errorText(e));
    return null;
  } finally {
    button.removeAttribute('aria-disabled');
  }
}

// The form's status line: what became of the last save (empty hides it).
export function formStatus(f, msg, kind = 'ok') {
  const el = $('.form-status', f);
  if (!el) return;
  el.textContent = msg;
  el.classList.toggle('warn', kind === 'warn');
}

// Sets the length limits the server gave on the fields that name one (data-limit="...").
export function applyLimits(root = document) {
  for (const el of $$('[data-limit]', root)) {
    const max = limit(el.dataset.limit);
    if (max) el.maxLength = max;
  }
}
