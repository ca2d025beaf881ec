/**
 * The vessel node's HTTP API (docs/api.md) as the crew UI calls it. Every failure becomes an
 * ApiError with the server's code, field and message, or a plain sentence for a network failure, so
 * no screen ever shows a stack trace. URLs are relative, so the app works wherever it is mounted.
 */
import type { ContainerPatch, ContainerView, ReeferReading } from '@tally/manifest'
import type { HistoryEntry } from '@tally/ui'

export interface Me {
  user: string
  vessel: string
  role: 'vessel'
}

export interface ByteTotals {
  bytesUp: number
  bytesDown: number
  costUsd?: number
}

export interface SyncStatus {
  state: string
  linkUp: boolean
  pendingChanges: number
  lastSyncAt: string | null
  lastError: string | { message?: string } | null
  totals: ByteTotals
  pendingByPriority?: { critical: number; normal: number; routine: number }
  today?: ByteTotals
  voyage?: ByteTotals
  forecast?: { bytes: number; costUsd: number }
  nextRetryAt?: string | null
  attempt?: number
  breaker?: 'closed' | 'open' | 'half-open'
  deadLetters?: number
  costPerMb?: number
  /** The daily byte budget; null without one (or before today's first session). */
  budget?: SyncBudget | null
  /** Today's link bill and the projected day (docs/api.md). */
  dailyBill?: DailyBill
}

/** Today's link bill (UTC day) as `GET /api/sync` reports it. */
export interface DailyBill {
  day: string
  bytesUp: number
  bytesDown: number
  bytes: number
  costUsd: number
  projectedBytes: number
  projectedCostUsd: number
  dayFraction: number
  /** "today 41 KB so far, about 80 KB by 24:00, $0.80" */
  summary: string
  sessions: number
  connections: number
  hourly: { hour: number; bytesUp: number; bytesDown: number }[]
}

export interface SyncBudget {
  remainingBytes: number
  /** Only critical changes are sent until `resetsAt`. */
  limited: boolean
  heldBack: { normal: number; routine: number }
  resetsAt: string
}

export interface SyncSession {
  id: string | number
  startedAt: string
  endedAt: string | null
  state: string
  bytesUp: number
  bytesDown: number
  chunksUp?: number
  chunksDown?: number
  changesUp?: number
  changesDown?: number
  rejected?: number
  costUsd?: number
  error?: string | null
  budgetLimited?: boolean
}

export interface DeadLetter {
  id: string | number
  at: string
  containerId: string | null
  field: string | null
  reason: string
  principal?: string | null
}

export interface ContainerQuery {
  voyage?: string
  pod?: string
  q?: string
  state?: string
  reefer?: string
  customs?: string
  bay?: string
  condition?: string
  dg?: string
  alarm?: string
  conflict?: string
  sort?: string
  limit?: number
  offset?: number
}

export interface ContainerPage {
  items: ContainerView[]
  total: number
  /** Voyage pages: read from the voyage's archive file (read-only). */
  archived?: boolean
}

export interface PortCall {
  locode: string
  eta: string | null
  ata: string | null
  atd: string | null
}

/** A voyage as `GET /api/voyages` lists it (docs/api.md). */
export interface Voyage {
  voyage: string
  status: 'OPEN' | 'CLOSED'
  portCalls: PortCall[]
  closedAt: string | null
  archived: boolean
  archiveFile: string | null
  current: boolean
  containers: number
  port: { locode: string; eta: string | null; ata: string | null; inPort: boolean } | null
}

export interface NewContainer {
  containerId: string
  isoType: string
  physical?: { stowage?: string; state?: string }
}

/** A refusal or failure, in words: the server's `{error: {code, field, message}}` or a sentence. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly field?: string
  /** Valid container numbers near a mistyped one (registering a container). */
  suggestions?: string[]

  constructor(status: number, code: string, message: string, field?: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    if (field) this.field = field
  }
}

const STATUS_WORDS: Record<number, string> = {
  401: 'Your crew token was not accepted.',
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  413: 'That is too large for the vessel node to accept.',
  502: 'The vessel node is not answering (bad gateway).',
  503: 'The vessel node is busy or starting up. Try again in a moment.',
  507: 'The vessel node’s disk is full. Tell the officer on watch.',
}

