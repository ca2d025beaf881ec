/**
 * Alerts (docs/operations.md, "Alerts"). Six rules per vessel, evaluated on a timer against the
 * fleet snapshot; each alert names the vessel, since when its condition holds, and what to do:
 * - `lag`: no successful session for longer than the vessel's expected window plus a grace;
 * - `failure_rate`: too many of the last 24 h's attempts failed, counting those the vessel reported
 *   at its next hello that never reached the relay;
 * - `budget`: the daily budget is spent and changes are held back until 00:00 UTC;
 * - `dead_letters`: refused changes wait for an operator;
 * - `conflicts`: a burst of new conflicts in the last hour;
 * - `projected_bill`: the day's projected bytes (today's so far, at today's rate until 24:00 UTC)
 *   exceed the vessel's daily budget, before the budget runs out and the link goes critical-only.
 * An alert fires once, stays active while its rule holds, and resolves when it no longer does. Both
 * transitions are stored (table `ops_alerts`, shown on the dashboard) and POSTed to the webhook,
 * once per site: relays sharing a database keep one firing row per kind and subject, and only the
 * relay that wrote a transition announces it.
 */
import type { Logger } from 'pino'
import { formatKb } from '@tally/storage-sqlite'
import type { AlertRecord, AlertStore } from '@tally/storage-sqlite'
import type { FleetOps, VesselOps } from './fleet-ops.ts'
import type { WebhookNotifier } from './webhook.ts'

export type AlertKind =
  'lag' | 'failure_rate' | 'budget' | 'dead_letters' | 'conflicts' | 'projected_bill' | 'callback'

/**
 * A rule about something other than a vessel (a subscriber's failing callback): it returns a
 * finding per subject that breaks it now. The subject is stored and shown where a vessel would be.
 */
export type ExtraAlertRule = () => (AlertFinding & { kind: AlertKind; subject: string })[]

/** Thresholds: set when the relay starts (CLI flags) and from the dashboard. */
export interface AlertThresholds {
  /** Grace beyond a vessel's expected window before lag alerts. Default 3600 (1 h). */
  lagGraceS: number
  /** Failed share of attempts above which `failure_rate` fires. Default 0.05. */
  failureRate: number
  /** Attempts needed in the window before a failure rate means anything. Default 10. */
  minSessions: number
  /** New conflicts per hour above which `conflicts` fires. Default 10. */
  conflictsPerHour: number
  /** Open dead letters at or above which `dead_letters` fires. Default 1. */
  deadLetters: number
}

export const DEFAULT_THRESHOLDS: AlertThresholds = {
  lagGraceS: 3_600,
  failureRate: 0.05,
  minSessions: 10,
  conflictsPerHour: 10,
  deadLetters: 1,
}

/** What an operator does about each kind (the runbooks in docs/operations.md say more). */
export const ALERT_ACTIONS: Record<AlertKind, string> = {
  lag:
    'Open the vessel: failed sessions mean the link works but sessions break (see failure rate); none at all mean it ' +
    'cannot reach the relay (satellite down, token revoked). If it is expected to be out of contact, set its expected window on its page.',
  failure_rate:
    'Read the errors of its recent sessions on the vessel page. Attempts that never reached the relay point at the ' +
    'satellite link: ask the ship or the provider. Nothing is lost: the next session resumes where the last stopped.',
  budget:
    'Held-back changes go after 00:00 UTC by themselves. To move them today, raise the daily budget on the vessel page.',
  dead_letters:
    'Open Dead letters: retry a letter with the current policy if its author should have been allowed, or discard it with a reason.',
  conflicts:
    'Open the vessel’s recent conflicts and ask the owning side to resolve them; pause an integration that re-posts stale data.',
  callback:
    'A subscriber’s callback URL refuses DCSA event deliveries. Nothing is lost: deliveries resume in order once it answers 2xx. ' +
    'Tell the integration’s owner; GET /api/ops/subscriptions shows the last error (docs/integrations.md).',
  projected_bill:
    'Nothing is held back yet. Check the vessel page for what is moving (bytes per hour); raise the daily budget if the day is ' +
    'expected to be busy, or ask the ship to lengthen its batching windows.',
}

