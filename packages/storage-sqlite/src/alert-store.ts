/**
 * The operator alerts (table `ops_alerts`, docs/operations.md "Alerts"): one row per alert, firing
 * until its rule stops holding, then resolved. Relays sharing one database evaluate the same rules,
 * so the store keeps at most one firing row per kind and subject (a unique index) and tells the
 * caller whether its own write made a transition: only that relay announces it.
 */
import type { SqlDatabase } from './sql-database.ts'

export interface AlertRecord {
  id: number
  kind: string
  /** The vessel, or another subject (a subscription) for rules about something else. */
  vessel: string
  state: 'firing' | 'resolved'
  /** When the alert fired. */
  startedAt: string
  resolvedAt: string | null
  /** Since when its condition holds; startedAt when the rule did not say. */
  since: string
  value: number
  threshold: number
  message: string
}

/** A finding to fire as a new alert. */
export interface NewAlert {
  kind: string
  subject: string
  at: string
  since: string
  value: number
  threshold: number
  message: string
}

interface Row {
  id: number | string
  kind: string
  vessel: string
  state: 'firing' | 'resolved'
  started_at: string
  resolved_at: string | null
  since: string | null
  value: number
  threshold: number
  message: string
}

const toRecord = (r: Row): AlertRecord => ({
  id: Number(r.id),
  kind: r.kind,
  vessel: r.vessel,
  state: r.state,
  startedAt: r.started_at,
  resolvedAt: r.resolved_at,
  since: r.since ?? r.started_at,
  value: Number(r.value),
  threshold: Number(r.threshold),
  message: r.message,
})

export class AlertStore {
  private readonly stmts: ReturnType<typeof prepare>

  constructor(db: SqlDatabase) {
    this.stmts = prepare(db)
  }

  get(id: number): AlertRecord | undefined {
    const row = this.stmts.get.get(id)
    return row && toRecord(row)
  }

  /** Alerts firing now, newest first. */
  active(): AlertRecord[] {
    return this.stmts.active.all().map(toRecord)
  }

  /** The newest alerts, firing or resolved. */
  recent(limit = 100): AlertRecord[] {
    return this.stmts.recent.all(limit).map(toRecord)
  }

  /**
   * Fires a new alert, unless one of its kind and subject fires already (another relay may have
   * written it a moment ago): the new row, or undefined when this call wrote nothing.
   */
  fire(a: NewAlert): AlertRecord | undefined {
    const inserted = this.stmts.insert.get(a.kind, a.subject, a.at, a.since, a.value, a.threshold, a.message)
    return inserted ? this.get(Number(inserted.id)) : undefined
  }

  /** A firing alert's figures moved. */
  update(id: number, value: number, threshold: number, message: string): void {
    this.stmts.update.run(value, threshold, message, id)
  }

  /** Resolves a firing alert at `at`: the resolved row, or undefined when it was no longer firing. */
  resolve(id: number, at: string): AlertRecord | undefined {
    return this.stmts.resolve.run(at, id).changes > 0 ? this.get(id) : undefined
  }
}

function prepare(db: SqlDatabase) {
  return {
    get: db.prepare<[number], Row>('SELECT * FROM ops_alerts WHERE id = ?'),
    active: db.prepare<[], Row>(
      `SELECT * FROM ops_alerts WHERE state = 'firing' ORDER BY started_at DESC, id DESC`,
    ),
    recent: db.prepare<[number], Row>('SELECT * FROM ops_alerts ORDER BY started_at DESC, id DESC LIMIT ?'),
    insert: db.prepare<[string, string, string, string, number, number, string], { id: number | string }>(
      `INSERT INTO ops_alerts (kind, vessel, state, started_at, since, value, threshold, message)
       VALUES (?, ?, 'firing', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
    ),
    update: db.prepare<[number, number, string, number]>(
      'UPDATE ops_alerts SET value = ?, threshold = ?, message = ? WHERE id = ?',
    ),
    resolve: db.prepare<[string, number]>(
      `UPDATE ops_alerts SET state = 'resolved', resolved_at = ? WHERE id = ? AND state = 'firing'`,
    ),
  }
}
