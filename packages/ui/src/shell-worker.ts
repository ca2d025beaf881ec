/**
 * Registers the service worker that keeps the app's shell (`packages/ui/public/sw.js`, copied to
 * the root of each app's build), so a reload while the server (relay or vessel node) is unreachable
 * still opens the app on what it kept in IndexedDB. On the first visit the page loaded its files
 * before the worker existed, so it hands the worker their URLs to keep. Service workers need a
 * secure context: HTTPS, or http on 127.0.0.1 / localhost.
 */
export function registerShellWorker(): void {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return
  navigator.serviceWorker
    .register('./sw.js', { scope: './' })
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      const loaded = performance
        .getEntriesByType('resource')
        .map((entry) => entry.name)
        .filter((url) => url.startsWith(window.location.origin))
      registration.active?.postMessage({ cache: loaded })
    })
    .catch(() => {
      // Without a worker the app works as before; only an offline reload needs it.
    })
}
