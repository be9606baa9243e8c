// What the page knows from the server besides what it shows: the vocabularies and limits (the
// server's own tables, GET /vocabulary and /limits), the directory's areas, the projections'
// answers (cached until an event makes them stale), the latest field notes and the data subjects
// named in them. The forms' lists are made from it, and the part they need is kept in
// localStorage, so that the note form still works after a reload without a connection. All but
// the vocabularies and limits (the server's, the same in every study) belong to the chosen
// study: they are asked for under its path and kept under its own key (state.js catalogKey).
import { S, WRITES, catalogKey, storageGet, storageSet } from './state.js';
import { t } from './texts.js';
import { getJson, query, studyPath } from './http.js';

export const RECENT_NOTES_MAX = 12;
const SUBJECTS_KEPT_MAX = 500; // suggestions kept on the device

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

// ---- vocabularies and limits ---------------------------------------------------------------

// The values of a vocabulary (`health_dimension`, `insight_kind`, ...) in the server's order,
// each {id, nl, en}; none before the server was first asked.
export function vocabulary(name) {
  return (S.vocab && S.vocab[name]) || [];
}

// A vocabulary value's label in the page's language; the id itself if it is not known.
export function label(name, id) {
  const v = vocabulary(name).find((x) => x.id === id);
  return v ? v[S.lang] || v.nl : id;
}

// A limit of the server (`long_text_chars_max`, `page_events_max`, ...); undefined before the
// server was first asked, and then the server alone checks it.
export function limit(name) {
  return S.limits ? S.limits[name] : undefined;
}

// Asks the server for its vocabularies and limits once per session (a new server version may
// bring new ones); until then the ones kept on the device serve.
export async function loadReference() {
  if (S.referenceEpoch === S.epoch) return;
  const epoch = S.epoch;
  const [v, l] = await Promise.all([getJson('/vocabulary'), getJson('/limits')]);
  if (epoch !== S.epoch) return;
  S.vocab = v.vocabularies;
  S.limits = l;
  S.referenceEpoch = epoch;
}

// ---- projections ---------------------------------------------------------------------------

export async function projection(name, { asOf, force } = {}) {
  if (!asOf) {
    const c = S.cache[name];
    if (c && !c.stale && !force) return c.data;
  }
  const epoch = S.epoch;
  const data = await getJson(studyPath(`/projections/${name}${query({ lang: S.lang, as_of: asOf })}`));
  if (epoch !== S.epoch) throw new Error('signed out, or another study chosen');
  if (!asOf) S.cache[name] = { data, stale: false };
  if (data.as_of_position && !asOf) S.head = Math.max(S.head, data.as_of_position);
  return data;
}

// The areas, from the directory view: {name, kind, parent} by area id; and the area the
// signed-in participant was registered for (the note form starts there).
export async function loadAreas() {
  const d = await projection('directory');
  S.areas = new Map(d.areas.map((a) => [a.id, { name: a.name, kind: a.kind && a.kind.id, parent: a.parent || null }]));
  const me = S.me && (d.participants || []).find((p) => p.id === `participant:${S.me.participant}`);
  S.myArea = (me && me.area) || null;
}

// Whether area `id` is `root` or lies inside it (a neighbourhood in a district, ...).
export function inArea(id, root) {
  for (let a = id, steps = 0; a && steps < 64; a = (S.areas.get(a) || {}).parent, steps += 1) {
    if (a === root) return true;
  }
  return false;
}

// The projections the forms' lists come from; viewers and admins need only the reference data
// and the areas (the retrospective's area list).
function catalogProjections() {
  if (!S.me || !WRITES.includes(S.me.role)) return [];
  return S.me.role === 'researcher' ? ['initiatives', 'codebook', 'cycles', 'network', 'role'] : ['initiatives', 'codebook', 'cycles', 'network'];
}

