/* global self, caches, fetch, URL, Response */
/*
 * The service worker of both web apps (the crew app served by the vessel node, the shore app served
 * by the relay; each build copies this file to its root): it keeps the app's shell (index.html and
 * the hashed assets, Automerge's WebAssembly included) so a reload while the server is unreachable
 * still opens the app, which then reads what it kept in IndexedDB (the shore app its documents, the
 * crew app the edits waiting for the vessel node).
 *
 * - Navigations: the network first (a new release is picked up at once), the cached shell when the
 *   server cannot be reached.
 * - The app's own files: from the cache, fetched and kept on first use (their names carry a hash,
 *   so a cached file never goes stale).
 * - Everything else (the REST API, /sync, /ops, /metrics) is never touched.
 */
// Caches belong to an origin: the relay's and the vessel node's never meet.
const CACHE = 'tally-shell-v1'
const SHELL = './'

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.add(SHELL))
      .then(() => self.skipWaiting()),
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  )
})

/** The page tells us what it loaded before this worker controlled it (its first visit). */
self.addEventListener('message', (event) => {
  const urls = event.data && Array.isArray(event.data.cache) ? event.data.cache : []
  const own = urls.filter((u) => typeof u === 'string' && isShellAsset(new URL(u, self.location.href)))
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(own))
      .catch(() => undefined),
  )
})

const scope = () => new URL(self.registration.scope)

function isShellAsset(url) {
  const base = scope()
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return false
  const rest = url.pathname.slice(base.pathname.length)
  return rest.startsWith('assets/') || rest === 'sw.js' || /\.(ico|png|svg|webmanifest)$/.test(rest)
}

self.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  // The app routes by hash, so its only page is the scope's root; /ops and the rest are not ours.
  const isShellPage =
    url.origin === scope().origin &&
    [scope().pathname, `${scope().pathname}index.html`].includes(url.pathname)
  if (request.mode === 'navigate' && isShellPage) {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone()
            void caches.open(CACHE).then((cache) => cache.put(SHELL, copy))
          }
          return response
        })
        .catch(() => caches.match(SHELL).then((cached) => cached || Response.error())),
    )
    return
  }
  if (!isShellAsset(url)) return
  event.respondWith(
    caches.match(request).then(
      (cached) =>
        cached ||
        fetch(request).then((response) => {
          if (response.ok) {
            const copy = response.clone()
            void caches.open(CACHE).then((cache) => cache.put(request, copy))
          }
          return response
        }),
    ),
  )
})
