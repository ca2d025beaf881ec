/**
 * `relay serve`: its flags and how they become {@link RelayOptions}. The alert flags set the
 * thresholds this start begins with; the dashboard can change them later (docs/operations.md, Alerts).
 */
import { readFileSync } from 'node:fs'
import type { RelayOptions } from './app.ts'
import { UsageError } from './cli-errors.ts'
import { INTEGRATION_RATE_WINDOW_MS } from './integrations.ts'
import type { OptionSpec } from './cli-errors.ts'
import type { AlertThresholds } from './ops/index.ts'
import type { RelayDatabase } from './stores.ts'

export const SERVE_USAGE = `relay serve --port PORT --data DIR [--host 127.0.0.1] [--cost-per-mb 10]
            [--alert-webhook URL] [--sync-window-h 24] [--lag-grace-min 60]
            [--failure-rate-pct 5] [--min-attempts 10] [--conflicts-per-hour 10]
            [--dead-letters 1] [--alert-interval-s 30] [--tls-cert FILE --tls-key FILE]
            [--retention-days 180] [--integration-requests-per-min 600]
  Serves the REST API, /link, /sync, /ops and /metrics over the relay database in DIR (created if new).
  --database postgres://USER@HOST:PORT/DB instead of --data DIR: a PostgreSQL database shared by several relays.
  --tls-cert FILE         serve https:// and wss:// with this PEM certificate (chain) ...
  --tls-key FILE          ... and its PEM private key (without them: plain http:// and ws://,
                          for a TLS proxy in front)
  --alert-webhook URL     POST every alert that fires or resolves to URL (JSON; docs/operations.md)
  --sync-window-h H       expected time between a vessel's syncs when neither the operator nor the
                          vessel's own sync interval says otherwise
  --lag-grace-min M       grace after a vessel's expected window before the "no contact" alert
  --failure-rate-pct P    failed share of a vessel's link attempts in 24 h above which it alerts
  --min-attempts N        attempts needed in 24 h before a failure rate alerts
  --conflicts-per-hour N  new conflicts in the last hour above which it alerts
  --dead-letters N        open dead letters at or above which it alerts
  --alert-interval-s S    how often the alert rules run
  --retention-days D      sync sessions, resolved alerts and audit rows older than D days are pruned
                          daily (closed voyages' documents are kept, compacted)
  --integration-requests-per-min N
                          requests each integration token may make per minute (REST and DCSA
                          together); beyond it 429 RATE_LIMITED with Retry-After. User tokens
                          are not limited (docs/integrations.md)`

export const SERVE_OPTIONS: OptionSpec = {
  port: { type: 'string' },
  data: { type: 'string' },
  database: { type: 'string' },
  host: { type: 'string' },
  'cost-per-mb': { type: 'string' },
  'alert-webhook': { type: 'string' },
  'sync-window-h': { type: 'string' },
  'lag-grace-min': { type: 'string' },
  'failure-rate-pct': { type: 'string' },
  'min-attempts': { type: 'string' },
  'conflicts-per-hour': { type: 'string' },
  'dead-letters': { type: 'string' },
  'alert-interval-s': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'retention-days': { type: 'string' },
  'integration-requests-per-min': { type: 'string' },
}

type Values = Record<string, string | boolean | undefined>

/** A number flag within [min, max], or undefined when absent. */
function numberFlag(
  o: Values,
  name: string,
  usage: string,
  rule: { min: number; max: number; integer?: boolean; unit: string },
): number | undefined {
  const value = o[name]
  if (value === undefined) return undefined
  const n = Number(value)
  if (
    typeof value !== 'string' ||
    value.trim() === '' ||
    !Number.isFinite(n) ||
    n < rule.min ||
    n > rule.max ||
    (rule.integer === true && !Number.isInteger(n))
  )
    throw new UsageError(
      `--${name} must be ${rule.integer ? 'a whole number' : 'a number'} of ${rule.unit} from ${rule.min} to ${rule.max}, got "${String(value)}"`,
      usage,
    )
  return n
}

function port(value: string, usage: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535)
    throw new UsageError('--port must be an integer from 0 to 65535', usage)
  return Number(value)
}

