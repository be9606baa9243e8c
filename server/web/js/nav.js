// The sections of the page as tabs, who may see which, and the route (#/note, #/retro, ...)
// that says which one is shown. Until a study is chosen (and at #/studies) the study picker is
// shown instead; the tabs are those of the role in the chosen study.
import { S, WRITES } from './state.js';
import { $, $$, h } from './dom.js';
import { t } from './texts.js';
import { renderPicker, studiesWithRole, findStudy } from './studies.js';
import { hashParts } from './links.js';
import { openNotes } from './views/notes.js';
import { openNoteView } from './views/noteview.js';
import { openEvent, openEvents } from './views/event.js';
import { openNoteForm, openReflectionForm, openMethodForm, openRoleChangeForm } from './forms/index.js';
import { loadView } from './views/projection.js';
import { openRetro } from './views/retro.js';
import { openCompare } from './views/compare.js';
import { renderStatement } from './views/statement.js';

// Who may see which section (all roles when not said), in the order of the tabs. `writes`: a
// form, closed in an archived study (the server refuses its appends). `studies`: shown only to
// a caller with a role in at least that many studies.
export const VIEWS = [
  { id: 'note', roles: ['makelaar', 'researcher'], writes: true },
  { id: 'reflection', roles: ['researcher'], writes: true },
  { id: 'method', roles: ['researcher'], writes: true },
  { id: 'rolechange', roles: ['researcher'], writes: true },
  { id: 'notes', roles: ['makelaar', 'researcher'] },
  { id: 'initiatives' },
  { id: 'activity' },
  { id: 'cycles' },
  { id: 'role' },
  { id: 'signals' },
  { id: 'lessons' },
  { id: 'codebook' },
  { id: 'network' },
  { id: 'warnings' },
  { id: 'retro' },
  { id: 'compare', studies: 2 },
  { id: 'admin', roles: ['admin'] },
  // Not tabs: reached from links (a note in the browser, a source reference, a count).
  { id: 'noteview', roles: ['makelaar', 'researcher'], tab: false },
  { id: 'event', roles: ['makelaar', 'researcher', 'admin'], tab: false },
  { id: 'events', roles: ['makelaar', 'researcher', 'admin'], tab: false },
];
// Views whose address says what they show (#/event/12, #/notes?area=...): a new address is a
// new page to the reader, so the focus goes to its heading as for another view.
const ADDRESSED = ['notes', 'noteview', 'event', 'events'];

// What a link to an event in another of the token's studies does (main.js: enter that study).
let switchStudyHook = () => {};
export function onSwitchStudy(fn) {
  switchStudyHook = fn;
}
const DEFAULT_VIEW = { makelaar: 'note', researcher: 'note', viewer: 'initiatives', admin: 'admin' };

export function allowed(v) {
  if (!S.me || !S.study) return false;
  if (v.roles && !v.roles.includes(S.me.role)) return false;
  if (v.writes && S.study.archived) return false;
  return !v.studies || studiesWithRole().length >= v.studies;
}

export function buildTabs() {
  const list = $('#tab-list');
  const shown = VIEWS.filter((v) => v.tab !== false && allowed(v));
  const firstRead = shown.find((v) => !v.roles || !v.roles.some((r) => WRITES.includes(r)));
  // The tab of the view shown changes no address: it takes the focus to the view's heading.
  const again = (ev, id) => {
    if (id !== S.view) return;
    ev.preventDefault();
    window.scrollTo(0, 0);
    focusView();
  };
  list.replaceChildren(...shown.map((v) => h('a', { href: `#/${v.id}`, class: v === firstRead && shown[0] !== v ? 'tab group-start' : 'tab', 'data-view': v.id, text: t(`tab.${v.id}`), onclick: (ev) => again(ev, v.id) })));
  markTab();
}

