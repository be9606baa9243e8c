// The notes browser: every field note, reflection and memo the role may read, newest first,
// searched and filtered (GET /notes, as the shared contract says), paged with "load more". The
// filters live in the address (#/notes?area=area:oost&q=buurt), so that a count elsewhere, or a
// link sent to a colleague, opens the list it names; the form writes them back there.
import { S } from '../state.js';
import { $, $$, h } from '../dom.js';
import { t } from '../texts.js';
import { getJson, query, errorText, studyPath } from '../http.js';
import { vocabulary, label, areaItems, cycleGroups, projection, loadReference } from '../catalog.js';
import { options } from '../forms/fields.js';
import { hashParts, notesHref, downloadCsv } from '../links.js';
import { noteCard } from './notecard.js';

const PAGE_NOTES = 50;
const QUERY_CHARS_MAX = 200;
// The filters the address and the API share, in the order of the form.
export const FILTERS = ['q', 'kind', 'area', 'initiative', 'cycle', 'author', 'code', 'health', 'from', 'to', 'retracted'];
const KINDS = ['observation', 'reflection', 'memo'];

const st = { key: null, seq: 0, before: null, total: 0, shown: 0, built: null };

// The filters of the address, without empty ones.
function filtersOf(params) {
  const f = {};
  for (const k of FILTERS) {
    const v = params.get(k);
    if (v) f[k] = v;
  }
  return f;
}

export function openNotes() {
  buildForm();
  const f = filtersOf(hashParts().params);
  fillForm(f);
  const key = `${S.study.slug}|${S.lang}|${JSON.stringify(f)}`;
  if (key !== st.key) load(f, { key });
}

// ---- the form ------------------------------------------------------------------------------

function field(id, labelKey, control, cls = 'field') {
  return h('div', { class: cls }, h('label', { for: id, text: t(labelKey) }), control);
}