/** An alert as stored (`AlertRecord`: subject, state, times, figures), with what to do about it. */
export interface Alert extends Omit<AlertRecord, 'kind'> {
  kind: AlertKind
  /** What to do about it, in a sentence or two. */
  action: string
}

/** What the webhook receives. `text` reads well in a chat channel. */
export interface AlertNotification {
  status: 'firing' | 'resolved'
  alert: Alert
  relay: string
  text: string
}

const toAlert = (r: AlertRecord): Alert => ({
  ...r,
  kind: r.kind as AlertKind,
  action: ALERT_ACTIONS[r.kind as AlertKind] ?? '',
})

const hours = (s: number) => `${(s / 3600).toFixed(s % 3600 === 0 ? 0 : 1)} h`
/** A window or grace in words: minutes under 2 h, hours above. */
const span = (s: number) => (s % 3600 === 0 || s >= 7200 ? hours(s) : `${Math.round(s / 60)} min`)
/** `HH:MM UTC`, with the date when it is not today. */
function clock(iso: string, now: Date): string {
  const day = iso.slice(0, 10)
  const hm = `${iso.slice(11, 16)} UTC`
  return day === now.toISOString().slice(0, 10) ? hm : `${day} ${hm}`
}
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** One rule's verdict for one vessel. */
export interface AlertFinding {
  value: number
  threshold: number
  message: string
  /** Since when the condition holds, if the rule knows. */
  since?: string
}

/** The rule verdicts for one vessel: a kind maps to its figures when the rule holds. */
export function checkVessel(
  v: VesselOps,
  t: AlertThresholds,
  now = new Date(),
): Map<AlertKind, AlertFinding> {
  const out = new Map<AlertKind, AlertFinding>()
  const lagLimit = v.expectedWindowS + t.lagGraceS
  if (v.lagSeconds !== null && v.lastSyncAt !== null && v.lagSeconds > lagLimit) {
    // With a long-lived (version 3) connection the lag counts from its last contact, which may be
    // later than the last session: a quiet link runs none.
    const since = v.lagSince ?? v.lastSyncAt
    const fromSession = since === v.lastSyncAt
    const ago = `${hours(v.lagSeconds)} ago`
    const what = fromSession
      ? `no successful session since ${clock(v.lastSyncAt, now)} (${ago})`
      : `nothing heard since ${clock(since, now)} (${ago}; last session at ${clock(v.lastSyncAt, now)})`
    out.set('lag', {
      value: v.lagSeconds,
      threshold: lagLimit,
      since,
      message: `${v.imo}: ${what}; expected every ${span(v.expectedWindowS)} (+${span(t.lagGraceS)} grace)`,
    })
  }
  const failed = v.sessions24h.failed + v.unreachedAttempts24h
  const attempts = v.sessions24h.complete + failed
  if (v.failureRate !== null && attempts >= t.minSessions && v.failureRate > t.failureRate) {
    const unreached = v.unreachedAttempts24h
      ? ` (${v.unreachedAttempts24h} of them never reached the relay, as the vessel reported)`
      : ''
    out.set('failure_rate', {
      value: v.failureRate,
      threshold: t.failureRate,
      message: `${v.imo}: ${failed} of ${plural(attempts, 'link attempt')} failed in 24 h${unreached}: ${(v.failureRate * 100).toFixed(1)} % > ${(t.failureRate * 100).toFixed(0)} %`,
    })
  }
  const held = v.pendingToVessel.normal + v.pendingToVessel.routine
  if (v.budget.criticalOnly && v.budget.dailyBytes !== null && (held > 0 || v.pendingFromVessel > 0)) {
    const waiting = [
      held > 0 ? `${plural(held, 'change')} for the vessel` : '',
      v.pendingFromVessel > 0 ? `${plural(v.pendingFromVessel, 'document')} from it` : '',
    ]
      .filter(Boolean)
      .join(' and ')
    out.set('budget', {
      value: v.budget.spentBytes,
      threshold: v.budget.dailyBytes,
      message: `${v.imo}: daily budget of ${(v.budget.dailyBytes / 1e6).toFixed(2)} MB spent; ${waiting} held back until 00:00 UTC (critical changes still cross)`,
    })
  }
  if (v.deadLetters.open >= t.deadLetters)
    out.set('dead_letters', {
      value: v.deadLetters.open,
      threshold: t.deadLetters,
      ...(v.deadLetters.oldestOpenAt ? { since: v.deadLetters.oldestOpenAt } : {}),
      message: `${v.imo}: ${plural(v.deadLetters.open, 'dead letter')} waiting${v.deadLetters.oldestOpenAt ? `, the oldest since ${clock(v.deadLetters.oldestOpenAt, now)}` : ''}`,
    })
  if (v.conflicts.lastHour > t.conflictsPerHour)
    out.set('conflicts', {
      value: v.conflicts.lastHour,
      threshold: t.conflictsPerHour,
      message: `${v.imo}: ${plural(v.conflicts.lastHour, 'new conflict')} in the last hour (> ${t.conflictsPerHour})`,
    })
  const budget = v.budget.dailyBytes
  if (budget !== null && v.dailyBill.projectedBytes > budget)
    out.set('projected_bill', {
      value: v.dailyBill.projectedBytes,
      threshold: budget,
      message: `${v.imo}: ${v.dailyBill.summary}, above its daily budget of ${formatKb(budget)}`,
    })
  return out
}

