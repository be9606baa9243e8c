// The field-note form, and the latest field notes under it.
import { S } from '../state.js';
import { $, $$, h } from '../dom.js';
import { t } from '../texts.js';
import { fmtDateTime, localInputValue, rfc3339 } from '../format.js';
import { newId, renderOutbox } from '../outbox.js';
import { vocabulary, label, limit, areaItems, cycleGroups, inArea, invalidateAll } from '../catalog.js';
import { formError, options, checkList, checked, countChecked, submitForm } from './fields.js';

let noteWhenTouched = false;
// The study in which the area was chosen by hand; until then it follows the participant's own.
let noteAreaTouchedIn = null;

export function openNoteForm() {
  const when = $('#note-when');
  if (!noteWhenTouched) when.value = localInputValue(new Date());
  when.max = localInputValue(new Date(Date.now() + 60000));
  renderRecent();
  renderOutbox();
}

// What may follow `resident:` in a data subject: an id of the server's length at most.
function idPattern() {
  const max = limit('id_chars_max');
  return new RegExp(`^[a-z0-9][a-z0-9._-]${max ? `{0,${max - 1}}` : '*'}$`);
}

function parsePeople(s) {
  const out = [];
  for (const raw of s.split(/[\s,;]+/)) {
    const v = raw.trim().toLowerCase();
    if (!v) continue;
    const full = /^(resident|participant):/.test(v) ? v : `resident:${v}`;
    const rest = full.slice(full.indexOf(':') + 1);
    if (!idPattern().test(rest)) return { error: t('note.err.person', { v: raw }) };
    if (full.startsWith('resident:') && !/\d/.test(rest)) return { error: t('note.err.name', { v: raw }) };
    if (!out.includes(full)) out.push(full);
  }
  const max = limit('subjects_per_event_max');
  if (max !== undefined && out.length > max) return { error: t('note.err.people', { n: max }) };
  return { subjects: out };
}

async function onNoteSubmit(ev) {
  ev.preventDefault();
  const f = ev.target;
  formError(f, null);
  const text = $('#note-text').value;
  if (!text.trim()) return formError(f, t('note.err.text'), $('#note-text'));
  const whenEl = $('#note-when');
  const when = noteWhenTouched && whenEl.value ? new Date(whenEl.value) : new Date();
  if (Number.isNaN(when.getTime()) || when.getTime() > Date.now() + 60000) return formError(f, t('note.err.when'), whenEl);
  const people = parsePeople($('#note-people').value);
  if (people.error) return formError(f, people.error, $('#note-people'));
  const payload = {};
  const area = $('#note-area').value;
  const initiative = $('#note-initiative').value;
  const cycle = $('#note-cycle').value;
  const topic = $('#note-topic').value.trim();
  const health = checked($('#note-health-list'));
  const codes = checked($('#note-codes-list'));
  if (area) payload.area = area;
  if (initiative) payload.initiative = initiative;
  if (cycle) payload.cycle = cycle;
  if (topic) payload.topic = topic;
  if (health.length) payload.health = health;
  if (codes.length) payload.codes = codes;
  const sealed = { text };
  if (people.subjects.length) sealed.subjects = people.subjects;
  const event = { id: newId(), stream: `notes:${S.me.participant}`, kind: 'ObservationRecorded', occurred_at: rfc3339(when), payload, sealed };
  const result = await submitForm(f, [event], t('note.saved'), resetNoteForm);
  if (result === 'stored') invalidateAll();
}

function resetNoteForm() {
  // The area stays: a makelaar mostly writes about the same area in a row.
  const area = $('#note-area').value;
  $('#note-form').reset();
  $('#note-area').value = area;
  noteWhenTouched = false;
  $('#note-when').value = localInputValue(new Date());
  countChecked($('#note-codes-list'), $('#note-codes-count'));
  fillInitiatives();
}

export function noteLine(e) {
  const p = e.payload || {};
  const area = p.area && S.areas.get(p.area);
  const ini = p.initiative && S.cache.initiatives && S.cache.initiatives.data.initiatives.find((i) => i.id === p.initiative);
  const nodes = S.cache.network && S.cache.network.data.nodes;
  const author = nodes && nodes.find((n) => n.id === `participant:${e.author}`);
  const sealed = e.sealed || {};
  let text = sealed.data && sealed.data.text;
  let textClass = 'text';
  if (!text) {
    textClass = 'text muted';
    text = sealed.forgotten ? t('recent.forgotten') : sealed.subjects ? t('recent.sealed') : '';
  }
  return { p, area, ini, author: author ? author.label : e.author, text, textClass };
}

