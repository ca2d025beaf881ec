/**
 * Push delivery of DCSA events to subscribers' callbacks (docs/integrations.md). Each subscription
 * is delivered in feed order, one batch at a time, and its position moves only after the callback
 * answered 2xx: delivery is at least once, in order, and resumes after a restart from the stored
 * position. A failing callback is retried with capped exponential backoff (with jitter); its state
 * (attempts, first failure, last error) is stored for `/ops` and the alert rules.
 *
 * Every POST is signed as DCSA describes: `Notification-Signature: sha256=<hex HMAC-SHA256 of the
 * exact body bytes>`, keyed with the Base64-decoded shared secret.
 */
import { createHmac } from 'node:crypto'
import type { Logger } from 'pino'
import type { DcsaEventStore, SubscriptionRecord, SubscriptionStore } from '@tally/storage-sqlite'
import { DCSA_TNT_VERSION } from './derive.ts'
import { subscriptionFilterOf } from './schemas.ts'
import type { SubscriptionFilters } from './schemas.ts'

/** Events per POST. */
export const DELIVERY_BATCH = 100
/** Time a callback has to answer. */
export const DELIVERY_TIMEOUT_MS = 10_000
/** First retry delay, doubling per failed attempt up to the cap. */
export const DELIVERY_RETRY_BASE_MS = 1_000
export const DELIVERY_RETRY_MAX_MS = 10 * 60_000
/** How often due retries and undelivered events are looked for (new events also wake it). */
export const DELIVERY_POLL_MS = 1_000

export interface DeliveryOptions {
  retryBaseMs?: number
  retryMaxMs?: number
  timeoutMs?: number
  pollMs?: number
  batch?: number
}

/** The signature header value for a body: `sha256=<hex>`. */
export function notificationSignature(secretBase64: string, body: string): string {
  return `sha256=${createHmac('sha256', Buffer.from(secretBase64, 'base64')).update(body, 'utf8').digest('hex')}`
}

export class SubscriptionDelivery {
  private readonly inFlight = new Set<string>()
  private readonly abort = new AbortController()
  private timer: NodeJS.Timeout | null = null
  private wakeTimer: NodeJS.Timeout | null = null
  private closed = false
  private readonly opts: Required<DeliveryOptions>

  constructor(
    private readonly subscriptions: SubscriptionStore,
    private readonly events: DcsaEventStore,
    private readonly logger: Logger,
    options: DeliveryOptions = {},
  ) {
    this.opts = {
      retryBaseMs: options.retryBaseMs ?? DELIVERY_RETRY_BASE_MS,
      retryMaxMs: options.retryMaxMs ?? DELIVERY_RETRY_MAX_MS,
      timeoutMs: options.timeoutMs ?? DELIVERY_TIMEOUT_MS,
      pollMs: options.pollMs ?? DELIVERY_POLL_MS,
      batch: options.batch ?? DELIVERY_BATCH,
    }
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.opts.pollMs)
    this.timer.unref()
    this.wake()
  }

  /** New events were admitted: deliver soon rather than at the next poll. */
  wake(): void {
    if (this.closed || this.wakeTimer) return
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null
      this.tick()
    }, 10)
    this.wakeTimer.unref()
  }

  close(): void {
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    if (this.wakeTimer) clearTimeout(this.wakeTimer)
    this.abort.abort()
  }

  /** Starts a delivery for every subscription that is due and not already being delivered. */
  tick(now = Date.now()): void {
    if (this.closed) return
    let subs: SubscriptionRecord[]
    try {
      subs = this.subscriptions.list()
    } catch (err) {
      this.logger.warn({ err }, 'could not read subscriptions')
      return
    }
    for (const sub of subs) {
      if (this.inFlight.has(sub.id)) continue
      if (sub.nextAttemptAt && Date.parse(sub.nextAttemptAt) > now) continue
      this.inFlight.add(sub.id)
      void this.deliver(sub).finally(() => this.inFlight.delete(sub.id))
    }
  }

  /** Sends the next batch of one subscription; true when there may be more to send. */
  private async deliver(sub: SubscriptionRecord): Promise<void> {
    const filter = subscriptionFilterOf(sub.filters as SubscriptionFilters)
    const page = this.events.page(filter, sub.deliveredSeq, this.opts.batch)
    if (page.length === 0) {
      // Nothing matched up to the newest event: move past it so the next look starts there.
      const last = this.events.lastSeq()
      if (last > sub.deliveredSeq) this.subscriptions.skipTo(sub.id, last)
      return
    }
    const body = JSON.stringify(page.map((e) => e.body))
    try {
      const res = await fetch(sub.callbackUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Notification-Signature': notificationSignature(sub.secret, body),
          'Subscription-ID': sub.id,
          'API-Version': DCSA_TNT_VERSION,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs), this.abort.signal]),
      })
      await res.body?.cancel().catch(() => undefined)
      if (res.status < 200 || res.status >= 300) throw new Error(`callback answered HTTP ${res.status}`)
    } catch (err) {
      if (this.closed) return
      this.fail(sub, (err as Error).message)
      return
    }
    this.subscriptions.delivered(sub.id, page[page.length - 1]!.seq, page.length)
    if (sub.failingSince)
      this.logger.info({ subscription: sub.id, url: sub.callbackUrl }, 'subscription callback recovered')
    // A full batch means more may be waiting.
    if (page.length === this.opts.batch) this.wake()
  }

  private fail(sub: SubscriptionRecord, error: string): void {
    const attempt = sub.attempts + 1
    const cap = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** Math.min(attempt - 1, 30))
    // Half fixed, half jitter: never hammers, and many subscribers of one dead host spread out.
    const delay = cap / 2 + Math.random() * (cap / 2)
    this.subscriptions.failed(sub.id, error, new Date(Date.now() + delay).toISOString())
    this.logger.warn(
      { subscription: sub.id, url: sub.callbackUrl, attempt, retryInMs: Math.round(delay), error },
      'subscription callback failed',
    )
  }
}
