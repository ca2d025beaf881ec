/**
 * Live updates from the vessel node over Server-Sent Events (`GET /api/events?token=`): `sync`
 * carries the sync status, `container` names a container that changed (a crew edit or a sync). Open
 * views subscribe and refresh themselves without a reload.
 */
import { useEffect, useRef, useSyncExternalStore } from 'react'
import type { CrewApi, SyncStatus } from './api.ts'

/** EventSource retries on its own while connecting; after a hard close we reopen it ourselves. */
const REOPEN_DELAY_MS = 3_000
const MAX_REOPEN_DELAY_MS = 30_000

type ContainerListener = (containerId: string) => void

export interface LiveSnapshot {
  sync: SyncStatus | null
  /** Whether the event stream is open; when false, views may be out of date. */
  connected: boolean
}

export class LiveEvents {
  private snapshot: LiveSnapshot = { sync: null, connected: false }
  private readonly storeListeners = new Set<() => void>()
  private readonly containerListeners = new Set<ContainerListener>()
  private source: EventSource | null = null
  private reopenTimer: ReturnType<typeof setTimeout> | null = null
  private reopenDelay = REOPEN_DELAY_MS
  private stopped = false
  private readonly api: CrewApi

  constructor(api: CrewApi) {
    this.api = api
  }

  start(): void {
    this.stopped = false
    this.open()
    void this.refreshSync()
  }

  stop(): void {
    this.stopped = true
    if (this.reopenTimer) clearTimeout(this.reopenTimer)
    this.source?.close()
    this.source = null
  }

  /** Fetches the sync status now (at start, after reconnecting, after "Sync now"). */
  async refreshSync(): Promise<void> {
    try {
      this.setSync(await this.api.sync())
    } catch {
      // The stream or the next refresh brings it; a failure here is shown by the views' own calls.
    }
  }

  private open(): void {
    if (this.stopped || typeof EventSource === 'undefined') return
    const source = new EventSource(this.api.eventsUrl())
    this.source = source
    source.onopen = () => {
      this.reopenDelay = REOPEN_DELAY_MS
      this.update({ connected: true })
      void this.refreshSync()
    }
    source.onerror = () => {
      this.update({ connected: false })
      if (source.readyState !== EventSource.CLOSED) return
      // A hard close: the server refused the stream (a revoked token is a 401) or is gone.
      // Asking /api/me tells the app about a revoked token; then we try again later.
      source.close()
      void this.api.me().catch(() => {})
      this.reopenTimer = setTimeout(() => this.open(), this.reopenDelay)
      this.reopenDelay = Math.min(this.reopenDelay * 2, MAX_REOPEN_DELAY_MS)
    }
    source.addEventListener('sync', (e) => {
      try {
        this.setSync(JSON.parse((e as MessageEvent<string>).data) as SyncStatus)
      } catch {
        // A malformed event is ignored; the next one or a refresh corrects the panel.
      }
    })
    source.addEventListener('container', (e) => {
      let id: unknown
      try {
        id = (JSON.parse((e as MessageEvent<string>).data) as { containerId?: unknown }).containerId
      } catch {
        return
      }
      if (typeof id === 'string') for (const listener of this.containerListeners) listener(id)
    })
  }

  setSync(sync: SyncStatus): void {
    this.update({ sync })
  }

  private update(part: Partial<LiveSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...part }
    for (const listener of this.storeListeners) listener()
  }

  subscribe = (listener: () => void): (() => void) => {
    this.storeListeners.add(listener)
    return () => this.storeListeners.delete(listener)
  }

  getSnapshot = (): LiveSnapshot => this.snapshot

  onContainer(listener: ContainerListener): () => void {
    this.containerListeners.add(listener)
    return () => this.containerListeners.delete(listener)
  }
}

/** The live sync status and stream state. */
export function useLive(live: LiveEvents): LiveSnapshot {
  return useSyncExternalStore(live.subscribe, live.getSnapshot, live.getSnapshot)
}

/**
 * Calls `onChange` when a container changes (all containers, or only `containerId`), at most once
 * per `debounceMs`, so a sync that touches hundreds of containers triggers one refresh.
 */
export function useContainerChanges(
  live: LiveEvents,
  onChange: (containerId: string) => void,
  options: { containerId?: string; debounceMs?: number } = {},
): void {
  const callback = useRef(onChange)
  useEffect(() => {
    callback.current = onChange
  })
  const { containerId, debounceMs = 300 } = options
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null
    let lastId = ''
    const off = live.onContainer((id) => {
      if (containerId !== undefined && id !== containerId) return
      lastId = id
      if (timer) return
      timer = setTimeout(() => {
        timer = null
        callback.current(lastId)
      }, debounceMs)
    })
    return () => {
      off()
      if (timer) clearTimeout(timer)
    }
  }, [live, containerId, debounceMs])
}