// A tab reached with Tab or Shift+Tab comes wholly into the strip's view: on a phone the strip
// scrolls sideways, and the browser's own scrolling left a tab partly off the screen's edge.
export function wireTabs() {
  $('#tab-list').addEventListener('focusin', (ev) => {
    if (ev.target.matches('a.tab')) ev.target.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  });
}

function markTab() {
  for (const a of $$('#tab-list a')) {
    // A note's page belongs to the notes browser's tab.
    const on = a.dataset.view === (S.view === 'noteview' ? 'notes' : S.view);
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
    if (on) a.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }
}

// The accessibility statement's address (#/toegankelijkheid): open to anyone, signed in or not.
export const STATEMENT = 'toegankelijkheid';

// The view the address names (#/note -> 'note'), or null.
export function hashView() {
  const m = /^#\/([a-z]+)/.exec(location.hash);
  return m ? m[1] : null;
}

// Shows the view the address names. `focus`: the person went there (a tab, a link), so the focus
// goes to the view's heading when the view changed.
export function route({ focus = false } = {}) {
  let id = hashView();
  if (id === STATEMENT) return show('statement', { focus });
  if (!S.me) return;
  // Without a study the address is left as it is: once one is chosen, it is shown if allowed.
  if (!S.study || id === 'studies') return show('studies');
  const { arg, params } = hashParts();
  if (id === 'notes' && arg) id = 'noteview';
  // A link from a report of another study (#/event/12?study=zwolle): that study, if the token
  // has a role there; it routes again once entered.
  const want = params.get('study');
  if (want && want !== S.study.slug && findStudy(want)) return switchStudyHook(findStudy(want));
  const v = VIEWS.find((x) => x.id === id);
  if (!v || !allowed(v)) {
    // A makelaar in an archived study has no note form: the first view for everyone instead.
    const first = VIEWS.find((x) => x.id === DEFAULT_VIEW[S.me.role]);
    id = first && allowed(first) ? first.id : 'initiatives';
    history.replaceState(null, '', `${location.pathname}${location.search}#/${id}`);
  }
  show(id, { focus });
}

export function show(id, { focus = false } = {}) {
  const changed = S.view !== id || (ADDRESSED.includes(id) && S.shownHash !== location.hash);
  S.shownHash = location.hash;
  if (id === 'studies' && changed && S.view) S.returnTo = S.view;
  S.view = id;
  $$('.view').forEach((v) => { v.hidden = v.id !== `view-${id}`; });
  $('#tabs').hidden = !S.study;
  markTab();
  const sec = $(`#view-${id}`);
  if (id === 'studies') openPicker(changed);
  else if (sec.classList.contains('projection')) loadView(id);
  else if (id === 'note') openNoteForm();
  else if (id === 'reflection') openReflectionForm();
  else if (id === 'method') openMethodForm();
  else if (id === 'rolechange') openRoleChangeForm();
  else if (id === 'retro') openRetro();
  else if (id === 'compare') openCompare();
  else if (id === 'statement') renderStatement();
  else if (id === 'notes') openNotes();
  else if (id === 'noteview') openNoteView(hashParts().arg);
  else if (id === 'event') openEvent(hashParts().arg);
  else if (id === 'events') openEvents(hashParts().params);
  if (changed) window.scrollTo(0, 0);
  if (focus && changed && id !== 'studies') focusView();
}

// Moves the focus to the heading of the view shown, so that after signing in, choosing a study
// or following a tab the focus is not left on <body> or on something now hidden, and a screen
// reader says where one is. The page is at its top then, so the heading is in view.
export function focusView() {
  const sec = S.view && $(`#view-${S.view}`);
  const heading = sec && $('h1', sec);
  if (heading) heading.focus({ preventScroll: true });
}

// The picker takes the place of the page (after signing in, or from the header): the focus goes
// to its heading, so that a screen reader says where it is.
function openPicker(changed) {
  renderPicker();
  if (changed) $('#studies-title').focus();
}
