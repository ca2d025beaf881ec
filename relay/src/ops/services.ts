/**
 * The operator services of one relay, wired together: settings, budgets, conflict tracking, the
 * relay-side queue, the fleet snapshot, alerts (with the optional webhook), dead letters, tokens and
 * user sockets. {@link installOps} builds one and plugs it into the relay.
 */
import type { Logger } from 'pino'
import { AlertStore, AlertThresholdStore } from '@tally/storage-sqlite'
import type { RelayUser } from '../auth.ts'
import type { RelayContext } from '../context.ts'
import { AlertEngine, DEFAULT_THRESHOLDS } from './alerts.ts'
import type { Alert, AlertKind, AlertThresholds } from './alerts.ts'
import { VesselBudgets } from './budgets.ts'
import { ConflictTracker } from './conflicts.ts'
import { UserSockets } from './connections.ts'
import { DeadLetterOps } from './dead-letters.ts'
import { FleetOps } from './fleet-ops.ts'
import { RelayQueue } from './queue.ts'
import { OpsSettingsStore } from './settings.ts'
import type { VesselOpsSettings, VesselOpsSettingsPatch } from './settings.ts'
import { knownThresholds } from './thresholds.ts'
import { TokenOps } from './tokens.ts'
import { VesselReports } from './vessel-reports.ts'
import { WebhookNotifier } from './webhook.ts'
import type http from 'node:http'

/** Default time a vessel is expected to go between syncs: one link window a day. */
export const DEFAULT_EXPECTED_WINDOW_S = 24 * 3_600
/** How often the alert rules run. */
export const ALERT_INTERVAL_MS = 30_000
/** How often user sockets are checked against tokens revoked out of process (as vessel links are). */
export const USER_SOCKET_CHECK_MS = 5_000

/** Options of the operator tools (`createRelay({ops})`). */
export interface OpsOptions {
  /** POST alert notifications (JSON) to this URL: the relay CLI's `--alert-webhook`. */
  alertWebhook?: string
  /** Expected time between a vessel's syncs unless set per vessel. Default 24 h. */
  expectedWindowS?: number
  /** Alert thresholds; see {@link DEFAULT_THRESHOLDS}. They win over those saved on the dashboard, for this start. */
  thresholds?: Partial<AlertThresholds>
  /** Default {@link ALERT_INTERVAL_MS}. */
  alertIntervalMs?: number
  /** First webhook retry delay (tests shorten it). */
  webhookRetryBaseMs?: number
  /** How often sockets of tokens revoked elsewhere (the CLI) are looked for. */
  revocationCheckMs?: number
}

export class OpsServices {
  readonly settings: OpsSettingsStore
  readonly reports: VesselReports
  readonly thresholdStore: AlertThresholdStore
  readonly budgets: VesselBudgets
  readonly conflicts: ConflictTracker
  readonly queue: RelayQueue
  readonly fleet: FleetOps
  readonly webhook: WebhookNotifier | null
  readonly alerts: AlertEngine
  readonly deadLetters: DeadLetterOps
  readonly sockets: UserSockets
  readonly tokens: TokenOps
  readonly logger: Logger
  /** The expected window of a vessel with neither an operator setting nor a reported interval. */
  readonly defaultWindowS: number

