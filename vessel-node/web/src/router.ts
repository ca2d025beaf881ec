/**
 * Hash routing: `#/containers?q=…`, `#/containers/CSQU3054383`, `#/sync`. The vessel node serves
 * one static index.html, so the hash keeps every view a plain link that survives a reload.
 */
import { useSyncExternalStore } from 'react'

export type Route =
  | { name: 'list'; params: URLSearchParams }
  | { name: 'detail'; containerId: string }
  | { name: 'sync' }
  | { name: 'voyage'; voyage: string | null }

export function parseHash(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?')
  const parts = path.split('/').filter(Boolean)
  if (parts[0] === 'containers' && parts[1])
    return { name: 'detail', containerId: decodeURIComponent(parts[1]) }
  if (parts[0] === 'sync') return { name: 'sync' }
  if (parts[0] === 'voyage') return { name: 'voyage', voyage: parts[1] ? decodeURIComponent(parts[1]) : null }
  return { name: 'list', params: new URLSearchParams(query) }
}

const subscribe = (listener: () => void): (() => void) => {
  window.addEventListener('hashchange', listener)
  return () => window.removeEventListener('hashchange', listener)
}

/** The current route; re-renders on navigation. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash)
  return parseHash(hash)
}

export const hrefOf = {
  list: (params?: URLSearchParams): string => {
    const query = params?.toString()
    return query ? `#/containers?${query}` : '#/containers'
  },
  detail: (containerId: string): string => `#/containers/${encodeURIComponent(containerId)}`,
  sync: (): string => '#/sync',
  voyage: (voyage?: string): string => (voyage ? `#/voyage/${encodeURIComponent(voyage)}` : '#/voyage'),
}

export function navigate(href: string): void {
  window.location.hash = href.replace(/^#/, '')
}

/** Changes the hash without a new history entry (typing in the search box). */
export function replaceHash(href: string): void {
  const url = `${window.location.pathname}${window.location.search}${href}`
  window.history.replaceState(window.history.state, '', url)
  window.dispatchEvent(new HashChangeEvent('hashchange'))
}
