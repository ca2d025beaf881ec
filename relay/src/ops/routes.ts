/**
 * `/api/ops/...`: the JSON behind the operator dashboard, for ops tokens only (docs/operations.md
 * lists every endpoint). Errors leave in the contract's shape through the relay's error handler.
 */
import { Router } from 'express'
import type { RequestHandler } from 'express'
import { TallyError } from '@tally/manifest'
import { sumDailyBills } from '@tally/storage-sqlite'
import type { DeadLetterStatus } from '@tally/storage-sqlite'
import { userOf } from '../auth.ts'
import { parseImo } from '../query.ts'
import type { OpsServices } from './services.ts'
import type { LinkPacing, VesselOpsSettingsPatch } from './settings.ts'
import { parseThresholdPatch, THRESHOLD_FIELDS } from './thresholds.ts'
import { MAX_PACING_S, validPacingSeconds } from '@tally/link/pacing'

/** Largest daily budget accepted (1 TB): anything above is a typo, not a budget. */
const MAX_BUDGET_BYTES = 1e12
/** Longest expected window accepted (60 days). */
const MAX_WINDOW_S = 60 * 86_400
const STATUSES: DeadLetterStatus[] = ['open', 'retried', 'discarded']

const requireOps: RequestHandler = (_req, res, next) => {
  const user = userOf(res)
  if (user.role !== 'ops')
    return next(
      new TallyError('FORBIDDEN', `the operator tools need an ops token; ${user.name} has role ${user.role}`),
    )
  next()
}

function intParam(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new TallyError('INVALID', `${name}: an integer from 0 to ${max}`, name)
  return n
}

/**
 * A vessel setting as the dashboard form shows it: errors name the form's field and unit ("Expected
 * window must be at least 1 minute"), since the operator reads them next to what they typed.
 */
interface SettingField {
  key: keyof VesselOpsSettingsPatch
  label: string
  /** The smallest and largest value in stored units, and the same said in the form's units. */
  min: number
  max: number
  minText: string
  maxText: string
  unit: string
}

const SETTING_FIELDS: SettingField[] = [
  {
    key: 'dailyBudgetBytes',
    label: 'Daily budget',
    min: 0,
    max: MAX_BUDGET_BYTES,
    minText: '0 MB',
    maxText: '1,000,000 MB',
    unit: 'MB',
  },
  {
    key: 'expectedWindowS',
    label: 'Expected window',
    min: 60,
    max: MAX_WINDOW_S,
    minText: '1 minute',
    maxText: '60 days (1,440 hours)',
    unit: 'hours',
  },
]

function settingValue(body: Record<string, unknown>, f: SettingField): number | null | undefined {
  const v = body[f.key]
  if (v === undefined || v === null) return v
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new TallyError('INVALID', `${f.label} must be a number of ${f.unit}, or empty to clear it`, f.key)
  if (v < f.min) throw new TallyError('INVALID', `${f.label} must be at least ${f.minText}`, f.key)
  if (v > f.max) throw new TallyError('INVALID', `${f.label} must be at most ${f.maxText}`, f.key)
  return Math.round(v)
}

function parseSettings(body: unknown): VesselOpsSettingsPatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new TallyError('INVALID', 'body: an object such as {"dailyBudgetBytes": 2000000}', 'body')
  const b = body as Record<string, unknown>
  const unknown = Object.keys(b).filter((k) => k !== 'linkPacing' && !SETTING_FIELDS.some((f) => f.key === k))
  if (unknown.length > 0) throw new TallyError('INVALID', `${unknown[0]}: not a vessel setting`, unknown[0])
  const patch: VesselOpsSettingsPatch = {}
  const budget = settingValue(b, SETTING_FIELDS[0]!)
  const window = settingValue(b, SETTING_FIELDS[1]!)
  if (budget !== undefined) patch.dailyBudgetBytes = budget
  if (window !== undefined) patch.expectedWindowS = window
  if (b.linkPacing !== undefined) patch.linkPacing = parseLinkPacing(b.linkPacing)
  return patch
}

/** `{criticalS, normalS, routineS, keepaliveS}` in whole seconds (windows from 0, keepalive from 1), or null. */
function parseLinkPacing(value: unknown): LinkPacing | null {
  if (value === null) return null
  const example = '{"criticalS": 2, "normalS": 840, "routineS": 3000, "keepaliveS": 480}'
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TallyError('INVALID', `linkPacing: an object such as ${example}, or null`, 'linkPacing')
  const v = value as Record<string, unknown>
  const keys = ['criticalS', 'normalS', 'routineS', 'keepaliveS'] as const
  const extra = Object.keys(v).find((k) => !(keys as readonly string[]).includes(k))
  if (extra) throw new TallyError('INVALID', `linkPacing.${extra}: not a link setting`, `linkPacing.${extra}`)
  const out = {} as LinkPacing
  for (const k of keys) {
    const n = v[k]
    const min = k === 'keepaliveS' ? 1 : 0
    if (typeof n !== 'number' || !validPacingSeconds(n) || n < min)
      throw new TallyError(
        'INVALID',
        `linkPacing.${k}: whole seconds from ${min} to ${MAX_PACING_S}, as in ${example}`,
        `linkPacing.${k}`,
      )
    out[k] = n
  }
  return out
}

