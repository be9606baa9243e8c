// What the page knows from the server besides what it shows: the projections' answers (cached
// until an event makes them stale), the areas, the data subjects and the latest field notes. The
// forms' lists are made from it, and the part they need is kept in localStorage, so that the
// note form still works after a reload without a connection.
import { S, KEY, WRITES, storageGet, storageSet } from './state.js';
import { t } from './texts.js';
import { getJson, query } from './http.js';

const LOG_PAGE_EVENTS = 1000; // the server's page_events_max
export const RECENT_NOTES_MAX = 12;

// The closed vocabularies the forms offer (the same ids and labels as the server's).
export const VOCAB = {
  health: [
    ['bodily_functions', 'lichaamsfuncties', 'bodily functions'],
    ['mental_wellbeing', 'mentaal welbevinden', 'mental well-being'],
    ['meaningfulness', 'zingeving', 'meaningfulness'],
    ['quality_of_life', 'kwaliteit van leven', 'quality of life'],
    ['participation', 'meedoen', 'participation'],
    ['daily_functioning', 'dagelijks functioneren', 'daily functioning'],
  ],
  insight: [
    ['success', 'succes', 'success'],
    ['pitfall', 'valkuil', 'pitfall'],
    ['tip', 'tip', 'tip'],
    ['question', 'open vraag', 'open question'],
    ['added_value', 'meerwaarde', 'added value'],
  ],
  stakeholder: [
    ['residents', 'buurtbewoners', 'residents'],
    ['neighbourhood', 'wijk', 'neighbourhood'],
    ['social_team', 'sociaal team', 'social team'],
    ['organisations', 'organisaties', 'organisations'],
    ['municipality', 'gemeente', 'municipality'],
  ],
  stage: [
    ['inventory', 'inventarisatie', 'inventory'],
    ['bringing_together', 'mensen bij elkaar brengen', 'bringing people together'],
    ['action', 'actiefase', 'action'],
    ['anchoring', 'borging', 'anchoring'],
  ],
};

export function label(vocab, id) {
  const row = VOCAB[vocab].find((r) => r[0] === id);
  return row ? (S.lang === 'en' ? row[2] : row[1]) : id;
}

// Who wants to know when the catalog changed (the forms' lists, the name of who signed in).
const changeHooks = [];
export function onCatalogChange(fn) {
  changeHooks.push(fn);
}
function changed() {
  for (const fn of changeHooks) fn();
}
const staleHooks = [];
export function onStale(fn) {
  staleHooks.push(fn);
}

export function restoreCatalog() {
  const c = storageGet(localStorage, KEY.catalog, null);
  if (!c || c.participant !== S.me.participant) return;
  for (const a of c.areas || []) S.areas.set(a.id, a);
  for (const s of c.subjects || []) S.subjects.add(s);
  for (const name of ['initiatives', 'codebook', 'cycles']) {
    if (c[name] && !S.cache[name]) S.cache[name] = { data: c[name], stale: true };
  }
  areasFromProjections();
}

// Keeps what the note form needs (names only, no note texts), so it works after an offline reload.
export function saveCatalog() {
  if (!S.me) return;
  const slim = {
    participant: S.me.participant,
    areas: Array.from(S.areas, ([id, a]) => Object.assign({ id }, a)),
    subjects: Array.from(S.subjects).slice(0, 500),
  };
  const ini = S.cache.initiatives && S.cache.initiatives.data;
  if (ini) slim.initiatives = { initiatives: ini.initiatives.map((i) => ({ id: i.id, name: i.name, area: i.area, area_name: i.area_name, status: i.status })) };
  const cb = S.cache.codebook && S.cache.codebook.data;
  if (cb) slim.codebook = { codes: cb.codes.map((c) => ({ id: c.id, name: c.name, merged_into: c.merged_into })) };
  const cy = S.cache.cycles && S.cache.cycles.data;
  if (cy) {
    slim.cycles = {
      levels: cy.levels.map((l) => ({
        level: l.level,
        level_label: l.level_label,
        areas: l.areas.map((a) => ({ area: a.area, area_name: a.area_name, cycles: a.cycles.map((c) => ({ id: c.id, question: c.question, status: c.status, level_label: c.level_label, area_name: c.area_name, steps: [] })) })),
      })),
    };
  }
  storageSet(localStorage, KEY.catalog, slim);
}

export async function projection(name, { asOf, force } = {}) {
  if (!asOf) {
    const c = S.cache[name];
    if (c && !c.stale && !force) return c.data;
  }
  const epoch = S.epoch;
  const data = await getJson(`/projections/${name}${query({ lang: S.lang, as_of: asOf })}`);
  if (epoch !== S.epoch) throw new Error('signed out');
  if (!asOf) S.cache[name] = { data, stale: false };
  if (data.as_of_position && !asOf) S.head = Math.max(S.head, data.as_of_position);
  return data;
}

