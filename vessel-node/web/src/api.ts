/**
 * The vessel node's HTTP API (docs/api.md) as the crew UI calls it. Every failure becomes an
 * ApiError with the server's code, field and message, or a plain sentence for a network failure, so
 * no screen ever shows a stack trace. URLs are relative, so the app works wherever it is mounted.
 */
import type { ContainerPatch, ContainerView, ReeferReading } from '@tally/manifest'
import type { HistoryEntry } from '@tally/ui'
import type { OutboxEntry, TabletOutbox } from './outbox.ts'
import { TabletViews, withKeptEdit, withPatch, withReading } from './tablet-views.ts'

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
  /** The technical detail behind lastError ("read ECONNRESET"), shown as a tooltip. */
  lastErrorDetail?: string | null
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
  /** Full photos shore asked for and still waiting for the link; photos aboard only. */
  photos?: { waiting: { count: number; bytes: number }; aboard: { count: number; bytes: number } }
  /** A keepalive (seconds) learned because the path drops quiet connections sooner than configured. */
  learnedKeepaliveS?: number | null
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
  /** Edits made while the node is out of reach wait here (outbox.ts); none without one. */
  readonly outbox: TabletOutbox | null
  /** The last view of each container seen, so an edit kept on the tablet can show at once. */
  private readonly views = new Map<string, ContainerView>()
  /** The node's last answer per container, kept on the tablet for pages opened out of reach. */
  private readonly kept: TabletViews | null
  /** Views shown from the tablet's copy rather than the node's answer. */
  private readonly fromTabletViews = new WeakSet<ContainerView>()
  private flushing: Promise<void> | null = null

  /** `onUnauthorized` is told when the token stops working (revoked while in use). */
  constructor(
    token: string,
    onUnauthorized: (err: ApiError) => void = () => {},
    outbox: TabletOutbox | null = null,
  ) {
    this.token = token
    this.onUnauthorized = onUnauthorized
    this.outbox = outbox
    this.kept = outbox ? new TabletViews() : null
  }

  /** Whether a view is the tablet's copy (the node could not be reached), not the node's answer. */
  fromTablet(view: ContainerView): boolean {
    return this.fromTabletViews.has(view)
  }

  /**
   * Sends an edit; when the node cannot be reached and there is an outbox, keeps it on the tablet
   * (after any edits already waiting, so the order holds) and answers with the view as it will be.
   */
  private async edit(
    method: 'PATCH' | 'POST',
    path: string,
    containerId: string,
    body: unknown,
    apply: (view: ContainerView) => ContainerView,
  ): Promise<ContainerView> {
    if (this.outbox && this.outbox.getSnapshot() === 0) {
      try {
        return this.remember(await this.request<ContainerView>(method, path, body))
      } catch (err) {
        if (!(err instanceof ApiError) || err.code !== 'NETWORK') throw err
      }
    } else if (!this.outbox) return this.remember(await this.request<ContainerView>(method, path, body))
    await this.outbox!.add({ method, path, body, containerId, at: new Date().toISOString() })
    void this.flush()
    const base = this.views.get(containerId)
    if (!base) return Promise.reject(new ApiError(0, 'NETWORK', 'Kept on this tablet.'))
    const next = apply(base)
    this.fromTabletViews.add(next)
    return this.remember(next, false)
  }

  /** Remembers a view; the node's answers (`fromNode`) are kept on the tablet too. */
  private remember(view: ContainerView, fromNode = true): ContainerView {
    this.views.set(view.containerId, view)
    if (fromNode) void this.kept?.keep(view).catch(() => undefined)
    return view
  }

  /**
   * Sends the edits kept on the tablet, oldest first, each once the one before it was acknowledged.
   * Stops at the first that cannot reach the node (to try again later); an edit the node refuses
   * is dropped and reported through `onRefused`.
   */
  flush(onRefused: (err: ApiError, entry: OutboxEntry) => void = () => {}): Promise<void> {
    const outbox = this.outbox
    if (!outbox) return Promise.resolve()
    return (this.flushing ??= (async () => {
      try {
        for (const entry of await outbox.all()) {
          try {
            this.remember(await this.request<ContainerView>(entry.method, entry.path, entry.body))
          } catch (err) {
            if (err instanceof ApiError && err.code === 'NETWORK') return
            if (err instanceof ApiError) onRefused(err, entry)
            else throw err
          }
          await outbox.remove(entry.key!)
        }
      } finally {
        this.flushing = null
      }
    })())
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

  /**
   * A container from the node; out of reach, the tablet's copy with the edits waiting applied (see
   * {@link fromTablet}), or the network error when the tablet never saw it.
   */
  async container(id: string, signal?: AbortSignal): Promise<ContainerView> {
    try {
      return this.remember(
        await this.request<ContainerView>(
          'GET',
          `api/containers/${encodeURIComponent(id)}`,
          undefined,
          signal,
        ),
      )
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'NETWORK' || !this.kept || !this.outbox) throw err
      const copy = await this.kept.get(id).catch(() => undefined)
      if (!copy) throw err
      const waiting = (await this.outbox.all()).filter((e) => e.containerId === id)
      const view = waiting.reduce(withKeptEdit, copy)
      this.fromTabletViews.add(view)
      return this.remember(view, false)
    }
  }

  patch(id: string, patch: ContainerPatch): Promise<ContainerView> {
    return this.edit('PATCH', `api/containers/${encodeURIComponent(id)}`, id, patch, (view) =>
      withPatch(view, patch),
    )
  }

  addReading(id: string, reading: ReeferReading): Promise<ContainerView> {
    return this.edit('POST', `api/containers/${encodeURIComponent(id)}/readings`, id, reading, (view) =>
      withReading(view, reading),
    )
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

  /** Uploads a photo (the file's own type: JPEG, PNG or WebP) with an optional caption. */
  async addPhoto(
    id: string,
    file: Blob,
    caption: string,
  ): Promise<{ id: string; sha256: string; bytes: number }> {
    const query = caption.trim() ? `?caption=${encodeURIComponent(caption.trim())}` : ''
    let res: Response
    try {
      res = await fetch(`api/containers/${encodeURIComponent(id)}/photos${query}`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${this.token}`,
          'Content-Type': file.type || 'application/octet-stream',
        },
        body: file,
      })
    } catch {
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
    return (await res.json()) as { id: string; sha256: string; bytes: number }
  }

  /** A photo's image as a blob: URL (an <img> cannot send the token). */
  async photoUrl(id: string, photoId: string, size: 'thumb' | 'full'): Promise<string> {
    const res = await fetch(
      `api/containers/${encodeURIComponent(id)}/photos/${encodeURIComponent(photoId)}?size=${size}`,
      { headers: { Authorization: `Bearer ${this.token}` } },
    )
    if (!res.ok) throw await errorFrom(res)
    return URL.createObjectURL(await res.blob())
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
