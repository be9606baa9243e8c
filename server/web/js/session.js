// Signing in (with a pasted code or a link's #token=…) and out, and entering and leaving a study.
// The token is kept in sessionStorage only; signing out forgets it and everything the session
// held, but not the outbox: its events are sent when the same participant signs in again.
import { S, KEY, storageGet } from './state.js';
import { $, $$, toast } from './dom.js';
import { t } from './texts.js';
import { ApiError, NetError, whoAmI } from './http.js';
import { restoreCatalog, loadCatalog } from './catalog.js';
import { outbox, renderOutbox, flushOutbox } from './outbox.js';
import { startLive, stopLive } from './sse.js';
import { buildTabs, focusView, route } from './nav.js';
import { fillFormLists } from './forms/index.js';
import { resetViews } from './views/projection.js';
import { clearRetro } from './views/retro.js';
import { resetCompare } from './views/compare.js';
import { clearAdmin } from './views/admin.js';
import { findStudy, studyLabel, studiesWithRole, rememberedStudy, rememberStudy, forgetStudy, refreshStudies, keepMe, renderStudyBar, renderPicker } from './studies.js';

const STUDY_CHECK_INTERVAL_MS = 30000; // a study's 404s ask the list of studies again at most this often

export async function signIn(token, { quiet = false } = {}) {
  S.token = token;
  const err = $('#signin-error');
  err.hidden = true;
  let who;
  try {
    who = await whoAmI();
  } catch (e) {
    S.token = null;
    // Only a refused token is forgotten; without a connection it is kept for the next try.
    if (e instanceof ApiError) sessionStorage.removeItem(KEY.token);
    if (!quiet) {
      err.textContent = e instanceof ApiError && e.status === 401 ? t('signin.bad') : t('signin.offline');
      err.hidden = false;
    }
    // Offline with a token from before a reload: keep the token and show what is kept here.
    if (e instanceof NetError && quiet) return offlineStart(token);
    showSignIn();
    return;
  }
  sessionStorage.setItem(KEY.token, token);
  S.me = { participant: who.participant, instituteAdmin: who.instituteAdmin, role: null };
  S.studies = who.studies;
  keepMe();
  started();
}

// A reload while offline (the page itself comes from the service worker): work from what this
// tab knew, so notes can still be written into the outbox. A tab of the client before studies
// kept no list of them: it signs in again (its outbox is kept, and sent after that).
function offlineStart(token) {
  const me = storageGet(sessionStorage, KEY.me, null);
  if (!me || !Array.isArray(me.studies)) return showSignIn();
  S.token = token;
  S.me = { participant: me.participant, instituteAdmin: !!me.instituteAdmin, role: null };
  S.studies = me.studies;
  started();
}

// Signed in: the study this device chose, if the token still reaches it; the only one, if there
// is one; the picker otherwise.
function started() {
  S.epoch += 1;
  $('#signin').hidden = true;
  $('#signout').hidden = false;
  renderWho();
  renderOutbox();
  // Each waiting event names its study, so the outbox need not wait for a choice.
  flushOutbox();
  const mine = studiesWithRole();
  const kept = rememberedStudy();
  let study = kept ? findStudy(kept) : null;
  let notice = '';
  if (kept && !study) {
    forgetStudy();
    notice = t('studies.gone');
  }
  if (!study && mine.length === 1) {
    study = mine[0];
    if (notice) toast(t('studies.gone1', { v: studyLabel(study.slug) }), 'warn');
  }
  if (study) {
    enterStudy(study);
    // Signed in: the focus leaves the sign-in form (now hidden) for the view's heading.
    focusView();
    return;
  }
  S.study = null;
  renderStudyBar();
  buildTabs();
  renderPicker(notice);
  route();
}

// Works in `study` from now on: its views, its forms' lists, its feed. What the page held of the
// study before goes first (leaveStudy), so that none of it shows under this study's name.
export function enterStudy(study) {
  leaveStudy();
  S.study = study;
  S.me.role = study.role;
  rememberStudy(study.slug);
  restoreCatalog();
  fillFormLists();
  renderWho();
  renderStudyBar();
  buildTabs();
  renderOutbox();
  route();
  loadCatalog().catch(() => {});
  startLive();
  flushOutbox();
}

