// The reflection form (researchers): a session's insights in a cycle, who took part, and the
// observations it rests on.
import { S } from '../state.js';
import { $, $$, h } from '../dom.js';
import { t } from '../texts.js';
import { fmtDay, fmtDateTime, localInputValue, rfc3339 } from '../format.js';
import { newId } from '../outbox.js';
import { vocabulary, label, cycleGroups, refreshCatalog } from '../catalog.js';
import { applyLimits, checkList, checked, countChecked, formError, options, submitForm } from './fields.js';
import { noteLine } from './note.js';

export function openReflectionForm() {
  const when = $('#refl-when');
  if (!when.value) when.value = localInputValue(new Date());
  if (!$('#refl-insights').children.length) addInsight();
  if (!S.cache.cycles || S.cache.cycles.stale || !S.cache.role) refreshCatalog().catch(() => {});
  else fillReflectionLists();
}

function addInsight() {
  const ol = $('#refl-insights');
  const n = ol.children.length + 1;
  const id = `ins-${Date.now().toString(36)}-${n}`;
  const kind = h('select', { id: `${id}-kind`, class: 'ins-kind' });
  const stake = h('select', { id: `${id}-stake`, class: 'ins-stake' });
  const stakeField = h('div', { class: 'field ins-stake-field', hidden: true }, h('label', { for: stake.id, 'data-i18n': 'refl.stakeholder', text: t('refl.stakeholder') }), stake);
  kind.addEventListener('change', () => { stakeField.hidden = kind.value !== 'added_value'; });
  const li = h('li', { class: 'insight' },
    h('div', { class: 'row2' },
      h('div', { class: 'field' }, h('label', { for: kind.id, 'data-i18n': 'refl.kind', text: t('refl.kind') }), kind),
      stakeField),
    h('div', { class: 'field' }, h('label', { for: `${id}-text`, 'data-i18n': 'refl.text', text: t('refl.text') }), h('textarea', { id: `${id}-text`, class: 'ins-text', rows: 3, 'data-limit': 'long_text_chars_max' })),
    h('div', { class: 'field' }, h('label', { for: `${id}-theme`, 'data-i18n': 'refl.theme', text: t('refl.theme') }), h('input', { id: `${id}-theme`, class: 'ins-theme', type: 'text', 'data-limit': 'short_text_chars_max' })),
    h('button', { type: 'button', class: 'link danger', 'data-i18n': 'refl.remove', text: t('refl.remove'), onclick: () => { li.remove(); if (!ol.children.length) addInsight(); } }));
  ol.append(li);
  fillInsightLists(li);
  applyLimits(li);
  return li;
}

function renderObservationChoices() {
  const box = $('#refl-observations');
  const id = $('#refl-cycle').value;
  const before = new Set(checked(box));
  const groups = [];
  const cycle = id && cycleGroups().flatMap((g) => g.items).find((x) => x.value === id);
  if (cycle && cycle.cycle.steps) {
    const obs = cycle.cycle.steps.filter((s) => s.kind === 'observation');
    groups.push({ title: t('refl.obs.cycle'), items: obs.map((s) => ({ value: s.id, text: s.topic || t('note.untitled'), hint: [fmtDay(s.src.date), s.by, s.area_name].filter(Boolean).join(' · ') })) });
  }
  const recent = S.recent.map((e) => ({ value: e.id, text: (e.payload && e.payload.topic) || ((e.sealed && e.sealed.data && e.sealed.data.text) || t('note.untitled')).slice(0, 80), hint: [fmtDateTime(e.occurred_at), noteLine(e).author].join(' · ') }));
  groups.push({ title: t('refl.obs.recent'), items: recent.filter((r) => !groups.some((g) => g.items.some((i) => i.value === r.value))) });
  const kids = [];
  for (const g of groups) {
    if (!g.items.length) continue;
    const div = h('div', { class: 'check-grid' });
    checkList(div, g.items, 'observation', { keep: false });
    for (const i of $$('input', div)) i.checked = before.has(i.value);
    kids.push(h('h2', { class: 'small', text: g.title }), div);
  }
  if (!kids.length) kids.push(h('p', { class: 'help', text: t('refl.obs.none') }));
  box.replaceChildren(...kids);
  countChecked(box, $('#refl-obs-count'));
}

