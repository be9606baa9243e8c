// parlog's service worker: keeps the page's own files so that the page opens without a
// connection (a phone browser may drop a tab between two visits). Network first, so a new
// version of the server is used at once; the cache only answers when the network does not.
// The API is never cached: it needs the token, and its answers must be fresh.
//
// SHELL, the files to keep, is not written here: the server puts it in front of this code from
// the table of files it serves (server/src/http/web.rs), so that the two cannot differ.

const CACHE = 'parlog-shell-v1';

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

// Drops other caches, and the files of an older version that are no longer served.
self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => caches.open(CACHE))
      .then((c) => c.keys().then((reqs) => Promise.all(reqs.filter((r) => !SHELL.includes(new URL(r.url).pathname)).map((r) => c.delete(r)))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || !SHELL.includes(url.pathname)) return;
  event.respondWith(
    fetch(event.request)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          event.waitUntil(caches.open(CACHE).then((c) => c.put(url.pathname, copy)));
        }
        return res;
      })
      .catch(() => caches.match(url.pathname).then((hit) => hit || Response.error())),
  );
});
