/**
 * REST answers kept in localStorage, so the fleet and the list of recent containers still show
 * (marked with their age) while the relay is unreachable. Documents need none of this: they live in
 * IndexedDB through the Repo.
 */
import { useEffect, useState } from 'react'

export interface Cached<T> {
  data: T | null
  /** When `data` was fetched (ISO), or null. */
  at: string | null
  /** The last fetch failed; `data` is from before. */
  error: string | null
  loading: boolean
}

const PREFIX = 'tally.shore.cache.'

export function recall<T>(key: string): { data: T; at: string } | null {
  try {
    const raw = localStorage.getItem(PREFIX + key)
    return raw ? (JSON.parse(raw) as { data: T; at: string }) : null
  } catch {
    return null
  }
}

export function remember<T>(key: string, data: T): string {
  const at = new Date().toISOString()
  try {
    localStorage.setItem(PREFIX + key, JSON.stringify({ data, at }))
  } catch {
    // Full or disabled: the data lasts until the page reloads.
  }
  return at
}

/**
 * Fetches `load` now, again every `refreshMs` and whenever `trigger` changes, showing the cached
 * answer until the first one arrives.
 */
export function useCached<T>(
  key: string,
  load: (signal: AbortSignal) => Promise<T>,
  refreshMs: number,
  trigger: unknown = null,
): Cached<T> {
  const [state, setState] = useState<Cached<T>>(() => {
    const hit = recall<T>(key)
    return { data: hit?.data ?? null, at: hit?.at ?? null, error: null, loading: true }
  })
  useEffect(() => {
    const hit = recall<T>(key)
    setState({ data: hit?.data ?? null, at: hit?.at ?? null, error: null, loading: true })
    let controller = new AbortController()
    const run = () => {
      controller.abort()
      controller = new AbortController()
      load(controller.signal).then(
        (data) => setState({ data, at: remember(key, data), error: null, loading: false }),
        (err: Error) => {
          if (err?.name !== 'AbortError') setState((s) => ({ ...s, error: err.message, loading: false }))
        },
      )
    }
    run()
    const timer = setInterval(run, refreshMs)
    return () => {
      clearInterval(timer)
      controller.abort()
    }
    // `load` is recreated by callers on every render; `key` names what it loads.
  }, [key, refreshMs, trigger])
  return state
}

/** Containers opened lately, newest first: the way back to a document while offline. */
export interface RecentContainer {
  vessel: string
  voyage: string
  containerId: string
  isoType: string
  openedAt: string
}

const RECENT_KEY = 'recent'
const RECENT_LIMIT = 12

export function recentContainers(user: string): RecentContainer[] {
  return recall<RecentContainer[]>(`${RECENT_KEY}.${user}`)?.data ?? []
}

export function rememberOpened(user: string, item: Omit<RecentContainer, 'openedAt'>): void {
  const rest = recentContainers(user).filter(
    (r) => !(r.vessel === item.vessel && r.voyage === item.voyage && r.containerId === item.containerId),
  )
  remember(
    `${RECENT_KEY}.${user}`,
    [{ ...item, openedAt: new Date().toISOString() }, ...rest].slice(0, RECENT_LIMIT),
  )
}
