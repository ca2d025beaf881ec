/**
 * How each catalog field is edited in a form: its input kind, how a value becomes the text of an
 * input (a draft) and back, and validation with the catalog's own validators, so a form refuses
 * exactly what the server would refuse, with the same words.
 */
import {
  CONDITIONS,
  CUSTOMS_STATUSES,
  FIELDS,
  PHYSICAL_STATES,
  TallyError,
  fieldSpec,
  planPatch,
} from '@tally/manifest'
import type { ContainerPatch, ContainerView, FieldSpec, Role, Section } from '@tally/manifest'
import { formatStowage, formatTime, labelOf } from './format.ts'

export type InputKind = 'enum' | 'boolean' | 'time' | 'number' | 'string' | 'longtext' | 'list' | 'object'

/** A field refused by validation: the dotted path, its label and the problem in words. */
export interface FieldError {
  field: string
  label: string
  problem: string
}

/** A sub-field of an object-valued field (dangerous goods, reefer alarm). */
export interface SubField {
  key: string
  label: string
  kind: 'string' | 'time' | 'enum'
  options?: readonly string[]
  optional: boolean
}

const ENUMS: Record<string, readonly string[]> = {
  'physical.state': PHYSICAL_STATES,
  'physical.condition': CONDITIONS,
  'customs.status': CUSTOMS_STATUSES,
}
const TIMES = new Set(['physical.lashingCheckedAt', 'physical.lastInspectedAt', 'physical.dischargedAt'])
const LONG_TEXT = new Set(['physical.damage', 'physical.dgIncident', 'customs.holdReason', 'notes'])

export const SUB_FIELDS: Record<string, SubField[]> = {
  'cargo.dg': [
    { key: 'unNumber', label: 'UN number', kind: 'string', optional: false },
    { key: 'imoClass', label: 'IMDG class', kind: 'string', optional: false },
    { key: 'packingGroup', label: 'Packing group', kind: 'enum', options: ['1', '2', '3'], optional: true },
  ],
  'reefer.alarm': [
    { key: 'code', label: 'Alarm code', kind: 'string', optional: false },
    { key: 'at', label: 'Raised at (UTC)', kind: 'time', optional: false },
    { key: 'note', label: 'Note', kind: 'string', optional: true },
  ],
}

export function inputKindOf(path: string): InputKind {
  const spec = fieldSpec(path)
  if (ENUMS[path]) return 'enum'
  if (TIMES.has(path)) return 'time'
  if (LONG_TEXT.has(path) || spec?.type === 'text') return 'longtext'
  if (spec?.type === 'boolean') return 'boolean'
  if (spec?.type === 'number') return 'number'
  if (spec?.type === 'list') return 'list'
  if (spec?.type === 'object') return 'object'
  return 'string'
}

export function enumOptions(path: string): readonly string[] {
  return ENUMS[path] ?? []
}

/** Whether the field accepts null, asked of its own validator. */
export function isNullable(path: string): boolean {
  return fieldSpec(path)?.validate(null) === null
}

/** The fields of a section that a form shows: readings are append-only and edited elsewhere. */
export function sectionFields(section: Section): FieldSpec[] {
  return FIELDS.filter((f) => f.section === section && f.path !== 'reefer.readings' && f.path !== 'proposals')
}

/** The value at a dotted path of a view (`physical.condition`, `notes`). */
export function valueAt(view: ContainerView, path: string): unknown {
  let value: unknown = view
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return null
    value = (value as Record<string, unknown>)[key]
  }
  return value ?? null
}

const MONTH_NUMBERS: Record<string, number> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
}

/**
 * An ISO time as a time input shows it: the app's own `4 Dec 20:15 UTC`, 24-hour UTC (a browser's
 * datetime-local input shows the tablet's local zone, often in 12-hour time). The year is written
 * when it is not the current one.
 */
export function isoToTimeInput(iso: string | null, nowYear = new Date().getUTCFullYear()): string {
  if (!iso) return ''
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '' : formatTime(iso, nowYear)
}

/**
 * A time input's text as an ISO time, read as UTC: `4 Dec 20:15`, `4 Dec 2026 20:15 UTC`, or ISO
 * 8601. Text that is none of these is returned as typed, so validation names what is wrong.
 */