function webhook(value: string | undefined, usage: string): string | undefined {
  if (value === undefined) return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new UsageError(`--alert-webhook must be an http(s) URL, got "${value}"`, usage)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--alert-webhook must be an http(s) URL, got "${value}"`, usage)
  return url.toString()
}

/** Reads the PEM certificate and key; both or neither. */
function tlsFiles(o: Values, usage: string): { cert: Buffer; key: Buffer } | undefined {
  const certFile = o['tls-cert'] as string | undefined
  const keyFile = o['tls-key'] as string | undefined
  if (certFile === undefined && keyFile === undefined) return undefined
  if (!certFile || !keyFile) throw new UsageError('--tls-cert and --tls-key go together', usage)
  const read = (file: string, flag: string) => {
    let pem: Buffer
    try {
      pem = readFileSync(file)
    } catch (err) {
      throw new UsageError(`--${flag} ${file}: ${(err as Error).message}`, usage)
    }
    if (!pem.includes('-----BEGIN')) throw new UsageError(`--${flag} ${file}: not a PEM file`, usage)
    return pem
  }
  return { cert: read(certFile, 'tls-cert'), key: read(keyFile, 'tls-key') }
}

/** The serve flags as relay options (everything but the logger). */
export function parseServeOptions(o: Values, usage: string): Omit<RelayOptions, 'logger'> {
  const windowH = numberFlag(o, 'sync-window-h', usage, { min: 1 / 60, max: 60 * 24, unit: 'hours' })
  const graceMin = numberFlag(o, 'lag-grace-min', usage, { min: 0, max: 7 * 24 * 60, unit: 'minutes' })
  const ratePct = numberFlag(o, 'failure-rate-pct', usage, { min: 0, max: 100, unit: 'percent' })
  const minAttempts = numberFlag(o, 'min-attempts', usage, {
    min: 1,
    max: 10_000,
    integer: true,
    unit: 'attempts',
  })
  const conflicts = numberFlag(o, 'conflicts-per-hour', usage, {
    min: 0,
    max: 1e6,
    integer: true,
    unit: 'conflicts',
  })
  const letters = numberFlag(o, 'dead-letters', usage, { min: 1, max: 1e6, integer: true, unit: 'letters' })
  const intervalS = numberFlag(o, 'alert-interval-s', usage, { min: 1, max: 3600, unit: 'seconds' })
  const costPerMb = numberFlag(o, 'cost-per-mb', usage, { min: 0, max: 1e6, unit: 'dollars' })
  const retentionDays = numberFlag(o, 'retention-days', usage, {
    min: 1,
    max: 36_500,
    integer: true,
    unit: 'days',
  })
  const integrationLimit = numberFlag(o, 'integration-requests-per-min', usage, {
    min: 1,
    max: 1_000_000,
    integer: true,
    unit: 'requests',
  })
  const thresholds: Partial<AlertThresholds> = {}
  if (graceMin !== undefined) thresholds.lagGraceS = Math.round(graceMin * 60)
  if (ratePct !== undefined) thresholds.failureRate = ratePct / 100
  if (minAttempts !== undefined) thresholds.minSessions = minAttempts
  if (conflicts !== undefined) thresholds.conflictsPerHour = conflicts
  if (letters !== undefined) thresholds.deadLetters = letters
  const alertWebhook = webhook(o['alert-webhook'] as string | undefined, usage)
  const tls = tlsFiles(o, usage)
  return {
    ...(tls ? { tls } : {}),
    ...databaseOption(o, usage),
    port: port(o.port as string, usage),
    host: (o.host as string | undefined) ?? '127.0.0.1',
    costPerMb,
    ...(retentionDays !== undefined ? { retentionDays } : {}),
    ...(integrationLimit !== undefined
      ? { integrationLimits: { limit: integrationLimit, windowMs: INTEGRATION_RATE_WINDOW_MS } }
      : {}),
    ops: {
      ...(alertWebhook ? { alertWebhook } : {}),
      ...(windowH !== undefined ? { expectedWindowS: Math.round(windowH * 3600) } : {}),
      ...(Object.keys(thresholds).length > 0 ? { thresholds } : {}),
      ...(intervalS !== undefined ? { alertIntervalMs: Math.round(intervalS * 1000) } : {}),
    },
  }
}

/** `--data DIR` (SQLite) or `--database URL` (PostgreSQL): exactly one. */
export function databaseOption(
  o: Record<string, string | boolean | undefined>,
  usage: string,
): RelayDatabase {
  const data = typeof o.data === 'string' && o.data !== '' ? o.data : undefined
  const database = typeof o.database === 'string' && o.database !== '' ? o.database : undefined
  if (data && database) throw new UsageError('give --data DIR or --database URL, not both', usage)
  if (database) {
    if (!/^postgres(ql)?:\/\//.test(database))
      throw new UsageError('--database must be a PostgreSQL URL: postgres://USER@HOST:PORT/DB', usage)
    return { databaseUrl: database }
  }
  if (!data) throw new UsageError('--data is required (or --database URL)', usage)
  return { dataDir: data }
}