  constructor(
    readonly ctx: RelayContext,
    server: http.Server,
    relayUrl: () => string,
    options: OpsOptions & { revocationCheckMs: number },
  ) {
    this.logger = ctx.logger.child({ component: 'ops' })
    this.defaultWindowS = options.expectedWindowS ?? DEFAULT_EXPECTED_WINDOW_S
    this.settings = new OpsSettingsStore(ctx.db)
    this.reports = new VesselReports(ctx.db)
    this.thresholdStore = new AlertThresholdStore(ctx.db)
    this.budgets = new VesselBudgets(this.settings, ctx.sessions)
    this.conflicts = new ConflictTracker(ctx.db, ctx.store, this.logger)
    this.queue = new RelayQueue(ctx)
    this.fleet = new FleetOps({
      ctx,
      settings: this.settings,
      budgets: this.budgets,
      conflicts: this.conflicts,
      queue: this.queue,
      reports: this.reports,
      defaultWindowS: this.defaultWindowS,
    })
    this.webhook = options.alertWebhook
      ? new WebhookNotifier(options.alertWebhook, this.logger, options.webhookRetryBaseMs)
      : null
    this.alerts = new AlertEngine(
      new AlertStore(ctx.db),
      this.fleet,
      { ...DEFAULT_THRESHOLDS, ...knownThresholds(this.thresholdStore.saved()), ...options.thresholds },
      this.logger,
      this.webhook,
      relayUrl,
    )
    // Operator actions log under component "ops", like everything else here.
    const opsCtx: RelayContext = { ...ctx, logger: this.logger }
    this.deadLetters = new DeadLetterOps(opsCtx)
    this.sockets = new UserSockets(server, ctx.tokens, this.logger, options.revocationCheckMs)
    this.tokens = new TokenOps(opsCtx, this.sockets)
  }

  /** Changes a vessel's settings, audited (`ops:vessel:<imo>`, action `settings.update`). */
  updateSettings(imo: string, patch: VesselOpsSettingsPatch, by: RelayUser): VesselOpsSettings {
    const { db, audit } = this.ctx
    const settings = db.transaction(() => {
      const before = this.settings.get(imo)
      const after = this.settings.update(imo, patch, by.principal)
      const from: Record<string, unknown> = {}
      const to: Record<string, unknown> = {}
      for (const key of Object.keys(patch) as (keyof VesselOpsSettingsPatch)[]) {
        from[key] = before[key]
        to[key] = after[key]
      }
      audit.append({
        principal: by.principal,
        role: by.role,
        docId: `ops:vessel:${imo}`,
        field: 'settings.update',
        from,
        to,
      })
      return after
    })()
    this.fleet.invalidate()
    this.logger.info({ vessel: imo, user: by.principal, settings }, 'vessel ops settings changed')
    return settings
  }

  /** Changes alert thresholds for the fleet, audited (`ops:alerts`, action `thresholds.update`), and re-runs the rules. */
  updateThresholds(patch: Partial<AlertThresholds>, by: RelayUser): AlertThresholds {
    const { db, audit } = this.ctx
    db.transaction(() => {
      const from: Record<string, unknown> = {}
      for (const key of Object.keys(patch) as (keyof AlertThresholds)[])
        from[key] = this.alerts.thresholds[key]
      this.thresholdStore.save(patch, by.principal)
      audit.append({
        principal: by.principal,
        role: by.role,
        docId: 'ops:alerts',
        field: 'thresholds.update',
        from,
        to: patch,
      })
    })()
    this.alerts.thresholds = { ...this.alerts.thresholds, ...patch }
    this.logger.info({ user: by.principal, thresholds: patch }, 'alert thresholds changed')
    this.evaluateAlerts()
    return this.alerts.thresholds
  }

  /** Kinds of the alerts firing for one vessel. */
  alertsOf(imo: string): AlertKind[] {
    return this.alerts
      .active()
      .filter((a) => a.vessel === imo)
      .map((a) => a.kind)
  }

  /** Runs the alert rules now; a failure is logged, never thrown into a timer. */
  evaluateAlerts(now = new Date()): { fired: Alert[]; resolved: Alert[] } {
    try {
      return this.alerts.evaluate(now)
    } catch (err) {
      this.logger.error({ err }, 'alert evaluation failed')
      return { fired: [], resolved: [] }
    }
  }

  /** What operators did: token, dead-letter, settings and threshold changes, newest first. */
  auditTrail(
    limit: number,
  ): { at: string; principal: string; action: string; subject: string; from: unknown; to: unknown }[] {
    return this.ctx.audit.newestUnder('ops:', limit).map((r) => ({
      at: r.at,
      principal: r.principal,
      action: r.field ?? '',
      subject: r.docId.slice('ops:'.length),
      // Not recorded is null in the answer (the JSON keeps the key).
      from: r.from ?? null,
      to: r.to ?? null,
    }))
  }

  close(): void {
    this.webhook?.close()
    this.conflicts.close()
    this.sockets.close()
  }
}
