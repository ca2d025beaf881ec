/**
 * The relay's REST API (docs/api.md) as the shore UI calls it: who the token belongs to, the fleet,
 * search across vessels and a container's history. Documents themselves come over `/sync`, not
 * REST. Every failure becomes an {@link ApiError} with the server's words, or a sentence for a
 * network failure, so no screen shows a stack trace.
 */
import type { ContainerView, PhotoFullState, ShoreRole, VoyageRecord } from '@tally/manifest'
import type { HistoryEntry } from '@tally/ui'

export interface Me {
  user: string
  role: ShoreRole
  principal: string
}

export interface VesselSummary {
  imo: string
  name: string | null
  lastSyncAt: string | null
  lagSeconds: number | null
  pendingChanges: number
  linkUp?: boolean
  today: { bytesUp: number; bytesDown: number; costUsd: number }
  containers: number
  /** Containers registered aboard and not booked ashore yet (open voyages). */
  notBooked?: number
}

/** `GET /api/vessels/:imo/voyages`: a voyage with its port calls and how many containers it has. */
export interface VoyageSummary extends VoyageRecord {
  containers: number
  /** Containers registered aboard and not booked ashore yet. */
  notBooked: number
}

export interface ContainerPage {
  items: ContainerView[]
  total: number
}

export interface SearchQuery {
  q?: string
  vessel?: string
  customs?: string
  state?: string
  reefer?: string
  dg?: string
  conflict?: string
  condition?: string
  seal?: string
  alarm?: string
  pod?: string
  bay?: string
  exception?: string
  since?: string
  sort?: string
  /** 'false': only containers without a booking (added aboard). */
  booked?: string
  limit?: number
  offset?: number
}

/** `GET /api/vessels/:imo/containers/:id/delivery`: has the ship got it (relay/src/delivery.ts). */
export interface Delivery {
  state: 'on_board' | 'waiting'
  savedAtShore: true
  onBoardSince: string | null
  lastWindowAt: string | null
  forecastAt: string | null
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** Said when the relay cannot be reached; the app keeps working from the browser's copy. */
export const OFFLINE_MESSAGE = 'Cannot reach the relay. You are working offline; edits sync when it is back.'

async function errorFrom(res: Response): Promise<ApiError> {
  let body: { error?: { code?: unknown; message?: unknown; field?: unknown } } | null = null
  try {
    body = await res.json()
  } catch {
    // Not JSON: a proxy page. Its text is not for the user.
  }
  const err = body?.error
  if (err && typeof err.message === 'string')
    return new ApiError(
      res.status,
      typeof err.code === 'string' ? err.code : 'ERROR',
      err.message.split('\n')[0]!,
      typeof err.field === 'string' ? err.field : undefined,
    )
  return new ApiError(
    res.status,
    res.status === 401 ? 'UNAUTHORIZED' : 'HTTP_ERROR',
    res.status === 401
      ? 'Your token was not accepted.'
      : `The relay answered with an error (HTTP ${res.status}).`,
  )
}

const containerPath = (vessel: string, containerId: string) =>
  `api/vessels/${encodeURIComponent(vessel)}/containers/${encodeURIComponent(containerId)}`

export class ShoreApi {
  constructor(
    readonly token: string,
    private readonly onUnauthorized: () => void = () => {},
  ) {}

  private async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    let res: Response
    try {
      res = await fetch(path, {
        signal,
        headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json' },
      })
    } catch (err) {
      if ((err as Error)?.name === 'AbortError') throw err
      throw new ApiError(0, 'NETWORK', OFFLINE_MESSAGE)
    }
    if (!res.ok) {
      const err = await errorFrom(res)
      if (res.status === 401) this.onUnauthorized()
      throw err
    }
    return (await res.json()) as T
  }

  me(): Promise<Me> {
    return this.get('api/me')
  }

  vessels(signal?: AbortSignal): Promise<VesselSummary[]> {
    return this.get('api/vessels', signal)
  }

  /** A vessel's voyages, oldest first. */
  voyages(vessel: string, signal?: AbortSignal): Promise<VoyageSummary[]> {
    return this.get(`api/vessels/${encodeURIComponent(vessel)}/voyages`, signal)
  }

  /**
   * Closes a voyage (shore role). Refused with 409 and what is not in sync (the vessel has changes
   * the relay has not acknowledged, dead letters are open) until both sides hold the same history.
   */
  async closeVoyage(vessel: string, voyage: string): Promise<VoyageSummary> {
    const res = await this.send(
      'POST',
      `api/vessels/${encodeURIComponent(vessel)}/voyages/${encodeURIComponent(voyage)}/close`,
    )
    return (await res.json()) as VoyageSummary
  }

  search(query: SearchQuery, signal?: AbortSignal): Promise<ContainerPage> {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v))
    return this.get(`api/containers?${params}`, signal)
  }

  delivery(
    key: { vessel: string; voyage: string; containerId: string },
    signal?: AbortSignal,
  ): Promise<Delivery> {
    const path = `api/vessels/${encodeURIComponent(key.vessel)}/containers/${encodeURIComponent(key.containerId)}/delivery`
    return this.get(`${path}?voyage=${encodeURIComponent(key.voyage)}`, signal)
  }

  /** Where each full photo of a container is, as the relay knows it (by SHA-256). */
  async photoStates(
    vessel: string,
    containerId: string,
    voyage: string,
  ): Promise<Record<string, PhotoFullState>> {
    const view = await this.get<{ photos?: { sha256: string; full: PhotoFullState }[] }>(
      `${containerPath(vessel, containerId)}?voyage=${encodeURIComponent(voyage)}`,
    )
    return Object.fromEntries((view.photos ?? []).map((p) => [p.sha256, p.full]))
  }

  /** Asks the vessel for a full photo (202): it comes at routine priority after all changes. */
  async requestPhoto(
    vessel: string,
    containerId: string,
    voyage: string,
    photoId: string,
  ): Promise<{ full: PhotoFullState }> {
    const res = await this.send(
      'POST',
      `${containerPath(vessel, containerId)}/photos/${encodeURIComponent(photoId)}/request?voyage=${encodeURIComponent(voyage)}`,
    )
    return (await res.json()) as { full: PhotoFullState }
  }

  /** A photo's image as a blob: URL (an <img> cannot send the token). */
  async photoUrl(
    vessel: string,
    containerId: string,
    voyage: string,
    photoId: string,
    size: 'thumb' | 'full',
  ): Promise<string> {
    const res = await this.send(
      'GET',
      `${containerPath(vessel, containerId)}/photos/${encodeURIComponent(photoId)}?size=${size}&voyage=${encodeURIComponent(voyage)}`,
    )
    return URL.createObjectURL(await res.blob())
  }

  private async send(method: string, path: string): Promise<Response> {
    let res: Response
    try {
      res = await fetch(path, { method, headers: { Authorization: `Bearer ${this.token}` } })
    } catch {
      throw new ApiError(0, 'NETWORK', OFFLINE_MESSAGE)
    }
    if (!res.ok) {
      const err = await errorFrom(res)
      if (res.status === 401) this.onUnauthorized()
      throw err
    }
    return res
  }

  history(
    vessel: string,
    containerId: string,
    voyage: string,
    signal?: AbortSignal,
  ): Promise<HistoryEntry[]> {
    const path = `api/vessels/${encodeURIComponent(vessel)}/containers/${encodeURIComponent(containerId)}/history`
    return this.get(`${path}?voyage=${encodeURIComponent(voyage)}`, signal)
  }
}