function buildForm() {
  const form = $('#notes-filters');
  if (st.built === `${S.study.slug}|${S.lang}` && form.childElementCount) {
    fillLists();
    return;
  }
  st.built = `${S.study.slug}|${S.lang}`;
  const sel = (id) => h('select', { id, name: id.replace('notes-f-', '') });
  const date = (id) => h('input', { type: 'date', id, name: id.replace('notes-f-', '') });
  form.replaceChildren(
    h('div', { class: 'field search' },
      h('label', { for: 'notes-f-q', text: t('notes.search') }),
      h('input', { type: 'search', id: 'notes-f-q', name: 'q', maxlength: String(QUERY_CHARS_MAX), autocomplete: 'off', 'aria-describedby': 'notes-f-q-help' }),
      h('p', { class: 'help', id: 'notes-f-q-help', text: t('notes.search.help') })),
    h('fieldset', { class: 'field checks kinds' },
      h('legend', { text: t('notes.kind') }),
      h('div', { class: 'check-grid' }, KINDS.map((k) => h('label', { class: 'check', for: `notes-f-kind-${k}` },
        h('input', { type: 'checkbox', id: `notes-f-kind-${k}`, name: 'kind', value: k }), h('span', { text: t(`notes.kind.${k}`) }))))),
    h('details', { class: 'field more', id: 'notes-more-filters' },
      h('summary', {}, h('span', { text: t('notes.filters') }), ' ', h('span', { class: 'count', id: 'notes-filter-count' })),
      h('div', { class: 'row2' },
        field('notes-f-area', 'note.area', sel('notes-f-area')),
        field('notes-f-initiative', 'note.initiative', sel('notes-f-initiative'))),
      h('div', { class: 'row2' },
        field('notes-f-cycle', 'notes.cycle', sel('notes-f-cycle')),
        field('notes-f-author', 'notes.author', sel('notes-f-author'))),
      h('div', { class: 'row2' },
        field('notes-f-code', 'notes.code', sel('notes-f-code')),
        field('notes-f-health', 'note.health', sel('notes-f-health'))),
      h('div', { class: 'row2' },
        field('notes-f-from', 'notes.from', date('notes-f-from')),
        field('notes-f-to', 'notes.to', date('notes-f-to'))),
      field('notes-f-retracted', 'notes.retracted', sel('notes-f-retracted'))),
    h('div', { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary', text: t('notes.apply') }),
      h('button', { type: 'button', id: 'notes-clear', text: t('notes.clear'), onclick: () => { location.hash = '#/notes'; } }),
      h('button', { type: 'button', id: 'notes-csv', text: t('csv.download'), onclick: downloadNotes })));
  form.onsubmit = (ev) => {
    ev.preventDefault();
    const f = formFilters();
    const href = notesHref(f);
    // The address says what is shown; the list follows it (hashchange), or now when it is the same.
    if (location.hash !== href) location.hash = href;
    else load(f, { key: `${S.study.slug}|${S.lang}|${JSON.stringify(f)}` });
  };
  fillLists();
  // The lists come from the catalog; asked here when the page was opened at this address first.
  Promise.allSettled([loadReference(), projection('codebook'), projection('network'), projection('initiatives'), projection('cycles')])
    .then(() => { if (S.view === 'notes') { fillLists(); fillForm(filtersOf(hashParts().params)); } });
}

function fillLists() {
  options($('#notes-f-area'), [{ items: areaItems() }], { placeholder: t('notes.any') });
  const ini = ((S.cache.initiatives && S.cache.initiatives.data.initiatives) || []).slice().sort((a, b) => a.name.localeCompare(b.name, 'nl'));
  options($('#notes-f-initiative'), [{ items: ini.map((i) => ({ value: i.id, text: i.area_name ? `${i.name} (${i.area_name})` : i.name })) }], { placeholder: t('notes.any') });
  options($('#notes-f-cycle'), cycleGroups(), { placeholder: t('notes.any') });
  const people = ((S.cache.network && S.cache.network.data.nodes) || [])
    .filter((n) => /^participant:/.test(n.id))
    .sort((a, b) => a.label.localeCompare(b.label, 'nl'));
  options($('#notes-f-author'), [{ items: people.map((p) => ({ value: p.id.replace(/^participant:/, ''), text: p.label })) }], { placeholder: t('notes.any') });
  const codes = ((S.cache.codebook && S.cache.codebook.data.codes) || []).slice().sort((a, b) => a.name.localeCompare(b.name, 'nl'));
  options($('#notes-f-code'), [{ items: codes.map((c) => ({ value: c.id, text: c.merged_into ? `${c.name} → ${c.merged_into_name || c.merged_into}` : c.name })) }], { placeholder: t('notes.any') });
  options($('#notes-f-health'), [{ items: vocabulary('health_dimension').map(({ id }) => ({ value: id, text: label('health_dimension', id) })) }], { placeholder: t('notes.any') });
  options($('#notes-f-retracted'), [{ items: ['include', 'only'].map((v) => ({ value: v, text: t(`notes.retracted.${v}`) })) }], { placeholder: t('notes.retracted.exclude') });
}

// Sets the form to the address's filters; a value the lists do not hold (yet) is added, so that
// it is shown and sent back as it was.
function fillForm(f) {
  for (const k of FILTERS) {
    if (k === 'kind') continue;
    const el = $(`#notes-f-${k}`);
    if (!el) continue;
    const v = f[k] || '';
    if (el.tagName === 'SELECT' && v && !$$('option', el).some((o) => o.value === v)) el.append(h('option', { value: v, text: v }));
    el.value = v;
  }
  const kinds = (f.kind || '').split(',').filter(Boolean);
  for (const k of KINDS) $(`#notes-f-kind-${k}`).checked = kinds.includes(k);
  const more = FILTERS.filter((k) => !['q', 'kind'].includes(k) && f[k]).length;
  $('#notes-filter-count').textContent = more ? `(${more})` : '';
  if (more) $('#notes-more-filters').open = true;
}

function formFilters() {
  const f = {};
  for (const k of FILTERS) {
    if (k === 'kind') continue;
    const v = ($(`#notes-f-${k}`).value || '').trim();
    if (v) f[k] = v;
  }
  const kinds = KINDS.filter((k) => $(`#notes-f-kind-${k}`).checked);
  if (kinds.length) f.kind = kinds.join(',');
  return f;
}

// ---- the list ------------------------------------------------------------------------------

async function load(f, { key, more = false, quiet = false } = {}) {
  const seq = ++st.seq;
  const epoch = S.epoch;
  const status = $('#notes-status');
  const list = $('#notes-list');
  if (!quiet) {
    status.textContent = t('loading');
    status.classList.remove('error');
  }
  $('#view-notes').setAttribute('aria-busy', 'true');
  try {
    const d = await getJson(studyPath(`/notes${query(Object.assign({}, f, { lang: S.lang, limit: PAGE_NOTES, before: more ? st.before : undefined }))}`));
    if (seq !== st.seq || epoch !== S.epoch) return;
    if (!more) {
      st.key = key;
      st.filters = f;
      st.shown = 0;
      list.replaceChildren();
    }
    st.before = d.next_before;
    st.total = d.total;
    const firstNew = list.childElementCount;
    list.append(...d.notes.map((n) => noteCard(n)));
    st.shown += d.notes.length;
    $('#notes-more').hidden = !d.next_before;
    status.textContent = d.total ? t('notes.count', { n: d.total, m: st.shown }) : t('notes.none');
    // After "load more", the focus goes to the first note it brought, not back to the top.
    if (more) {
      const first = list.children[firstNew];
      const a = first && $('h2 a', first);
      if (a) a.focus();
    }
  } catch (e) {
    if (seq !== st.seq || epoch !== S.epoch) return;
    status.textContent = errorText(e);
    status.classList.add('error');
  } finally {
    if (seq === st.seq) $('#view-notes').removeAttribute('aria-busy');
  }
}

// The log grew: the first page again, when no more was loaded (else the reader's place would go);
// with more pages loaded, a line says there is news.
export function notesChanged() {
  if (!st.key) return;
  // Not shown: asked again when next opened.
  if (S.view !== 'notes') {
    st.key = null;
    return;
  }
  // Not while the reader is on a note of the list: the focus would drop with the old list.
  if ($('#notes-list').contains(document.activeElement)) return;
  if (st.shown <= PAGE_NOTES) load(st.filters || {}, { key: st.key, quiet: true });
}

// The notes of the list shown (its filters, not what the form holds before "Zoeken").
async function downloadNotes() {
  const f = st.filters || filtersOf(hashParts().params);
  await downloadCsv(studyPath(`/notes${query(Object.assign({}, f, { format: 'csv', lang: S.lang }))}`), `${S.study.slug}-notes.csv`, $('#notes-status'));
}

export function wireNotes() {
  $('#notes-more').addEventListener('click', () => load(st.filters || {}, { key: st.key, more: true }));
}

export function resetNotes() {
  st.key = null;
  st.built = null;
  $('#notes-filters').replaceChildren();
  $('#notes-list').replaceChildren();
  $('#notes-status').textContent = '';
}
