// Signing in (with a pasted code or a link's #token=…) and out. The token is kept in
// sessionStorage only; signing out forgets it and everything the session held, but not the
// outbox: its events are sent when the same participant signs in again.
import { S, KEY, storageGet, storageSet } from './state.js';
import { $, $$ } from './dom.js';
import { t } from './texts.js';
import { ApiError, NetError, whoAmI } from './http.js';
import { restoreCatalog, loadCatalog } from './catalog.js';
import { outbox, renderOutbox, flushOutbox } from './outbox.js';
import { startLive, stopLive } from './sse.js';
import { buildTabs, route } from './nav.js';
import { fillFormLists } from './forms/index.js';
import { resetViews } from './views/projection.js';
import { clearRetro } from './views/retro.js';

export async function signIn(token, { quiet = false } = {}) {
  S.token = token;
  const err = $('#signin-error');
  err.hidden = true;
  try {
    S.me = await whoAmI();
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
  storageSet(sessionStorage, KEY.me, S.me);
  started();
}

// A reload while offline (the page itself comes from the service worker): work from what this
// tab knew, so notes can still be written into the outbox.
function offlineStart(token) {
  const me = storageGet(sessionStorage, KEY.me, null);
  if (!me) return showSignIn();
  S.token = token;
  S.me = me;
  started();
}

function started() {
  S.epoch += 1;
  $('#signin').hidden = true;
  $('#signout').hidden = false;
  $('#tabs').hidden = false;
  restoreCatalog();
  fillFormLists();
  renderWho();
  buildTabs();
  renderOutbox();
  route();
  loadCatalog().catch(() => {});
  startLive();
  flushOutbox();
}

export function expired() {
  if (!S.token) return;
  signOut(t('signin.expired'));
}

export function signOut(message) {
  const waiting = S.me ? outbox.mine().length : 0;
  if (waiting) message = `${message || ''} ${t('signout.waiting', { n: waiting })}`.trim();
  S.epoch += 1;
  S.token = null;
  S.me = null;
  sessionStorage.removeItem(KEY.token);
  sessionStorage.removeItem(KEY.me);
  stopLive();
  S.cache = {};
  S.recent = [];
  S.views = {};
  S.areas = new Map();
  S.subjects = new Set();
  S.tailRead = false;
  S.head = 0;
  S.feedPos = 0;
  resetViews();
  clearRetro();
  showSignIn(message);
}

export function showSignIn(message) {
  $$('.view').forEach((v) => { v.hidden = true; });
  $('#tabs').hidden = true;
  $('#signout').hidden = true;
  $('#who').textContent = '';
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
  $('#who').textContent = [name, t(`role.${S.me.role}`)].filter(Boolean).join(' · ');
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