export class AlertEngine {
  private readonly extraRules: ExtraAlertRule[] = []

  constructor(
    private readonly store: AlertStore,
    private readonly fleet: FleetOps,
    public thresholds: AlertThresholds,
    private readonly logger: Logger,
    private readonly webhook: WebhookNotifier | null,
    private readonly relayUrl: () => string,
  ) {}

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
    return this.store.active().map(toAlert)
  }

  /** The newest alerts, firing or resolved. */
  recent(limit = 100): Alert[] {
    return this.store.recent(limit).map(toAlert)
  }

  /** Applies the rules to a fresh snapshot; returns what fired and what resolved. */
  evaluate(now = new Date()): { fired: Alert[]; resolved: Alert[] } {
    const at = now.toISOString()
    const fired: Alert[] = []
    const resolved: Alert[] = []
    const firing = new Map(this.active().map((a) => [`${a.kind} ${a.vessel}`, a]))
    const findings: (AlertFinding & { kind: AlertKind; subject: string })[] = []
    for (const v of this.fleet.snapshot(0, now))
      for (const [kind, f] of checkVessel(v, this.thresholds, now))
        findings.push({ ...f, kind, subject: v.imo })
    for (const rule of this.extraRules) findings.push(...rule())
    for (const f of findings) {
      const key = `${f.kind} ${f.subject}`
      const open = firing.get(key)
      firing.delete(key)
      if (open) {
        this.store.update(open.id, f.value, f.threshold, f.message)
        continue
      }
      // Relays sharing a database evaluate the same rules: one firing row per kind and subject,
      // and only the relay whose write made it announces it.
      const inserted = this.store.fire({
        kind: f.kind,
        subject: f.subject,
        at,
        since: f.since ?? at,
        value: f.value,
        threshold: f.threshold,
        message: f.message,
      })
      if (inserted) fired.push(toAlert(inserted))
    }
    // Whatever is still in `firing` no longer holds (or its vessel is gone). Another relay may have
    // resolved it first: then that relay announces it.
    for (const open of firing.values()) {
      const closed = this.store.resolve(open.id, at)
      if (closed) resolved.push(toAlert(closed))
    }
    for (const a of fired) this.announce('firing', a)
    for (const a of resolved) this.announce('resolved', a)
    return { fired, resolved }
  }

  private announce(status: 'firing' | 'resolved', alert: Alert): void {
    const log = { alert: alert.kind, vessel: alert.vessel, value: alert.value, threshold: alert.threshold }
    if (status === 'firing') this.logger.warn(log, `alert firing: ${alert.message}`)
    else this.logger.info(log, `alert resolved: ${alert.message}`)
    const text =
      `[${status.toUpperCase()}] ${alert.kind} ${alert.vessel}: ${alert.message}` +
      (status === 'firing' ? ` — ${alert.action}` : '')
    this.webhook?.notify({ status, alert, relay: this.relayUrl(), text } satisfies AlertNotification)
  }
}
