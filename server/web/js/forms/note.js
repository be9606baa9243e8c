// The field-note form, and the latest field notes under it.
import { S } from '../state.js';
import { $, $$, h, toast } from '../dom.js';
import { t } from '../texts.js';
import { fmtDateTime, localInputValue, rfc3339 } from '../format.js';
import { errorText } from '../http.js';
import { newId, renderOutbox, submit } from '../outbox.js';
import { vocabulary, label, limit, areaItems, cycleGroups, invalidateAll } from '../catalog.js';
import { formError, options, checkList, checked, countChecked } from './fields.js';

let noteWhenTouched = false;

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
  const button = $('button[type=submit]', f);
  button.disabled = true;
  try {
    const result = await submit([event]);
    resetNoteForm();
    toast(result === 'stored' ? t('note.saved') : t('note.queued'), result === 'stored' ? 'ok' : 'warn');
    if (result === 'stored') {
      invalidateAll();
    }
  } catch (e) {
    formError(f, errorText(e));
  } finally {
    button.disabled = false;
  }
}

function resetNoteForm() {
  // The area stays: a makelaar mostly writes about the same area in a row.
  const area = $('#note-area').value;
  $('#note-form').reset();
  $('#note-area').value = area;
  noteWhenTouched = false;
  $('#note-when').value = localInputValue(new Date());
  countChecked($('#note-codes-list'), $('#note-codes-count'));
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

// The note form's lists, from the catalog.
export function fillNoteLists() {
  options($('#note-area'), [{ items: areaItems() }], { placeholder: t('none') });
  const ini = (S.cache.initiatives && S.cache.initiatives.data.initiatives) || [];
  const ended = (i) => i.status === 'stopped' || i.status === 'handed_over';
  const byName = (a, b) => a.name.localeCompare(b.name, 'nl');
  const iniItem = (i) => ({ value: i.id, text: i.area_name ? `${i.name} (${i.area_name})` : i.name });
  options($('#note-initiative'), [
    { label: t('group.active'), items: ini.filter((i) => !ended(i)).sort(byName).map(iniItem) },
    { label: t('group.ended'), items: ini.filter(ended).sort(byName).map(iniItem) },
  ], { placeholder: t('none') });
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
  $('#note-initiative').addEventListener('change', () => {
    // An initiative belongs to an area: fill it in when none was chosen.
    const ini = S.cache.initiatives && S.cache.initiatives.data.initiatives.find((i) => i.id === $('#note-initiative').value);
    if (ini && ini.area && !$('#note-area').value && $$('#note-area option').some((o) => o.value === ini.area)) $('#note-area').value = ini.area;
  });
}
