// parlog's web interface: plain JavaScript in native modules, no build step, no requests to
// anything but this server. It signs in with a bearer token (kept in sessionStorage only), works
// in one of the token's studies at a time (studies.js; chosen per device, named in the header),
// records field notes and research events through the outbox (outbox.js), shows the projections,
// the charts, the retrospective and the comparison of studies, and refreshes them live from the
// study's feed (sse.js).
//
// This module starts the page and ties the others together: the language, the connection
// state, and what a new event in the log means for what the page shows.
import { S, KEY, WRITES, LEGACY_KEYS } from './state.js';
import { $, $$ } from './dom.js';
import { T, t } from './texts.js';
import { onUnauthorized, onStudyMissing } from './http.js';
import { RECENT_NOTES_MAX, loadCatalog, refreshCatalog, takeEvent, invalidateAll, onCatalogChange, onStale } from './catalog.js';
import { outbox, renderOutbox, flushOutbox, retryAll, RETRY_INTERVAL_MS } from './outbox.js';
import { setFeedHandlers, renderNet, restartLive } from './sse.js';
import { VIEWS, STATEMENT, allowed, buildTabs, hashView, route, show, wireTabs, onSwitchStudy } from './nav.js';
import { signIn, signOut, expired, showSignIn, renderWho, takeTokenFromUrl, chooseStudy, checkStudy, studiesChanged, enterStudy } from './session.js';
import { notesChanged, wireNotes } from './views/notes.js';
import { liveReload } from './views/noteview.js';
import { onStudyChosen, refreshStudies, renderStudyBar } from './studies.js';
import { fillFormLists, wireForms, renderRecent, noteLine } from './forms/index.js';
import { resetViews, scheduleRefresh } from './views/projection.js';
import { clearRetro, markRetroStale, wireRetro } from './views/retro.js';
import { wireAdmin } from './views/admin.js';
import { renderStatement } from './views/statement.js';
import { clearCompare, wireCompare } from './views/compare.js';

// Events after which the forms' lists may have changed (names, areas, cycles, roles).
const CATALOG_KINDS = ['AreaDefined', 'InitiativeStarted', 'InitiativeStopped', 'InitiativeHandedOver', 'CodeDefined', 'CodeRenamed', 'CodesMerged', 'CycleOpened', 'CycleClosed', 'ParticipantRegistered', 'RoleDescribed', 'RoleChanged', 'ReflectionRecorded'];

// ---- language ------------------------------------------------------------------------------

function applyLang() {
  document.documentElement.lang = S.lang;
  for (const el of $$('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of $$('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      el.setAttribute(attr, t(key));
    }
  }
  for (const b of $$('.lang button')) b.setAttribute('aria-pressed', String(b.dataset.lang === S.lang));
  renderNet();
  renderOutbox();
}

function setLang(lang) {
  if (lang === S.lang) return;
  S.lang = lang;
  try { localStorage.setItem(KEY.lang, lang); } catch (_) { /* not kept */ }
  applyLang();
  renderStudyBar();
  if (S.view === 'statement') renderStatement();
  if (!S.me) return;
  renderWho();
  buildTabs();
  // Labels from the server are in the language asked for: fetch again.
  for (const c of Object.values(S.cache)) c.stale = true;
  resetViews();
  clearRetro();
  clearCompare();
  fillFormLists();
  if (S.study && WRITES.includes(S.me.role)) refreshCatalog().catch(() => {});
  renderRecent();
  show(S.view);
}

// ---- connection state ----------------------------------------------------------------------

function setOnline(on) {
  S.online = on;
  renderNet();
  if (on) {
    flushOutbox();
    if (S.me && !S.live) restartLive();
    // Started offline from this tab's memory: read what was missed, and whether the token's
    // studies are still the ones it knew.
    if (S.me) refreshStudies().then((asked) => { if (asked) studiesChanged(); }).catch(() => {});
    if (S.study && (S.referenceEpoch !== S.epoch || (WRITES.includes(S.me.role) && !S.tailRead))) loadCatalog().catch(() => {});
  } else if (S.feed) {
    S.feed.abort();
  }
}

// ---- the log grew --------------------------------------------------------------------------

// A new event from the feed: update what the page keeps, and refresh what it shows.
function onEvent(e) {
  const notes = [];
  takeEvent(e, notes);
  if (notes.length) {
    S.recent = [e].concat(S.recent.filter((n) => n.id !== e.id)).slice(0, RECENT_NOTES_MAX);
    renderRecent(e.id);
    if (S.me && e.author !== S.me.participant) $('#live-region').textContent = t('live.new', { v: noteLine(e).author });
  }
  invalidateAll();
  // The notes browser and a note's page follow the log (the notes index is updated live).
  clearTimeout(S.notesTimer);
  S.notesTimer = setTimeout(() => { if (S.me) { notesChanged(); liveReload(); } }, 600);
  if (CATALOG_KINDS.includes(e.kind)) {
    clearTimeout(S.catalogTimer);
    S.catalogTimer = setTimeout(() => { if (S.me) refreshCatalog().catch(() => {}); }, 500);
  }
  scheduleRefresh();
}