// The picker's choice. The current study again is only a way back to where one was.
export function chooseStudy(study) {
  // Opened from the header (#/studies): back to the view shown before, if the new role has it.
  if (/^#\/studies\b/.test(location.hash)) {
    const back = S.returnTo && S.returnTo !== 'studies' ? `#/${S.returnTo}` : '';
    history.replaceState(null, '', `${location.pathname}${location.search}${back}`);
  }
  $('#live-region').textContent = t('study.chosen', { v: studyLabel(study.slug) });
  if (S.study && S.study.slug === study.slug) route();
  else enterStudy(study);
  focusView();
}

// Everything the page holds of the study it leaves: the feed, the views, the caches, the
// positions (each study's log counts from 1). The epoch makes late answers of it be dropped.
function leaveStudy() {
  S.epoch += 1;
  stopLive();
  clearTimeout(S.refreshTimer);
  clearTimeout(S.catalogTimer);
  S.study = null;
  if (S.me) S.me.role = null;
  S.cache = {};
  S.recent = [];
  S.views = {};
  S.areas = new Map();
  S.myArea = null;
  S.subjects = new Set();
  S.tailRead = false;
  S.head = 0;
  S.feedPos = 0;
  resetViews();
  clearRetro();
  clearAdmin();
}

// The list of studies was asked again: the header's switch, the compare tab and the picker
// follow it. The study the page shows may have been taken away (the picker, saying so) or the
// role in it changed (entered again, with the new role's sections).
export function studiesChanged() {
  if (S.study && !findStudy(S.study.slug)) return lostStudy();
  if (S.study && S.study.role !== S.me.role) return enterStudy(S.study);
  renderStudyBar();
  buildTabs();
  if (S.view === 'studies') renderPicker();
}

function lostStudy() {
  forgetStudy();
  leaveStudy();
  renderWho();
  renderStudyBar();
  buildTabs();
  renderPicker(t('studies.lost'));
  route();
}

// A study's route answered 404: the token may have lost its role there (the server answers a
// study it may not see as one that does not exist), so the list of studies is asked again, at
// most every STUDY_CHECK_INTERVAL_MS for one study (a chart with nothing to draw is a 404 too).
const studyChecks = new Map(); // slug -> when last asked
export async function checkStudy(slug) {
  const now = Date.now();
  if (!S.me || now - (studyChecks.get(slug) || 0) < STUDY_CHECK_INTERVAL_MS) return;
  studyChecks.set(slug, now);
  try {
    if (await refreshStudies()) studiesChanged();
  } catch (_) { /* not reachable now: nothing learnt */ }
}

export function expired() {
  if (!S.token) return;
  signOut(t('signin.expired'));
}

export function signOut(message) {
  const waiting = S.me ? outbox.mine().length : 0;
  if (waiting) message = `${message || ''} ${t('signout.waiting', { n: waiting })}`.trim();
  leaveStudy();
  S.token = null;
  S.me = null;
  S.studies = [];
  S.view = null;
  S.returnTo = null;
  sessionStorage.removeItem(KEY.token);
  sessionStorage.removeItem(KEY.me);
  resetCompare();
  showSignIn(message);
}

export function showSignIn(message) {
  $$('.view').forEach((v) => { v.hidden = true; });
  $('#tabs').hidden = true;
  $('#signout').hidden = true;
  $('#who').textContent = '';
  renderStudyBar();
  renderOutbox();
  const s = $('#signin');
  s.hidden = false;
  const err = $('#signin-error');
  if (message) {
    err.textContent = message;
    err.hidden = false;
  }
  $('#token-input').focus();
}

export function renderWho() {
  if (!S.me) return;
  const node = S.me.participant && S.cache.network && S.cache.network.data.nodes.find((n) => n.id === `participant:${S.me.participant}`);
  const name = node ? node.label : S.me.participant;
  $('#who').textContent = [name, S.me.role ? t(`role.${S.me.role}`) : null].filter(Boolean).join(' · ');
}

// A sign-in link carries the token in the fragment (#token=…), which never reaches a server
// log. It is moved to sessionStorage and wiped from the address bar and the history.
export function takeTokenFromUrl() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m) return false;
  const token = decodeURIComponent(m[1]);
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  if (S.me) signOut();
  signIn(token);
  return true;
}
