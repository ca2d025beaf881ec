/**
 * Where each vessel's link is open, shared by every relay on one database (docs/operations.md,
 * "Several relays on PostgreSQL"): the link server records a vessel when its hello is accepted and
 * forgets it when the connection closes, and notes each session starting and ending; a heartbeat
 * keeps this relay's rows fresh, so the rows of a relay that was killed fall out of the fleet view
 * within {@link PRESENCE_MISSED_BEATS} of its heartbeats (30 s by default).
 */
import os from 'node:os'
import type { Logger } from 'pino'
import type { LinkPresence, LinkPresenceStore } from '@tally/storage-sqlite'
import type { LinkContact } from './link-server.ts'

/** How often a relay refreshes the rows of the vessels connected to it. */
export const PRESENCE_HEARTBEAT_MS = 10_000
/** Heartbeats a relay may miss before its rows count as those of a relay that is gone. */
export const PRESENCE_MISSED_BEATS = 3

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
    private readonly heartbeatMs = PRESENCE_HEARTBEAT_MS,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.timer = setInterval(() => this.heartbeat(), heartbeatMs)
    this.timer.unref()
  }

  connected(vessel: string, persistent: boolean): void {
    const { at, freshUntil } = this.stamp()
    this.safely('record a vessel connection', () =>
      this.store.connected(vessel, this.name(), at, freshUntil, persistent),
    )
  }

  session(vessel: string, inSession: boolean): void {
    const { at, freshUntil } = this.stamp()
    this.safely('record a session starting or ending', () =>
      this.store.session(vessel, this.name(), inSession, at, freshUntil),
    )
  }

  disconnected(vessel: string): void {
    this.safely('forget a vessel connection', () => this.store.disconnected(vessel, this.name()))
  }

  /** The vessels connected to any relay, by vessel (empty while the database is away). */
  current(): Map<string, LinkPresence> {
    const now = this.now().toISOString()
    return this.safely('read where vessels are connected', () => this.store.current(now)) ?? new Map()
  }

  close(): void {
    clearInterval(this.timer)
  }

  private heartbeat(): void {
    const vessels = this.connectedHere()
    if (vessels.length === 0) return
    const { at, freshUntil } = this.stamp()
    this.safely('refresh vessel connections', () => this.store.seen(this.name(), vessels, at, freshUntil))
  }

  /** Now, and until when a row written now holds: three heartbeats, so one late beat is no gap. */
  private stamp(): { at: string; freshUntil: string } {
    const now = this.now()
    return {
      at: now.toISOString(),
      freshUntil: new Date(now.getTime() + PRESENCE_MISSED_BEATS * this.heartbeatMs).toISOString(),
    }
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

/**
 * A vessel's link as this relay judges it: its own connection when it holds one, else a fresh row
 * another relay on the database wrote (connected there, in a session or not), else what this relay
 * last heard itself. A row naming this relay without a connection here is a leftover of an earlier
 * run of this relay on the same address (killed before it could remove it), and is ignored.
 */
export function linkContactOf(
  here: LinkContact,
  elsewhere: LinkPresence | undefined,
  thisRelay: string | undefined,
): LinkContact {
  if (here.connectedSince !== null || elsewhere === undefined || elsewhere.relay === thisRelay) return here
  const heard = here.lastContactAt
  return {
    connectedSince: elsewhere.connectedAt,
    inSession: elsewhere.inSession,
    lastContactAt: heard !== null && heard > elsewhere.seenAt ? heard : elsewhere.seenAt,
    persistent: elsewhere.persistent,
  }
}
