/**
 * Alerts (issue 6, item 4). Three rules per vessel, evaluated on a timer against the fleet snapshot:
 * - `lag`: no completed sync for longer than the vessel's expected window plus a grace (default 1 h);
 * - `failure_rate`: more than 5 % of the sessions of the last 24 h failed (with enough sessions);
 * - `conflicts`: more than 10 new conflicts in the last hour.
 * An alert fires once, stays active while its rule holds, and resolves when it no longer does. Both
 * transitions are stored (table `ops_alerts`, shown on the dashboard) and POSTed to the webhook.
 */
import type Database from 'better-sqlite3'
import type { Logger } from 'pino'
import type { FleetOps, VesselOps } from './fleet-ops.ts'
import type { WebhookNotifier } from './webhook.ts'

export type AlertKind = 'lag' | 'failure_rate' | 'conflicts' | 'callback'

/**
 * A rule about something other than a vessel (a subscriber's failing callback, say): it returns a
 * verdict per subject that breaks it now. Subjects are shown where vessels are.
 */
export type ExtraAlertRule = () => {
  kind: AlertKind
  subject: string
  value: number
  threshold: number
  message: string
}[]

/** Thresholds; every one can be set when the relay starts. */
export interface AlertThresholds {
  /** Grace beyond a vessel's expected window before lag alerts. Default 3600 (1 h). */
  lagGraceS: number
  /** Failure rate above which `failure_rate` fires. Default 0.05. */
  failureRate: number
  /** Ended sessions needed in the window before a failure rate means anything. Default 10. */
  minSessions: number
  /** New conflicts per hour above which `conflicts` fires. Default 10. */
  conflictsPerHour: number
  /** Failed deliveries in a row after which a subscriber's `callback` alert fires. Default 5. */
  callbackFailures: number
}

export const DEFAULT_THRESHOLDS: AlertThresholds = {
  lagGraceS: 3_600,
  failureRate: 0.05,
  minSessions: 10,
  conflictsPerHour: 10,
  callbackFailures: 5,
}

export interface Alert {
  id: number
  kind: AlertKind
  vessel: string
  state: 'firing' | 'resolved'
  startedAt: string
  resolvedAt: string | null
  /** The measured value when it last changed, and the threshold it crossed. */
  value: number
  threshold: number
  message: string
}

/** What the webhook receives. `text` reads well in a chat channel. */
export interface AlertNotification {
  status: 'firing' | 'resolved'
  alert: Alert
  relay: string
  text: string
}

interface Row {
  id: number
  kind: AlertKind
  vessel: string
  state: 'firing' | 'resolved'
  started_at: string
  resolved_at: string | null
  value: number
  threshold: number
  message: string
}

const toAlert = (r: Row): Alert => ({
  id: r.id,
  kind: r.kind,
  vessel: r.vessel,
  state: r.state,
  startedAt: r.started_at,
  resolvedAt: r.resolved_at,
  value: r.value,
  threshold: r.threshold,
  message: r.message,
})

const hours = (s: number) => `${(s / 3600).toFixed(s % 3600 === 0 ? 0 : 1)} h`

/** The rule verdicts for one vessel: a kind maps to its figures when the rule holds. */
export function checkVessel(
  v: VesselOps,
  t: AlertThresholds,
): Map<AlertKind, { value: number; threshold: number; message: string }> {
  const out = new Map<AlertKind, { value: number; threshold: number; message: string }>()
  const lagLimit = v.expectedWindowS + t.lagGraceS
  if (v.lagSeconds !== null && v.lagSeconds > lagLimit)
    out.set('lag', {
      value: v.lagSeconds,
      threshold: lagLimit,
      message: `${v.imo} last synced ${hours(v.lagSeconds)} ago; expected within ${hours(v.expectedWindowS)} (+${hours(t.lagGraceS)} grace)`,
    })
  const ended = v.sessions24h.complete + v.sessions24h.failed
  if (v.failureRate !== null && ended >= t.minSessions && v.failureRate > t.failureRate)
    out.set('failure_rate', {
      value: v.failureRate,
      threshold: t.failureRate,
      message: `${v.imo}: ${v.sessions24h.failed} of ${ended} link sessions failed in 24 h (${(v.failureRate * 100).toFixed(1)} % > ${(t.failureRate * 100).toFixed(0)} %)`,
    })
  if (v.conflicts.lastHour > t.conflictsPerHour)
    out.set('conflicts', {
      value: v.conflicts.lastHour,
      threshold: t.conflictsPerHour,
      message: `${v.imo}: ${v.conflicts.lastHour} new conflicts in the last hour (> ${t.conflictsPerHour})`,
    })
  return out
}