export function timeInputToIso(text: string, nowYear = new Date().getUTCFullYear()): string | null {
  const t = text.trim()
  if (!t) return null
  const words =
    /^(\d{1,2})\s+([a-z]{3})[a-z]*\.?\s+(?:(\d{4})\s+)?(\d{1,2})[:.h](\d{2})(?:\s*utc|\s*z)?$/i.exec(t)
  if (words) {
    const [, day, month, year, hour, minute] = words
    const m = MONTH_NUMBERS[month!.toLowerCase()]
    if (m === undefined) return t
    const ms = Date.UTC(year ? Number(year) : nowYear, m, Number(day), Number(hour), Number(minute))
    const d = new Date(ms)
    // Date.UTC rolls 31 Feb over into March and 25:00 into the next day: refuse those instead.
    if (d.getUTCDate() !== Number(day) || d.getUTCHours() !== Number(hour) || Number(minute) > 59) return t
    return d.toISOString()
  }
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?$/.exec(t)
  if (iso) {
    const d = new Date(`${t.length === 16 ? `${t}:00` : t.replace(/Z$/, '')}Z`)
    return Number.isNaN(d.getTime()) ? t : d.toISOString()
  }
  return t
}

/** What a time input says it wants, for its placeholder and hint. */
export const TIME_INPUT_HINT = 'e.g. 4 Dec 20:15 (UTC, 24-hour)'

/** The text an input shows for a value. */
export function toDraft(path: string, value: unknown): string {
  if (value === null || value === undefined) return ''
  switch (inputKindOf(path)) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'time':
      return isoToTimeInput(value as string)
    case 'list':
      return (value as unknown[]).join(', ')
    default:
      // Stowage reads as people write it, `001 04 84`, as it does everywhere else.
      return path === 'physical.stowage' ? formatStowage(String(value)) : String(value)
  }
}

/** The value an input's text stands for; validation reports what is wrong with it. */
export function fromDraft(path: string, draft: string): unknown {
  const text = draft.trim()
  switch (inputKindOf(path)) {
    case 'boolean':
      return draft === 'true'
    case 'time':
      return timeInputToIso(text)
    case 'number':
      if (text === '') return isNullable(path) ? null : NaN
      return Number(text.replace(',', '.'))
    case 'list':
      return text === '' ? [] : text.split(/[\s,;]+/).filter(Boolean)
    case 'longtext':
      if (path === 'notes') return draft
      return text === '' && isNullable(path) ? null : draft
    default:
      if (path === 'physical.stowage' && /^[\d\s]+$/.test(text)) return text.replace(/\s+/g, '') || null
      return text === '' && isNullable(path) ? null : text
  }
}

/** Draft texts of an object-valued field, one per sub-field, or null when the field is empty. */
export function toObjectDraft(path: string, value: unknown): Record<string, string> | null {
  if (value === null || value === undefined || typeof value !== 'object') return null
  const out: Record<string, string> = {}
  for (const sub of SUB_FIELDS[path] ?? []) {
    const v = (value as Record<string, unknown>)[sub.key]
    out[sub.key] =
      v === null || v === undefined ? '' : sub.kind === 'time' ? isoToTimeInput(String(v)) : String(v)
  }
  return out
}

export function fromObjectDraft(path: string, draft: Record<string, string> | null): unknown {
  if (draft === null) return null
  const out: Record<string, unknown> = {}
  for (const sub of SUB_FIELDS[path] ?? []) {
    const text = (draft[sub.key] ?? '').trim()
    out[sub.key] = sub.kind === 'time' ? timeInputToIso(text) : text === '' && sub.optional ? null : text
  }
  return out
}

/** A problem as people read it: `cargo.dg.unNumber must be…` becomes `UN number must be…`. */
function humanProblem(path: string, problem: string): string {
  for (const sub of SUB_FIELDS[path] ?? []) {
    const prefix = `${path}.${sub.key} `
    if (problem.startsWith(prefix)) return `${sub.label} ${problem.slice(prefix.length)}`
  }
  return problem
}

/** Validates one value with the catalog validator of its field; null when acceptable. */
export function validateField(path: string, value: unknown): FieldError | null {
  const spec = fieldSpec(path)
  if (!spec) return { field: path, label: path, problem: 'is not a known field' }
  const problem = spec.validate(value)
  if (problem && inputKindOf(path) === 'time')
    // The input takes the app's own format, so the problem names that rather than ISO 8601.
    return { field: path, label: labelOf(path), problem: `must be a time such as 4 Dec 20:15 (UTC, 24-hour)` }
  return problem ? { field: path, label: labelOf(path), problem: humanProblem(path, problem) } : null
}

/**
 * Validates a whole patch as the server does (manifest's planPatch: known fields, authority for
 * `role`, values), against the view the form was built from.
 */
export function validatePatch(view: ContainerView, patch: ContainerPatch, role: Role): FieldError | null {
  try {
    // planPatch reads only plain properties of the document it is given, so a view stands in for it.
    planPatch(view as never, patch, role)
    return null
  } catch (err) {
    if (!(err instanceof TallyError)) throw err
    const field = err.field ?? 'body'
    const prefix = `${field}: `
    const problem = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message
    return { field, label: labelOf(field), problem }
  }
}