export async function loadCatalog() {
  const names = ['initiatives', 'codebook', 'cycles', 'network'];
  const results = await Promise.allSettled(names.map((n) => projection(n)));
  if (S.me && S.me.role === 'researcher') await Promise.allSettled([projection('role')]);
  if (S.me && WRITES.includes(S.me.role)) await scanLog().catch(() => {});
  areasFromProjections();
  saveCatalog();
  changed();
  return results;
}

// Reads the whole log once, in pages, for what no projection lists: the areas (AreaDefined),
// the latest field notes and the data subjects named in them.
export async function scanLog() {
  const epoch = S.epoch;
  let from = 1;
  const notes = [];
  for (;;) {
    const page = await getJson(`/events${query({ from, limit: LOG_PAGE_EVENTS })}`);
    if (epoch !== S.epoch) return;
    for (const e of page.events) takeEvent(e, notes);
    if (page.events.length) S.feedPos = Math.max(S.feedPos, page.events[page.events.length - 1].position);
    S.head = Math.max(S.head, S.feedPos);
    if (!page.next) break;
    from = page.next;
  }
  S.recent = notes.slice(-RECENT_NOTES_MAX).reverse();
  S.scanned = true;
}

// What one event adds to the catalog; `notes` collects field notes in log order.
export function takeEvent(e, notes) {
  if (e.kind === 'AreaDefined') {
    S.areas.set(e.stream, { name: e.payload.name, kind: e.payload.kind, parent: e.payload.parent || null });
  } else if (e.kind === 'ObservationRecorded') {
    notes.push(e);
    if (notes.length > RECENT_NOTES_MAX * 2) notes.splice(0, notes.length - RECENT_NOTES_MAX);
    for (const s of (e.sealed && e.sealed.subjects) || []) if (s.startsWith('resident:')) S.subjects.add(s);
  }
}

// The log grew: every cached answer is fetched again when next asked for, and whoever shows
// something that is not fetched again by itself (the retrospective) is told.
export function invalidateAll() {
  for (const c of Object.values(S.cache)) c.stale = true;
  for (const fn of staleHooks) fn();
}

// Fetches the projections the forms' lists come from again, after the log grew.
export async function refreshCatalog() {
  await Promise.allSettled(['initiatives', 'codebook', 'cycles', 'network', 'role'].map((n) => projection(n)));
  areasFromProjections();
  saveCatalog();
  changed();
}

// Areas sorted as a tree: the city, its districts, their neighbourhoods (indented).
export function areaItems() {
  const all = Array.from(S.areas, ([id, a]) => Object.assign({ id }, a));
  const kids = (p) => all.filter((a) => (a.parent || null) === p).sort((x, y) => x.name.localeCompare(y.name, 'nl'));
  const out = [];
  const walk = (p, depth) => {
    for (const a of kids(p)) {
      if (out.some((o) => o.value === a.id)) continue;
      out.push({ value: a.id, text: `${'\u00a0\u00a0'.repeat(depth)}${depth ? '– ' : ''}${a.name}` });
      walk(a.id, depth + 1);
    }
  };
  walk(null, 0);
  for (const a of all) if (!out.some((o) => o.value === a.id)) out.push({ value: a.id, text: a.name });
  return out;
}

// Areas seen in projections, for when the log could not be read (or not yet).
export function areasFromProjections() {
  const ini = S.cache.initiatives && S.cache.initiatives.data;
  if (ini) for (const i of ini.initiatives) if (i.area && !S.areas.has(i.area)) S.areas.set(i.area, { name: i.area_name || i.area, kind: null, parent: null });
}

export function cycleGroups() {
  const cy = S.cache.cycles && S.cache.cycles.data;
  if (!cy) return [];
  const open = [];
  const closed = [];
  for (const l of cy.levels) {
    for (const a of l.areas) {
      a.cycles.forEach((c, i) => {
        const item = { value: c.id, text: `${l.level_label}${a.area_name ? ` ${a.area_name}` : ''} ${i + 1}: ${c.question}`, cycle: c, level: l, area: a };
        (c.status === 'closed' ? closed : open).push(item);
      });
    }
  }
  return [{ label: t('group.open'), items: open }, { label: t('group.closed'), items: closed }];
}

export function roleTitle(r) {
  const title = r.state && r.state.find((s) => s.field === 'title');
  return title ? String(title.value) : r.id;
}
