/**
 * DCSA event subscriptions (push delivery, docs/integrations.md). Each row carries its delivery
 * position (`delivered_seq`, an event sequence number) and its retry state, so delivery resumes in
 * order after a restart and a failing callback stays visible to operators.
 */
import type Database from 'better-sqlite3'
import { isoNow, systemClock, type Clock } from './clock.ts'
import type { StoreOptions } from './store-options.ts'

export interface SubscriptionRecord {
  id: string
  /** The principal that created it, e.g. `user:integration:broker`. */
  owner: string
  callbackUrl: string
  /** The shared secret, Base64 as given; the HMAC key is its decoded bytes. */
  secret: string
  filters: Record<string, unknown>
  createdAt: string
  deliveredSeq: number
  deliveredEvents: number
  lastDeliveredAt: string | null
  attempts: number
  nextAttemptAt: string | null
  failingSince: string | null
  lastError: string | null
}

export interface NewSubscription {
  id: string
  owner: string
  callbackUrl: string
  secret: string
  filters: Record<string, unknown>
  /** Events up to this sequence number are not delivered (a subscription sees what comes after it). */
  startAfterSeq: number
}

interface Row {
  id: string
  owner: string
  callback_url: string
  secret: string
  filters: string
  created_at: string
  delivered_seq: number
  delivered_events: number
  last_delivered_at: string | null
  attempts: number
  next_attempt_at: string | null
  failing_since: string | null
  last_error: string | null
}

const toRecord = (r: Row): SubscriptionRecord => ({
  id: r.id,
  owner: r.owner,
  callbackUrl: r.callback_url,
  secret: r.secret,
  filters: JSON.parse(r.filters) as Record<string, unknown>,
  createdAt: r.created_at,
  deliveredSeq: r.delivered_seq,
  deliveredEvents: r.delivered_events,
  lastDeliveredAt: r.last_delivered_at,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  failingSince: r.failing_since,
  lastError: r.last_error,
})

export class SubscriptionStore {
  private readonly clock: Clock
  private readonly stmts: ReturnType<typeof prepare>

  constructor(db: Database.Database, options: StoreOptions = {}) {
    this.clock = options.clock ?? systemClock
    this.stmts = prepare(db)
  }

  create(s: NewSubscription): SubscriptionRecord {
    this.stmts.insert.run({
      id: s.id,
      owner: s.owner,
      callback_url: s.callbackUrl,
      secret: s.secret,
      filters: JSON.stringify(s.filters),
      created_at: isoNow(this.clock),
      delivered_seq: s.startAfterSeq,
    })
    return this.get(s.id)!
  }

  /** A live (not deleted) subscription. */
  get(id: string): SubscriptionRecord | undefined {
    const row = this.stmts.get.get(id)
    return row ? toRecord(row) : undefined
  }

  /** Live subscriptions, oldest first; of one owner when given. */
  list(owner?: string): SubscriptionRecord[] {
    return this.stmts.list.all({ owner: owner ?? null }).map(toRecord)
  }

  /** Changes the callback, secret or filters of a live subscription. */
  update(
    id: string,
    patch: { callbackUrl?: string; secret?: string; filters?: Record<string, unknown> },
  ): boolean {
    return (
      this.stmts.update.run({
        id,
        callback_url: patch.callbackUrl ?? null,
        secret: patch.secret ?? null,
        filters: patch.filters ? JSON.stringify(patch.filters) : null,
      }).changes === 1
    )
  }

  delete(id: string): boolean {
    return this.stmts.delete.run(isoNow(this.clock), id).changes === 1
  }

  /** Records a delivered batch: the position moves to `seq` and the retry state clears. */
  delivered(id: string, seq: number, events: number): void {
    this.stmts.delivered.run(seq, events, isoNow(this.clock), id)
  }

  /** Moves the position without a delivery (events after it matched no filter). */
  skipTo(id: string, seq: number): void {
    this.stmts.skip.run(seq, id)
  }

  /** Records a failed attempt and when to try again. */
  failed(id: string, error: string, nextAttemptAt: string): void {
    const now = isoNow(this.clock)
    this.stmts.failed.run(error.slice(0, 500), nextAttemptAt, now, id)
  }
}

function prepare(db: Database.Database) {
  return {
    insert: db.prepare<[Record<string, string | number>]>(
      `INSERT INTO event_subscriptions (id, owner, callback_url, secret, filters, created_at, delivered_seq)
       VALUES (@id, @owner, @callback_url, @secret, @filters, @created_at, @delivered_seq)`,
    ),
    get: db.prepare<[string], Row>('SELECT * FROM event_subscriptions WHERE id = ? AND deleted_at IS NULL'),
    list: db.prepare<[{ owner: string | null }], Row>(
      `SELECT * FROM event_subscriptions WHERE deleted_at IS NULL AND (@owner IS NULL OR owner = @owner)
       ORDER BY created_at, id`,
    ),
    update: db.prepare<[Record<string, string | null>]>(
      `UPDATE event_subscriptions SET callback_url = COALESCE(@callback_url, callback_url),
         secret = COALESCE(@secret, secret), filters = COALESCE(@filters, filters)
       WHERE id = @id AND deleted_at IS NULL`,
    ),
    delete: db.prepare<[string, string]>(
      'UPDATE event_subscriptions SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL',
    ),
    delivered: db.prepare<[number, number, string, string]>(
      `UPDATE event_subscriptions SET delivered_seq = ?, delivered_events = delivered_events + ?,
         last_delivered_at = ?, attempts = 0, next_attempt_at = NULL, failing_since = NULL, last_error = NULL
       WHERE id = ?`,
    ),
    skip: db.prepare<[number, string]>(
      'UPDATE event_subscriptions SET delivered_seq = MAX(delivered_seq, ?) WHERE id = ?',
    ),
    failed: db.prepare<[string, string, string, string]>(
      `UPDATE event_subscriptions SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
         failing_since = COALESCE(failing_since, ?) WHERE id = ?`,
    ),
  }
}
