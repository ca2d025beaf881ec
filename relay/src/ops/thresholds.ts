/**
 * The alert thresholds, one set for the fleet. They start from the defaults, then what an operator
 * saved on the dashboard (kept in the relay's database by `AlertThresholdStore`, so a restart
 * keeps it), then the flags `relay serve` was started with (`--lag-grace-min` …), which win for
 * that start. Every save is audited.
 *
 * Errors speak the dashboard form's units and names ("Grace must be at least 0 minutes"), because the
 * operator reads them next to the field they typed into.
 */
import { TallyError } from '@tally/manifest'
import type { AlertThresholds } from './alerts.ts'

/** One threshold as the dashboard form shows it: its label, unit and the factor from stored to shown. */
export interface ThresholdField {
  key: keyof AlertThresholds
  label: string
  unit: string
  /** Stored value × scale = the value in the form's unit (seconds → minutes: 1/60). */
  scale: number
  min: number
  max: number
  integer: boolean
}

/** The form's fields, in its order; the API takes and answers the stored units (seconds, ratios). */
export const THRESHOLD_FIELDS: readonly ThresholdField[] = [
  {
    key: 'lagGraceS',
    label: 'Grace',
    unit: 'minutes',
    scale: 1 / 60,
    min: 0,
    max: 7 * 24 * 60,
    integer: false,
  },
  { key: 'failureRate', label: 'Failure rate', unit: '%', scale: 100, min: 0, max: 100, integer: false },
  {
    key: 'minSessions',
    label: 'Minimum attempts',
    unit: 'attempts',
    scale: 1,
    min: 1,
    max: 10_000,
    integer: true,
  },
  {
    key: 'conflictsPerHour',
    label: 'Conflicts',
    unit: 'per hour',
    scale: 1,
    min: 0,
    max: 1e6,
    integer: true,
  },
  { key: 'deadLetters', label: 'Dead letters', unit: 'open', scale: 1, min: 1, max: 1e6, integer: true },
]

const unitText = (f: ThresholdField, n: number) => (f.unit === '%' ? `${n} %` : `${n} ${f.unit}`)

/** Checks a patch of thresholds (stored units); the error names the form's field and unit. */
export function parseThresholdPatch(body: unknown): Partial<AlertThresholds> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new TallyError('INVALID', 'body: an object such as {"lagGraceS": 1800}', 'body')
  const out: Partial<AlertThresholds> = {}
  for (const [key, value] of Object.entries(body)) {
    const field = THRESHOLD_FIELDS.find((f) => f.key === key)
    if (!field) throw new TallyError('INVALID', `${key}: not an alert threshold`, key)
    const shown = typeof value === 'number' ? value * field.scale : NaN
    // Rounding noise of the unit conversion (0.07 × 100) must not fail an integer check.
    const rounded = Math.round(shown * 1e6) / 1e6
    if (!Number.isFinite(rounded))
      throw new TallyError('INVALID', `${field.label} must be a number of ${field.unit}`, key)
    if (rounded < field.min)
      throw new TallyError('INVALID', `${field.label} must be at least ${unitText(field, field.min)}`, key)
    if (rounded > field.max)
      throw new TallyError('INVALID', `${field.label} must be at most ${unitText(field, field.max)}`, key)
    if (field.integer && !Number.isInteger(rounded))
      throw new TallyError('INVALID', `${field.label} must be a whole number of ${field.unit}`, key)
    out[field.key] = value as number
  }
  return out
}

/** The thresholds among what operators saved (`AlertThresholdStore.saved()`): names this relay knows. */
export function knownThresholds(saved: Record<string, number>): Partial<AlertThresholds> {
  const out: Partial<AlertThresholds> = {}
  for (const f of THRESHOLD_FIELDS) if (saved[f.key] !== undefined) out[f.key] = saved[f.key]
  return out
}
