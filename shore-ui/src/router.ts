/**
 * Hash routing: `#/fleet`, `#/search?q=…&vessel=…`, `#/voyages/IMO9811000`,
 * `#/c/IMO9811000/024E/CSQU3054383`. The relay serves one index.html, so every view is a plain link
 * that survives a reload, online or not. A container's route names its voyage, so the document URL
 * is derived in the browser (documentUrlFor) and the container opens from IndexedDB without asking
 * the relay.
 */
import { useSyncExternalStore } from 'react'
import type { ContainerKey } from '@tally/manifest'

export type Route =
  | { name: 'fleet' }
  | { name: 'search'; params: URLSearchParams }
  | { name: 'container'; key: ContainerKey }
  | { name: 'voyages'; vessel: string }

export function parseHash(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?')
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent)
  if (parts[0] === 'c' && parts.length === 4)
    return { name: 'container', key: { vessel: parts[1]!, voyage: parts[2]!, containerId: parts[3]! } }
  if (parts[0] === 'voyages' && parts.length === 2) return { name: 'voyages', vessel: parts[1]! }
  if (parts[0] === 'search') return { name: 'search', params: new URLSearchParams(query) }
  return { name: 'fleet' }
}

const subscribe = (listener: () => void): (() => void) => {
  window.addEventListener('hashchange', listener)
  return () => window.removeEventListener('hashchange', listener)
}

export function useRoute(): Route {
  return parseHash(useSyncExternalStore(subscribe, () => window.location.hash))
}

export const hrefOf = {
  fleet: (): string => '#/fleet',
  search: (params?: Record<string, string>): string => {
    const query = new URLSearchParams(params ?? {}).toString()
    return query ? `#/search?${query}` : '#/search'
  },
  voyages: (vessel: string): string => `#/voyages/${encodeURIComponent(vessel)}`,
  container: (key: ContainerKey): string =>
    `#/c/${[key.vessel, key.voyage, key.containerId].map(encodeURIComponent).join('/')}`,
}

/** Changes the hash without a new history entry (typing in the search box). */
export function replaceHash(href: string): void {
  const url = `${window.location.pathname}${window.location.search}${href}`
  window.history.replaceState(window.history.state, '', url)
  window.dispatchEvent(new HashChangeEvent('hashchange'))
}