// Everything the page needs besides the open view, once after signing in (or coming online).
export async function loadCatalog() {
  const epoch = S.epoch;
  const results = await Promise.allSettled([loadReference(), loadAreas(), ...catalogProjections().map((n) => projection(n))]);
  if (epoch !== S.epoch) return results; // another study now: its own loadCatalog runs
  if (S.me && WRITES.includes(S.me.role)) await readTail().catch(() => {});
  if (epoch !== S.epoch) return results;
  saveCatalog();
  changed();
  return results;
}

// The same again after the log grew in ways that change the lists.
export async function refreshCatalog() {
  const epoch = S.epoch;
  await Promise.allSettled([loadAreas(), ...['initiatives', 'codebook', 'cycles', 'network', 'role'].map((n) => projection(n))]);
  if (epoch !== S.epoch) return;
  saveCatalog();
  changed();
}

// The log grew: every cached answer is fetched again when next asked for, and whoever shows
// something that is not fetched again by itself (the retrospective) is told.
export function invalidateAll() {
  for (const c of Object.values(S.cache)) c.stale = true;
  for (const fn of staleHooks) fn();
}

// ---- the log's last page -------------------------------------------------------------------

// The latest field notes and the data subjects named in them come from the log, which no view
// lists. Only its last page is read (the log may be long): from the head that the projections'
// answers gave, or that an events page gives, back one page; then on to the end if the log grew
// meanwhile. The feed goes on after the last position read.
async function readTail() {
  const page = limit('page_events_max');
  if (!page) return;
  const epoch = S.epoch;
  const head = S.head || (await getJson(studyPath(`/events${query({ limit: 1 })}`))).head;
  if (epoch !== S.epoch) return;
  let from = Math.max(1, head - page + 1);
  const notes = [];
  for (;;) {
    const p = await getJson(studyPath(`/events${query({ from, limit: page })}`));
    if (epoch !== S.epoch) return;
    for (const e of p.events) takeEvent(e, notes);
    if (p.events.length) S.feedPos = Math.max(S.feedPos, p.events[p.events.length - 1].position);
    S.head = Math.max(S.head, S.feedPos, p.head || 0);
    if (!p.next) break;
    from = p.next;
  }
  S.recent = notes.slice(-RECENT_NOTES_MAX).reverse();
  S.tailRead = true;
}

// What one event adds to the catalog; `notes` collects field notes in log order.
export function takeEvent(e, notes) {
  if (e.kind !== 'ObservationRecorded') return;
  notes.push(e);
  if (notes.length > RECENT_NOTES_MAX * 2) notes.splice(0, notes.length - RECENT_NOTES_MAX);
  for (const s of (e.sealed && e.sealed.subjects) || []) if (s.startsWith('resident:')) S.subjects.add(s);
}

// ---- kept on the device --------------------------------------------------------------------

export function restoreCatalog() {
  if (!S.study) return;
  const c = storageGet(localStorage, catalogKey(S.study.slug), null);
  // Checked again after reading: a copy of another study's (or person's) names is never used.
  if (!c || c.participant !== S.me.participant || c.study !== S.study.slug) return;
  if (c.vocab) S.vocab = c.vocab;
  if (c.limits) S.limits = c.limits;
  for (const a of c.areas || []) S.areas.set(a.id, a);
  if (c.myArea) S.myArea = c.myArea;
  for (const s of c.subjects || []) S.subjects.add(s);
  for (const name of ['initiatives', 'codebook', 'cycles']) {
    if (c[name] && !S.cache[name]) S.cache[name] = { data: c[name], stale: true };
  }
}

// Keeps what the note form needs (names only, no note texts), so it works after an offline reload.
export function saveCatalog() {
  if (!S.me || !S.study) return;
  const slim = {
    study: S.study.slug,
    participant: S.me.participant,
    vocab: S.vocab,
    limits: S.limits,
    areas: Array.from(S.areas, ([id, a]) => Object.assign({ id }, a)),
    myArea: S.myArea,
    subjects: Array.from(S.subjects).slice(0, SUBJECTS_KEPT_MAX),
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
  storageSet(localStorage, catalogKey(S.study.slug), slim);
}

// ---- lists for the forms -------------------------------------------------------------------

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
