// The studies a token reaches, the one this device chose, the study picker and the header's
// study bar. A server holds many studies; the page works in one at a time, and shows which one
// in the header at all times, so that nobody writes a note into the wrong municipality's log.
// What choosing a study does (the feed, the caches, the views) is session.js's business; it
// reports here through onStudyChosen, so that this module imports nothing that imports it.
import { S, KEY, storageGet, storageSet } from './state.js';
import { $, h } from './dom.js';
import { t } from './texts.js';
import { listStudies } from './http.js';

// Who is told when a study is chosen in the picker: fn(study).
let chosenHook = () => {};
export function onStudyChosen(fn) {
  chosenHook = fn;
}

// The studies the caller has a role in: the ones it may open. An institute admin is also told of
// studies it has no role in; it manages those, but does not read their data.
export function studiesWithRole() {
  return S.studies.filter((s) => s.role);
}

export function findStudy(slug) {
  return studiesWithRole().find((s) => s.slug === slug) || null;
}

// A study's name for a line of text: its name, and the municipality when that says more.
export function studyLabel(slug) {
  const s = S.studies.find((x) => x.slug === slug);
  if (!s) return slug;
  return s.municipality && s.municipality !== s.name ? `${s.name} (${s.municipality})` : s.name;
}

// ---- the choice kept on this device --------------------------------------------------------

// Per participant, so that two people sharing a phone each get their own study back.
export function rememberedStudy() {
  if (!S.me) return null;
  return storageGet(localStorage, KEY.study, {})[S.me.participant] || null;
}

export function rememberStudy(slug) {
  if (!S.me) return;
  const all = storageGet(localStorage, KEY.study, {});
  all[S.me.participant] = slug;
  storageSet(localStorage, KEY.study, all);
}

export function forgetStudy() {
  if (!S.me) return;
  const all = storageGet(localStorage, KEY.study, {});
  delete all[S.me.participant];
  storageSet(localStorage, KEY.study, all);
}

// Asks the server again which studies the token reaches (a grant may have been given or taken
// since signing in), and keeps the answer for a reload while offline.
export async function refreshStudies() {
  const epoch = S.epoch;
  const studies = await listStudies();
  if (epoch !== S.epoch || !S.me) return false;
  S.studies = studies;
  if (S.study) S.study = S.studies.find((s) => s.slug === S.study.slug) || S.study;
  keepMe();
  return true;
}

// What a reload while offline needs to know of the session (never the token's secret twice:
// the token itself is kept under its own key).
export function keepMe() {
  if (!S.me) return;
  storageSet(sessionStorage, KEY.me, { participant: S.me.participant, instituteAdmin: S.me.instituteAdmin, studies: S.studies });
}

// ---- the header's study bar ----------------------------------------------------------------

// The study's name and municipality, always in the header (also on a phone, where they wrap
// rather than being cut off), and the way to another study when there is one.
export function renderStudyBar() {
  const bar = $('#study-bar');
  bar.hidden = !S.me;
  if (!S.me) return;
  const s = S.study;
  $('#study-name').textContent = s ? s.name : t('study.none');
  const place = $('#study-place');
  place.textContent = s ? s.municipality : '';
  place.hidden = !s || !s.municipality || s.municipality === s.name;
  $('#study-archived').hidden = !s || !s.archived;
  $('#study-switch').hidden = !s || studiesWithRole().length < 2;
}

// ---- the picker ----------------------------------------------------------------------------

// One button per study with a role: its name, municipality and the caller's role there. Buttons
// in a list, so that a keyboard reaches each with Tab and a screen reader says how many there are.
export function renderPicker(notice) {
  const mine = studiesWithRole();
  const list = $('#study-list');
  list.replaceChildren(...mine.map((s) => {
    const current = S.study && S.study.slug === s.slug;
    const meta = [s.municipality, t(`role.${s.role}`), s.archived ? t('studies.archived') : null, current ? t('studies.current') : null].filter(Boolean).join(' · ');
    return h('li', {},
      h('button', { type: 'button', class: current ? 'study-choice current' : 'study-choice', 'data-study': s.slug, 'aria-current': current ? 'true' : null, onclick: () => chosenHook(s) },
        h('span', { class: 'study-choice-name', text: s.name }),
        h('span', { class: 'study-choice-meta', text: meta })));
  }));
  $('#studies-intro').hidden = mine.length === 0;
  const empty = $('#studies-empty');
  empty.hidden = mine.length > 0;
  empty.textContent = S.me && S.me.instituteAdmin ? t('studies.none.admin') : t('studies.none');
  const note = $('#studies-notice');
  if (notice !== undefined) note.textContent = notice || '';
  note.hidden = !note.textContent;
}