// Viewers see no events, only that the log's head moved.
function onHeadMoved() {
  invalidateAll();
  scheduleRefresh();
}

// ---- start ---------------------------------------------------------------------------------

function wire() {
  onUnauthorized(expired);
  onStudyMissing(checkStudy);
  onStudyChosen(chooseStudy);
  onSwitchStudy(enterStudy);
  setFeedHandlers({ onEvent, onHeadMoved });
  onCatalogChange(() => {
    renderWho();
    fillFormLists();
    renderRecent();
  });
  onStale(markRetroStale);

  $('#signin-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = $('#token-input').value.trim();
    if (!v) {
      const err = $('#signin-error');
      err.textContent = t('signin.empty');
      err.hidden = false;
      return;
    }
    $('#token-input').value = '';
    signIn(v);
  });
  $('#signout').addEventListener('click', () => signOut(t('signedout')));
  // The picker, with the token's studies asked again (one may have been added since signing in).
  $('#study-switch').addEventListener('click', () => {
    location.hash = '#/studies';
    refreshStudies().then((asked) => { if (asked) studiesChanged(); }).catch(() => {});
  });
  for (const b of $$('.lang button')) b.addEventListener('click', () => setLang(b.dataset.lang));
  $('#outbox-button').addEventListener('click', () => {
    if (S.me && allowed(VIEWS[0])) location.hash = '#/note';
    // To the list of waiting notes, with the focus on its heading (not left on the button).
    setTimeout(() => {
      if ($('#outbox-card').hidden) return;
      $('#outbox-title').focus({ preventScroll: true });
      $('#outbox-card').scrollIntoView({ block: 'start' });
    }, 50);
  });
  $('#outbox-retry').addEventListener('click', retryAll);
  wireTabs();
  wireForms();
  wireRetro();
  wireAdmin();
  wireCompare();
  wireNotes();
  window.addEventListener('hashchange', () => {
    if (takeTokenFromUrl()) return;
    if (!S.me) return signedOutRoute();
    route({ focus: true });
  });
  window.addEventListener('online', () => setOnline(true));
  window.addEventListener('offline', () => setOnline(false));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && S.me) {
      flushOutbox();
      if (!S.live && S.study && S.me.role !== 'viewer') restartLive();
    }
  });
  setInterval(() => { if (S.me && outbox.mine().some((x) => !x.rejected)) flushOutbox(); }, RETRY_INTERVAL_MS);
}

// Signed out, only the sign-in form and the accessibility statement can be shown.
function signedOutRoute() {
  if (hashView() === STATEMENT) return show('statement', { focus: true });
  if (S.view === 'statement') {
    S.view = null;
    showSignIn();
  }
}

// The sticky study bar and tabs change height (a study's name wraps, the tabs wrap on a wide
// screen): the page's scroll padding follows, so nothing scrolled into view lands under them.
function trackBars() {
  const bars = $('.bars');
  const set = () => document.documentElement.style.setProperty('--bars-h', `${Math.ceil(bars.getBoundingClientRect().height)}px`);
  if ('ResizeObserver' in window) new ResizeObserver(set).observe(bars);
  set();
}

function registerServiceWorker() {
  // Keeps the page's files so that it opens without a connection, e.g. after a phone browser
  // dropped the tab between two visits. Only in secure contexts (https, localhost).
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('/sw.js').catch(() => {});
  }
}

function boot() {
  for (const k of LEGACY_KEYS) {
    try { localStorage.removeItem(k); } catch (_) { /* storage may be off */ }
  }
  applyLang();
  wire();
  trackBars();
  registerServiceWorker();
  if (takeTokenFromUrl()) return;
  const token = sessionStorage.getItem(KEY.token);
  if (token) signIn(token, { quiet: true });
  else if (hashView() === STATEMENT) show('statement');
  else showSignIn();
}

// For the browser tests and for debugging from the console; holds no secrets.
window.parlog = {
  outbox: () => outbox.all().map((x) => ({ id: x.event.id, study: x.study || null, rejected: !!x.rejected })),
  state: () => ({ role: S.me && S.me.role, participant: S.me && S.me.participant, study: S.study && S.study.slug, studies: S.studies.map((s) => s.slug), view: S.view, live: S.live, online: S.online, head: S.head, feedPos: S.feedPos }),
  words: (lang) => T[lang],
};

// A module runs after the document is parsed, but may run before DOMContentLoaded.
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
