// The role-change form (researchers): what changes in a role's mandate, tasks, capacity or
// position, next to what it is now.
import { S } from '../state.js';
import { $, $$ } from '../dom.js';
import { t } from '../texts.js';
import { rfc3339, todayValue } from '../format.js';
import { newId } from '../outbox.js';
import { refreshCatalog, roleTitle } from '../catalog.js';
import { formError, options, requireFields, submitForm } from './fields.js';

export function openRoleChangeForm() {
  if (!$('#rolechange-effective').value) $('#rolechange-effective').value = todayValue();
  if (!S.cache.role || S.cache.role.stale) refreshCatalog().catch(() => {});
  else fillRoleChangeLists();
}

function renderRoleCurrent() {
  const roles = (S.cache.role && S.cache.role.data.roles) || [];
  const r = roles.find((x) => x.id === $('#rolechange-role').value) || roles[0];
  for (const p of $$('#rolechange-form [data-current]')) {
    const s = r && r.state.find((x) => x.field === p.dataset.current);
    const v = s ? (Array.isArray(s.value) ? s.value.join('; ') : String(s.value)) : '';
    p.textContent = v ? t('rolechange.now', { v: v.length > 240 ? `${v.slice(0, 240)}…` : v }) : '';
  }
}

async function onRoleChangeSubmit(ev) {
  ev.preventDefault();
  const f = ev.target;
  formError(f, null);
  if (!requireFields(f, ['rolechange-role', 'rolechange-rationale', 'rolechange-effective'])) return;
  const payload = { rationale: $('#rolechange-rationale').value.trim(), effective: $('#rolechange-effective').value };
  const mandate = $('#rolechange-mandate').value.trim();
  const tasks = $('#rolechange-tasks').value.split('\n').map((s) => s.trim()).filter(Boolean);
  const fteRaw = $('#rolechange-fte').value.trim().replace(',', '.');
  const position = $('#rolechange-position').value.trim();
  if (mandate) payload.mandate = mandate;
  if (tasks.length) payload.tasks = tasks;
  if (fteRaw) {
    const fte = Number(fteRaw);
    if (!Number.isFinite(fte) || fte < 0 || fte > 1000) return formError(f, t('rolechange.err.fte'), $('#rolechange-fte'));
    payload.capacity_fte = fte;
  }
  if (position) payload.position = position;
  if (!mandate && !tasks.length && !fteRaw && !position) return formError(f, t('rolechange.err.none'), $('#rolechange-mandate'));
  const event = { id: newId(), stream: $('#rolechange-role').value, kind: 'RoleChanged', occurred_at: rfc3339(new Date()), payload };
  await submitForm(f, [event], t('rolechange.saved'), () => {
    const role = $('#rolechange-role').value;
    f.reset();
    $('#rolechange-role').value = role;
    $('#rolechange-effective').value = todayValue();
  });
}

// The role-change form's lists, from the catalog.
export function fillRoleChangeLists() {
  const roles = (S.cache.role && S.cache.role.data.roles) || [];
  options($('#rolechange-role'), [{ items: roles.map((r) => ({ value: r.id, text: roleTitle(r) })) }], {});
  renderRoleCurrent();
}

export function wireRoleChangeForm() {
  $('#rolechange-form').addEventListener('submit', onRoleChangeSubmit);
  $('#rolechange-role').addEventListener('change', renderRoleCurrent);
}