export function renderRecent(fresh) {
  const ul = $('#recent-notes');
  if (!ul) return;
  if (!S.recent.length) {
    ul.replaceChildren(h('li', { class: 'muted', text: t('recent.none') }));
    return;
  }
  ul.replaceChildren(...S.recent.map((e) => {
    const n = noteLine(e);
    return h('li', { class: e.id === fresh ? 'note fresh' : 'note', 'data-id': e.id },
      h('div', { class: 'meta' },
        h('time', { datetime: e.occurred_at, text: fmtDateTime(e.occurred_at) }), ' · ', n.author,
        n.area ? ` · ${n.area.name}` : '', n.ini ? ` · ${n.ini.name}` : ''),
      n.p.topic ? h('strong', { class: 'topic', text: n.p.topic }) : null,
      n.text ? h('p', { class: n.textClass, text: n.text }) : null,
      n.p.health && n.p.health.length ? h('p', { class: 'tags' }, n.p.health.map((d) => h('span', { class: 'tag', text: label('health_dimension', d) }))) : null);
  }));
}

function allInitiatives() {
  return (S.cache.initiatives && S.cache.initiatives.data.initiatives) || [];
}

// The initiatives to choose from: those in the note's area and the areas inside it, or all of
// them when the area is open or "every area" is ticked. The help line says which.
function fillInitiatives() {
  const area = $('#note-area').value;
  const all = !area || $('#note-initiative-all').checked;
  const ini = allInitiatives().filter((i) => all || inArea(i.area, area));
  const ended = (i) => i.status === 'stopped' || i.status === 'handed_over';
  const byName = (a, b) => a.name.localeCompare(b.name, 'nl');
  const iniItem = (i) => ({ value: i.id, text: i.area_name ? `${i.name} (${i.area_name})` : i.name });
  options($('#note-initiative'), [
    { label: t('group.active'), items: ini.filter((i) => !ended(i)).sort(byName).map(iniItem) },
    { label: t('group.ended'), items: ini.filter(ended).sort(byName).map(iniItem) },
  ], { placeholder: t('none') });
  const a = area && S.areas.get(area);
  $('#note-initiative-help').textContent = all ? t('note.initiative.every') : t('note.initiative.in', { v: a ? a.name : area });
}

// The note form's lists, from the catalog. The area starts as the participant's own (from the
// directory: the area the participant was registered for), until another is chosen.
export function fillNoteLists() {
  const areaSel = $('#note-area');
  options(areaSel, [{ items: areaItems() }], { placeholder: t('none') });
  if (noteAreaTouchedIn !== (S.study && S.study.slug) && !areaSel.value && S.myArea && $$('option', areaSel).some((o) => o.value === S.myArea)) areaSel.value = S.myArea;
  fillInitiatives();
  checkList($('#note-health-list'), vocabulary('health_dimension').map(({ id }) => ({ value: id, text: label('health_dimension', id) })), 'health');
  const codes = ((S.cache.codebook && S.cache.codebook.data.codes) || []).filter((c) => !c.merged_into);
  checkList($('#note-codes-list'), codes.map((c) => ({ value: c.id, text: c.name })), 'code');
  countChecked($('#note-codes-list'), $('#note-codes-count'));
  options($('#note-cycle'), cycleGroups(), { placeholder: t('none') });
  $('#people-list').replaceChildren(...Array.from(S.subjects).sort().map((s) => h('option', { value: s.replace(/^resident:/, '') })));
}

export function wireNoteForm() {
  $('#note-form').addEventListener('submit', onNoteSubmit);
  $('#note-when').addEventListener('input', () => { noteWhenTouched = true; });
  $('#note-when').addEventListener('focus', () => { $('#note-when').max = localInputValue(new Date(Date.now() + 60000)); });
  $('#note-codes-list').addEventListener('change', () => countChecked($('#note-codes-list'), $('#note-codes-count')));
  $('#note-area').addEventListener('change', () => {
    noteAreaTouchedIn = S.study && S.study.slug;
    fillInitiatives();
  });
  $('#note-initiative-all').addEventListener('change', fillInitiatives);
  $('#note-initiative').addEventListener('change', () => {
    // An initiative belongs to an area: the note's area follows when none was chosen, or when
    // the initiative (from "every area") lies outside the one chosen.
    const ini = allInitiatives().find((i) => i.id === $('#note-initiative').value);
    const area = $('#note-area').value;
    if (ini && ini.area && (!area || !inArea(ini.area, area)) && $$('#note-area option').some((o) => o.value === ini.area)) {
      $('#note-area').value = ini.area;
      fillInitiatives();
    }
  });
}
