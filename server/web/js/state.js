// What the page holds while it runs (S), and the keys of what it keeps in the browser between
// visits (KEY). The other modules read and change S; none keeps session state of its own, so
// that signing out (which resets S) forgets everything, and leaving a study (which resets its
// part of S) forgets that study's data.

export const KEY = {
  token: 'parlog.token', // sessionStorage: gone when the tab closes
  me: 'parlog.me', // sessionStorage: who the token belongs to and its studies, for a reload while offline
  lang: 'parlog.lang',
  outbox: 'parlog.outbox.v1', // localStorage: events not yet acknowledged by the server (each names its study)
  study: 'parlog.study.v1', // localStorage: the study chosen on this device, {participant: slug}
};

// localStorage: names for the forms' lists, for offline use; one key per study, so that one
// study's names never fill another's forms (also offline, when nothing can be asked).
export function catalogKey(slug) {
  return `parlog.catalog.v2.${slug}`;
}

// Kept by the client of a single-study server: a catalog without a study. Nothing tells which
// study it was of, so it is dropped rather than shown under the wrong name.
export const LEGACY_KEYS = ['parlog.catalog.v1'];

// The roles that write events: they get the forms and the outbox, and follow the live feed.
export const WRITES = ['makelaar', 'researcher'];

export function storageGet(store, key, fallback) {
  try {
    const v = store.getItem(key);
    return v === null ? fallback : JSON.parse(v);
  } catch (_) {
    return fallback;
  }
}

export function storageSet(store, key, value) {
  try {
    store.setItem(key, JSON.stringify(value));
    return true;
  } catch (_) {
    return false;
  }
}

function readLang() {
  try {
    const l = localStorage.getItem(KEY.lang);
    if (l === 'nl' || l === 'en') return l;
  } catch (_) { /* storage may be off */ }
  return 'nl';
}

export const S = {
  lang: readLang(),
  token: null,
  me: null, // {participant, instituteAdmin, role}: role is the one in the chosen study (null before one is chosen)
  studies: [], // what GET /studies said: [{slug, name, municipality, role, archived}]
  study: null, // the chosen study, one of `studies`; every study-scoped request goes to it
  returnTo: null, // the view shown before the study picker was opened from the header
  view: null,
  online: navigator.onLine,
  live: false,
  head: 0, // the highest log position any answer mentioned (viewers poll it)
  feedPos: 0, // the last position read from the log or the feed, in order: the feed goes on after it
  tailRead: false, // whether the log's last page has been read this session (the feed starts after it)
  vocab: null, // the server's vocabularies: name -> [{id, nl, en}]
  limits: null, // the server's limits: name -> number
  referenceEpoch: null, // the session in which vocab and limits came from the server
  areas: new Map(), // area stream id -> {name, kind, parent}
  myArea: null, // the area the signed-in participant was registered for (the directory), if any
  subjects: new Set(), // data subjects seen in readable notes, for suggestions
  recent: [], // recent field notes, newest first
  cache: {}, // projection name -> {data, stale}
  views: {}, // view id -> {asOf, seq}
  feed: null, // AbortController of the running feed
  feedLoop: null, // the epoch whose feed loop runs, so that one session runs one loop
  wakeFeed: null, // ends the wait before the feed's next connection
  flushing: false, // the outbox is being sent
  submitting: false, // a form waits for its own events to be sent (it says so itself)
  retryTimer: null,
  pollTimer: null,
  refreshTimer: null,
  catalogTimer: null,
  notesTimer: null,
  shownHash: null, // the address of the view shown (nav.js: a new address in the same view is a new page)
  epoch: 0, // bumped at sign-in, sign-out and a change of study, so late answers for an old session or study are dropped
};