function letterId(value: string): number {
  const id = Number(value)
  if (!Number.isSafeInteger(id) || id <= 0) throw new TallyError('INVALID', 'id: a dead letter number', 'id')
  return id
}

export function opsRoutes(ops: OpsServices): Router {
  const router = Router()
  router.use(requireOps)

  router.get('/overview', (_req, res) => {
    const now = new Date()
    const vessels = ops.fleet.snapshot()
    res.json({
      generatedAt: now.toISOString(),
      vessels: vessels.map((v) => ({ ...v, alerts: ops.alertsOf(v.imo) })),
      // The whole fleet's bill today and by 24:00 UTC, from the same per-vessel figures.
      fleetBill: sumDailyBills(
        vessels.map((v) => v.dailyBill),
        now,
        ops.ctx.costPerMb,
      ),
      alerts: {
        active: ops.alerts.active(),
        thresholds: ops.alerts.thresholds,
        webhook: ops.alerts.webhookConfigured,
      },
      defaultWindowS: ops.defaultWindowS,
      deadLetters: ops.deadLetters.counts(),
      costPerMb: ops.ctx.costPerMb,
    })
  })

  router.get('/vessels/:imo', (req, res) => {
    const imo = parseImo(req.params.imo)
    const vessel = ops.fleet.vessel(imo)
    if (!vessel) throw new TallyError('NOT_FOUND', `the relay does not know vessel ${imo}`)
    const limit = intParam(req.query.limit, 'limit', 200, 2000)
    const since = new Date(Date.now() - 30 * 86_400_000).toISOString()
    res.json({
      ...vessel,
      alerts: ops.alertsOf(imo),
      settings: ops.settings.get(imo),
      sessions: ops.ctx.sessions.list({ peer: imo, limit }),
      perDay: ops.ctx.sessions.perDay({ peer: imo, since }),
      recentConflicts: ops.conflicts.recent(imo, 20),
    })
  })

  router.put('/vessels/:imo/settings', (req, res) => {
    const imo = parseImo(req.params.imo)
    const settings = ops.updateSettings(imo, parseSettings(req.body), userOf(res))
    ops.ctx.linkServer.settingsChanged(imo)
    res.json(settings)
  })

  router.get('/dead-letters', (req, res) => {
    const status = req.query.status as DeadLetterStatus | undefined
    if (status !== undefined && !STATUSES.includes(status))
      throw new TallyError('INVALID', `status: one of ${STATUSES.join(', ')}`, 'status')
    const principal =
      typeof req.query.principal === 'string' && req.query.principal ? req.query.principal : undefined
    res.json({
      items: ops.deadLetters.list({
        status,
        principal,
        limit: intParam(req.query.limit, 'limit', 100, 1000),
        offset: intParam(req.query.offset, 'offset', 0, 1e9),
      }),
      counts: ops.deadLetters.counts(),
    })
  })

  router.get('/dead-letters/:id', (req, res) => {
    res.json(ops.deadLetters.inspect(letterId(req.params.id)))
  })

  router.post('/dead-letters/:id/retry', (req, res) => {
    const result = ops.deadLetters.retry(letterId(req.params.id), userOf(res))
    ops.fleet.invalidate()
    res.json(result)
  })

  router.post('/dead-letters/:id/discard', (req, res) => {
    const reason = (req.body as { reason?: unknown } | undefined)?.reason
    const letter = ops.deadLetters.discard(letterId(req.params.id), userOf(res), reason)
    ops.fleet.invalidate()
    res.json(letter)
  })

  router.get('/tokens', (req, res) => {
    res.json(ops.tokens.list(req.query.all === '1' || req.query.all === 'true'))
  })

  router.post('/tokens', (req, res) => {
    res.status(201).json(ops.tokens.create(req.body, userOf(res)))
  })

  router.post('/tokens/:id/revoke', (req, res) => {
    res.json(ops.tokens.revoke(req.params.id, userOf(res)))
  })

  router.get('/alerts', (_req, res) => {
    res.json({
      active: ops.alerts.active(),
      recent: ops.alerts.recent(100),
      thresholds: ops.alerts.thresholds,
      thresholdFields: THRESHOLD_FIELDS,
      webhook: ops.alerts.webhookConfigured,
    })
  })

  router.put('/alerts/thresholds', (req, res) => {
    res.json(ops.updateThresholds(parseThresholdPatch(req.body), userOf(res)))
  })

  router.post('/alerts/evaluate', (_req, res) => {
    res.json(ops.evaluateAlerts())
  })

  router.get('/audit', (req, res) => {
    res.json(ops.auditTrail(intParam(req.query.limit, 'limit', 100, 1000)))
  })

  return router
}
