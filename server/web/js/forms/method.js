// The method-change form (researchers): how the work on a role changes, and the reflections
// that led to it.
import { S } from '../state.js';
import { $ } from '../dom.js';
import { t } from '../texts.js';
import { fmtDay, rfc3339, todayValue } from '../format.js';
import { newId } from '../outbox.js';
import { cycleGroups, refreshCatalog, roleTitle } from '../catalog.js';
import { checkList, checked, countChecked, formError, options, requireFields, submitForm } from './fields.js';

export function openMethodForm() {
  if (!$('#method-effective').value) $('#method-effective').value = todayValue();
  if (!S.cache.role || S.cache.role.stale || !S.cache.cycles || S.cache.cycles.stale) refreshCatalog().catch(() => {});
  else fillMethodLists();
}

function renderReflectionChoices() {
  const box = $('#method-reflections');
  const items = [];
  for (const g of cycleGroups()) {
    for (const c of g.items) {
      for (const s of c.cycle.steps || []) {
        if (s.kind !== 'reflection') continue;
        items.push({ date: s.src.date, value: s.id, text: s.summary || c.cycle.question, hint: `${fmtDay(s.src.date)} · ${c.text.split(':')[0]}` });
      }
    }
  }
  items.sort((a, b) => (a.date < b.date ? 1 : -1));
  checkList(box, items, 'reflection');
  countChecked(box, $('#method-refl-count'));
}

async function onMethodSubmit(ev) {
  ev.preventDefault();
  const f = ev.target;
  formError(f, null);
  if (!requireFields(f, ['method-role', 'method-aspect', 'method-before', 'method-after', 'method-rationale', 'method-effective'])) return;
  const payload = {
    aspect: $('#method-aspect').value.trim(),
    before: $('#method-before').value.trim(),
    after: $('#method-after').value.trim(),
    rationale: $('#method-rationale').value.trim(),
    effective: $('#method-effective').value,
  };
  const refl = checked($('#method-reflections'));
  if (refl.length) payload.reflections = refl;
  const event = { id: newId(), stream: $('#method-role').value, kind: 'MethodChanged', occurred_at: rfc3339(new Date()), payload };
  await submitForm(f, [event], t('method.saved'), () => {
    const role = $('#method-role').value;
    f.reset();
    $('#method-role').value = role;
    $('#method-effective').value = todayValue();
    countChecked($('#method-reflections'), $('#method-refl-count'));
  });
}

// The method form's lists, from the catalog.
export function fillMethodLists() {
  const roles = (S.cache.role && S.cache.role.data.roles) || [];
  options($('#method-role'), [{ items: roles.map((r) => ({ value: r.id, text: roleTitle(r) })) }], {});
  renderReflectionChoices();
}

export function wireMethodForm() {
  $('#method-form').addEventListener('submit', onMethodSubmit);
  $('#method-reflections').addEventListener('change', () => countChecked($('#method-reflections'), $('#method-refl-count')));
}
