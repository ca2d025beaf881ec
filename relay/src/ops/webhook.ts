/**
 * Delivers alert notifications to an operator's webhook (`--alert-webhook URL`): one JSON POST per
 * state change, retried with backoff, bounded in time and in queue length so a dead receiver can
 * never stall or bloat the relay.
 */
import type { Logger } from 'pino'

/** Per-request time limit. */
export const WEBHOOK_TIMEOUT_MS = 5_000
/** Attempts per notification, with a doubling delay between them. */
export const WEBHOOK_ATTEMPTS = 4
export const WEBHOOK_RETRY_BASE_MS = 1_000
/** Notifications waiting beyond this are dropped (and logged): a receiver that is down for hours. */
export const WEBHOOK_QUEUE_LIMIT = 1_000

export class WebhookNotifier {
  private readonly queue: unknown[] = []
  private running: Promise<void> | null = null
  private closed = false
  private readonly abort = new AbortController()

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly retryBaseMs = WEBHOOK_RETRY_BASE_MS,
  ) {
    const parsed = new URL(url)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new Error(`alert webhook must be an http(s) URL, got ${url}`)
  }

  /** Queues one payload; delivery happens in the background, in order. */
  notify(payload: unknown): void {
    if (this.closed) return
    if (this.queue.length >= WEBHOOK_QUEUE_LIMIT) {
      this.logger.error({ url: this.url }, 'alert webhook queue full: dropping the oldest notification')
      this.queue.shift()
    }
    this.queue.push(payload)
    this.running ??= this.drain().finally(() => {
      this.running = null
    })
  }

  /** Resolves once everything queued so far was delivered or given up. */
  async flush(): Promise<void> {
    while (this.running) await this.running
  }

  /** Stops delivering; an attempt in flight is aborted. */
  close(): void {
    this.closed = true
    this.queue.length = 0
    this.abort.abort()
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const payload = this.queue.shift()
      await this.deliver(payload)
    }
  }

  private async deliver(payload: unknown): Promise<void> {
    const body = JSON.stringify(payload)
    for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS && !this.closed; attempt++) {
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(WEBHOOK_TIMEOUT_MS)]),
        })
        await res.arrayBuffer().catch(() => undefined)
        if (res.ok) return
        this.logger.warn(
          { url: this.url, status: res.status, attempt },
          'alert webhook refused the notification',
        )
        if (res.status >= 400 && res.status < 500 && res.status !== 429) return
      } catch (err) {
        if (this.closed) return
        this.logger.warn({ url: this.url, err: (err as Error).message, attempt }, 'alert webhook unreachable')
      }
      if (attempt < WEBHOOK_ATTEMPTS)
        await new Promise((r) => setTimeout(r, this.retryBaseMs * 2 ** (attempt - 1)).unref())
    }
    if (!this.closed) this.logger.error({ url: this.url }, 'alert webhook: notification given up')
  }
}
