/**
 * Where each vessel's link is open, shared by every relay on one database (docs/operations.md,
 * "Several relays on PostgreSQL"): the link server records a vessel when its hello is accepted and
 * forgets it when the connection closes; a heartbeat keeps this relay's rows fresh, so the rows of
 * a relay that was killed fall out of the fleet view within {@link PRESENCE_FRESH_MS}.
 */
import os from 'node:os'
import type { Logger } from 'pino'
import type { LinkPresence, LinkPresenceStore } from '@tally/storage-sqlite'

/** How often a relay refreshes the rows of the vessels connected to it. */
export const PRESENCE_HEARTBEAT_MS = 10_000
/** A row not refreshed for this long belongs to a relay that is gone. */
export const PRESENCE_FRESH_MS = 3 * PRESENCE_HEARTBEAT_MS

/** A relay's name in the fleet view: its host and port. */
export function relayName(port: number): string {
  return `${os.hostname()}:${port}`
}

export class RelayPresence {
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly store: LinkPresenceStore,
    /** This relay's name (known once it listens). */
    readonly name: () => string,
    /** The vessels connected here now. */
    private readonly connectedHere: () => string[],
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.timer = setInterval(() => this.heartbeat(), PRESENCE_HEARTBEAT_MS)
    this.timer.unref()
  }

  connected(vessel: string): void {
    this.safely('record a vessel connection', () =>
      this.store.connected(vessel, this.name(), this.now().toISOString()),
    )
  }

  disconnected(vessel: string): void {
    this.safely('forget a vessel connection', () => this.store.disconnected(vessel, this.name()))
  }

  /** The vessels connected to any relay, by vessel (empty while the database is away). */
  current(): Map<string, LinkPresence> {
    const since = new Date(this.now().getTime() - PRESENCE_FRESH_MS).toISOString()
    return this.safely('read where vessels are connected', () => this.store.current(since)) ?? new Map()
  }

  close(): void {
    clearInterval(this.timer)
  }

  private heartbeat(): void {
    const vessels = this.connectedHere()
    if (vessels.length === 0) return
    this.safely('refresh vessel connections', () =>
      this.store.seen(this.name(), vessels, this.now().toISOString()),
    )
  }

  /** Presence is a view for operators: a database hiccup must not break a link or a page. */
  private safely<T>(what: string, fn: () => T): T | undefined {
    try {
      return fn()
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, `could not ${what}`)
      return undefined
    }
  }
}