export class AlertEngine {
  private readonly stmts: ReturnType<typeof prepare>
  private readonly extraRules: ExtraAlertRule[] = []

  constructor(
    db: Database.Database,
    private readonly fleet: FleetOps,
    readonly thresholds: AlertThresholds,
    private readonly logger: Logger,
    private readonly webhook: WebhookNotifier | null,
    private readonly relayUrl: () => string,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS ops_alerts (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, vessel TEXT NOT NULL, state TEXT NOT NULL,
        started_at TEXT NOT NULL, resolved_at TEXT, value REAL NOT NULL, threshold REAL NOT NULL,
        message TEXT NOT NULL);
      CREATE UNIQUE INDEX IF NOT EXISTS ops_alerts_firing ON ops_alerts (kind, vessel) WHERE state = 'firing';
      CREATE INDEX IF NOT EXISTS ops_alerts_started ON ops_alerts (started_at)`)
    this.stmts = prepare(db)
  }

  /** Adds a rule evaluated with the vessel rules (see {@link ExtraAlertRule}). */
  addRule(rule: ExtraAlertRule): void {
    this.extraRules.push(rule)
  }

  /** Whether a webhook is configured (shown on the dashboard). */
  get webhookConfigured(): boolean {
    return this.webhook !== null
  }

  /** Alerts firing now, newest first. */
  active(): Alert[] {
    return this.stmts.active.all().map(toAlert)
  }

  /** The newest alerts, firing or resolved. */
  recent(limit = 100): Alert[] {
    return this.stmts.recent.all(limit).map(toAlert)
  }

  /** Applies the rules to a fresh snapshot; returns what fired and what resolved. */
  evaluate(now = new Date()): { fired: Alert[]; resolved: Alert[] } {
    const at = now.toISOString()
    const fired: Alert[] = []
    const resolved: Alert[] = []
    const firing = new Map(this.active().map((a) => [`${a.kind} ${a.vessel}`, a]))
    const verdicts: {
      kind: AlertKind
      subject: string
      value: number
      threshold: number
      message: string
    }[] = []
    for (const v of this.fleet.snapshot(0, now))
      for (const [kind, f] of checkVessel(v, this.thresholds)) verdicts.push({ kind, subject: v.imo, ...f })
    for (const rule of this.extraRules) verdicts.push(...rule())
    for (const f of verdicts) {
      const key = `${f.kind} ${f.subject}`
      const open = firing.get(key)
      firing.delete(key)
      if (open) {
        this.stmts.update.run(f.value, f.message, open.id)
        continue
      }
      const id = Number(
        this.stmts.insert.run(f.kind, f.subject, at, f.value, f.threshold, f.message).lastInsertRowid,
      )
      fired.push(toAlert(this.stmts.get.get(id)!))
    }
    // Whatever is still in `firing` no longer holds (or its vessel is gone).
    for (const open of firing.values()) {
      this.stmts.resolve.run(at, open.id)
      resolved.push(toAlert(this.stmts.get.get(open.id)!))
    }
    for (const a of fired) this.announce('firing', a)
    for (const a of resolved) this.announce('resolved', a)
    return { fired, resolved }
  }

  private announce(status: 'firing' | 'resolved', alert: Alert): void {
    const log = { alert: alert.kind, vessel: alert.vessel, value: alert.value, threshold: alert.threshold }
    if (status === 'firing') this.logger.warn(log, `alert firing: ${alert.message}`)
    else this.logger.info(log, `alert resolved: ${alert.message}`)
    const text = `[${status.toUpperCase()}] ${alert.kind} ${alert.vessel}: ${alert.message}`
    this.webhook?.notify({ status, alert, relay: this.relayUrl(), text } satisfies AlertNotification)
  }
}

function prepare(db: Database.Database) {
  return {
    get: db.prepare<[number], Row>('SELECT * FROM ops_alerts WHERE id = ?'),
    active: db.prepare<[], Row>(
      `SELECT * FROM ops_alerts WHERE state = 'firing' ORDER BY started_at DESC, id DESC`,
    ),
    recent: db.prepare<[number], Row>('SELECT * FROM ops_alerts ORDER BY started_at DESC, id DESC LIMIT ?'),
    insert: db.prepare<[AlertKind, string, string, number, number, string]>(
      `INSERT INTO ops_alerts (kind, vessel, state, started_at, value, threshold, message)
       VALUES (?, ?, 'firing', ?, ?, ?, ?)`,
    ),
    update: db.prepare<[number, string, number]>('UPDATE ops_alerts SET value = ?, message = ? WHERE id = ?'),
    resolve: db.prepare<[string, number]>(
      `UPDATE ops_alerts SET state = 'resolved', resolved_at = ? WHERE id = ? AND state = 'firing'`,
    ),
  }
}