async function errorFrom(res: Response): Promise<ApiError> {
  let body: unknown = null
  try {
    body = await res.json()
  } catch {
    // Not JSON: a proxy or a crash page. Its text is not for the crew.
  }
  const err = (body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)?.error
  if (err && typeof err.message === 'string') {
    const out = new ApiError(
      res.status,
      typeof err.code === 'string' ? err.code : 'ERROR',
      err.message.split('\n')[0]!,
      typeof err.field === 'string' ? err.field : undefined,
    )
    const suggestions = (err as { suggestions?: unknown }).suggestions
    if (Array.isArray(suggestions)) out.suggestions = suggestions.filter((s) => typeof s === 'string')
    return out
  }
  const words = STATUS_WORDS[res.status] ?? `The vessel node answered with an error (HTTP ${res.status}).`
  return new ApiError(res.status, res.status === 401 ? 'UNAUTHORIZED' : 'HTTP_ERROR', words)
}

/** Calls the vessel node with a crew token. */
export class CrewApi {
  readonly token: string
  private readonly onUnauthorized: (err: ApiError) => void

  /** `onUnauthorized` is told when the token stops working (revoked while in use). */
  constructor(token: string, onUnauthorized: (err: ApiError) => void = () => {}) {
    this.token = token
    this.onUnauthorized = onUnauthorized
  }

  private async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let res: Response
    try {
      res = await fetch(path, {
        method,
        signal,
        headers: {
          Authorization: `Bearer ${this.token}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (err) {
      if ((err as Error)?.name === 'AbortError') throw err
      throw new ApiError(
        0,
        'NETWORK',
        'Cannot reach the vessel node. Check the connection to the ship’s network.',
      )
    }
    if (!res.ok) {
      const err = await errorFrom(res)
      if (res.status === 401) this.onUnauthorized(err)
      throw err
    }
    if (res.status === 204) return undefined as T
    const text = await res.text()
    return (text ? JSON.parse(text) : undefined) as T
  }

  me(): Promise<Me> {
    return this.request('GET', 'api/me')
  }

  containers(query: ContainerQuery, signal?: AbortSignal): Promise<ContainerPage> {
    // The current voyage unless the query names one: past voyages go to the archive, the next one
    // waits its turn (docs/api.md, voyage=current).
    const params = new URLSearchParams({ voyage: 'current' })
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v))
    return this.request('GET', `api/containers?${params}`, undefined, signal)
  }

  container(id: string, signal?: AbortSignal): Promise<ContainerView> {
    return this.request('GET', `api/containers/${encodeURIComponent(id)}`, undefined, signal)
  }

  patch(id: string, patch: ContainerPatch): Promise<ContainerView> {
    return this.request('PATCH', `api/containers/${encodeURIComponent(id)}`, patch)
  }

  addReading(id: string, reading: ReeferReading): Promise<ContainerView> {
    return this.request('POST', `api/containers/${encodeURIComponent(id)}/readings`, reading)
  }

  history(id: string, signal?: AbortSignal): Promise<HistoryEntry[]> {
    return this.request('GET', `api/containers/${encodeURIComponent(id)}/history`, undefined, signal)
  }

  propose(
    id: string,
    input: { field: string; value: unknown; reason: string | null },
  ): Promise<ContainerView> {
    return this.request('POST', `api/containers/${encodeURIComponent(id)}/proposals`, input)
  }

  decide(id: string, proposalId: string, decision: 'ACCEPTED' | 'DECLINED'): Promise<ContainerView> {
    return this.request(
      'POST',
      `api/containers/${encodeURIComponent(id)}/proposals/${encodeURIComponent(proposalId)}`,
      { decision },
    )
  }

  sync(): Promise<SyncStatus> {
    return this.request('GET', 'api/sync')
  }

  syncNow(): Promise<{ state: string }> {
    return this.request('POST', 'api/sync')
  }

  sessions(limit = 10): Promise<SyncSession[]> {
    return this.request('GET', `api/sync/sessions?limit=${limit}`)
  }

  deadLetters(): Promise<DeadLetter[]> {
    return this.request('GET', 'api/dead-letters')
  }

  voyages(signal?: AbortSignal): Promise<Voyage[]> {
    return this.request('GET', 'api/voyages', undefined, signal)
  }

  /** A voyage's containers: live, or from its archive once archived (read-only). */
  voyageContainers(voyage: string, params: URLSearchParams, signal?: AbortSignal): Promise<ContainerPage> {
    return this.request(
      'GET',
      `api/voyages/${encodeURIComponent(voyage)}/containers?${params}`,
      undefined,
      signal,
    )
  }

  register(input: NewContainer): Promise<ContainerView> {
    return this.request('POST', 'api/containers', input)
  }

  /** The Server-Sent Events URL; EventSource cannot set headers, so the token is a query parameter. */
  eventsUrl(): string {
    return `api/events?token=${encodeURIComponent(this.token)}`
  }
}
