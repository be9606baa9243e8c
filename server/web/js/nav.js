// The sections of the page as tabs, who may see which, and the route (#/note, #/retro, ...)
// that says which one is shown.
import { S, WRITES } from './state.js';
import { $, $$, h } from './dom.js';
import { t } from './texts.js';
import { openNoteForm, openReflectionForm, openMethodForm, openRoleChangeForm } from './forms/index.js';
import { loadView } from './views/projection.js';
import { openRetro } from './views/retro.js';

// Who may see which section (all roles when not said), in the order of the tabs.
export const VIEWS = [
  { id: 'note', roles: ['makelaar', 'researcher'] },
  { id: 'reflection', roles: ['researcher'] },
  { id: 'method', roles: ['researcher'] },
  { id: 'rolechange', roles: ['researcher'] },
  { id: 'initiatives' },
  { id: 'activity' },
  { id: 'cycles' },
  { id: 'role' },
  { id: 'signals' },
  { id: 'lessons' },
  { id: 'network' },
  { id: 'warnings' },
  { id: 'retro' },
  { id: 'admin', roles: ['admin'] },
];
const DEFAULT_VIEW = { makelaar: 'note', researcher: 'note', viewer: 'initiatives', admin: 'admin' };

export function allowed(v) {
  return S.me && (!v.roles || v.roles.includes(S.me.role));
}

export function buildTabs() {
  const list = $('#tab-list');
  const shown = VIEWS.filter(allowed);
  const firstRead = shown.find((v) => !v.roles || !v.roles.some((r) => WRITES.includes(r)));
  list.replaceChildren(...shown.map((v) => h('a', { href: `#/${v.id}`, class: v === firstRead && shown[0] !== v ? 'tab group-start' : 'tab', 'data-view': v.id, text: t(`tab.${v.id}`) })));
  markTab();
}

function markTab() {
  for (const a of $$('#tab-list a')) {
    const on = a.dataset.view === S.view;
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
    if (on) a.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }
}

export function route() {
  if (!S.me) return;
  const m = /^#\/([a-z]+)/.exec(location.hash);
  let id = m ? m[1] : null;
  const v = VIEWS.find((x) => x.id === id);
  if (!v || !allowed(v)) {
    id = DEFAULT_VIEW[S.me.role] || 'initiatives';
    history.replaceState(null, '', `${location.pathname}${location.search}#/${id}`);
  }
  show(id);
}

export function show(id) {
  const changed = S.view !== id;
  S.view = id;
  $$('.view').forEach((v) => { v.hidden = v.id !== `view-${id}`; });
  markTab();
  const sec = $(`#view-${id}`);
  if (sec.classList.contains('projection')) loadView(id);
  else if (id === 'note') openNoteForm();
  else if (id === 'reflection') openReflectionForm();
  else if (id === 'method') openMethodForm();
  else if (id === 'rolechange') openRoleChangeForm();
  else if (id === 'retro') openRetro();
  if (changed) window.scrollTo(0, 0);
}