async function onReflectionSubmit(ev) {
  ev.preventDefault();
  const f = ev.target;
  formError(f, null);
  const cycle = $('#refl-cycle').value;
  if (!cycle) return formError(f, t('refl.err.cycle'), $('#refl-cycle'));
  const when = $('#refl-when').value ? new Date($('#refl-when').value) : new Date();
  if (Number.isNaN(when.getTime()) || when.getTime() > Date.now() + 60000) return formError(f, t('note.err.when'), $('#refl-when'));
  const insights = [];
  for (const li of $$('#refl-insights > li')) {
    const text = $('.ins-text', li).value.trim();
    const kind = $('.ins-kind', li).value;
    const theme = $('.ins-theme', li).value.trim();
    const stake = $('.ins-stake', li).value;
    if (!text && !theme && $$('#refl-insights > li').length > 1) continue;
    if (!text) return formError(f, t('refl.err.text'), $('.ins-text', li));
    const ins = { kind, text };
    if (theme) ins.theme = theme;
    if (kind === 'added_value') {
      if (!stake) return formError(f, t('refl.err.stakeholder'), $('.ins-stake', li));
      ins.stakeholder = stake;
    }
    insights.push(ins);
  }
  if (!insights.length) return formError(f, t('refl.err.insight'), $('.ins-text'));
  const payload = { insights };
  const summary = $('#refl-summary').value.trim();
  if (summary) payload.summary = summary;
  const participants = checked($('#refl-participants'));
  if (participants.length) payload.participants = participants;
  const observations = Array.from(new Set(checked($('#refl-observations'))));
  if (observations.length) payload.observations = observations;
  const event = { id: newId(), stream: cycle, kind: 'ReflectionRecorded', occurred_at: rfc3339(when), payload };
  await submitForm(f, [event], t('refl.saved'), () => {
    f.reset();
    $('#refl-insights').replaceChildren();
    addInsight();
    $('#refl-when').value = localInputValue(new Date());
    fillReflectionLists();
  });
}

// The reflection form's lists, from the catalog.
export function fillReflectionLists() {
  options($('#refl-cycle'), cycleGroups(), { placeholder: t('choose') });
  const nodes = ((S.cache.network && S.cache.network.data.nodes) || []).slice().sort((a, b) => a.label.localeCompare(b.label, 'nl'));
  checkList($('#refl-participants'), nodes.map((n) => ({ value: n.id, text: n.label, hint: n.role_label, fromLog: true })), 'participant');
  countChecked($('#refl-participants'), $('#refl-participants-count'));
  for (const li of $$('#refl-insights > li')) fillInsightLists(li);
  renderObservationChoices();
}

// An insight's kinds and stakeholder groups, from the server's vocabularies.
function fillInsightLists(li) {
  const items = (name) => vocabulary(name).map(({ id }) => ({ value: id, text: label(name, id) }));
  options($('.ins-kind', li), [{ items: items('insight_kind') }]);
  options($('.ins-stake', li), [{ items: items('stakeholder_group') }], { placeholder: t('choose') });
}

export function wireReflectionForm() {
  $('#refl-form').addEventListener('submit', onReflectionSubmit);
  $('#refl-add-insight').addEventListener('click', () => { const li = addInsight(); $('select', li).focus(); });
  $('#refl-cycle').addEventListener('change', renderObservationChoices);
  $('#refl-participants').addEventListener('change', () => countChecked($('#refl-participants'), $('#refl-participants-count')));
  $('#refl-observations').addEventListener('change', () => countChecked($('#refl-observations'), $('#refl-obs-count')));
  $('#refl-participants-filter').addEventListener('input', (ev) => {
    const q = ev.target.value.trim().toLowerCase();
    for (const l of $$('#refl-participants label')) l.hidden = q && !l.dataset.filter.includes(q);
  });
}
