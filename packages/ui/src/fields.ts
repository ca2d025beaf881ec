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
import { labelOf } from './format.ts'

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

/** An ISO time as the value of `<input type="datetime-local">`, read as UTC. */
export function isoToLocalInput(iso: string | null): string {
  if (!iso) return ''
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(0, 16)
}

/** The value of `<input type="datetime-local">`, read as UTC, as an ISO time. */
export function localInputToIso(text: string): string | null {
  if (!text) return null
  const d = new Date(`${text.length === 16 ? `${text}:00` : text}Z`)
  return Number.isNaN(d.getTime()) ? text : d.toISOString()
}

/** The text an input shows for a value. */
export function toDraft(path: string, value: unknown): string {
  if (value === null || value === undefined) return ''
  switch (inputKindOf(path)) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'time':
      return isoToLocalInput(value as string)
    case 'list':
      return (value as unknown[]).join(', ')
    default:
      return String(value)
  }
}

/** The value an input's text stands for; validation reports what is wrong with it. */
export function fromDraft(path: string, draft: string): unknown {
  const text = draft.trim()
  switch (inputKindOf(path)) {
    case 'boolean':
      return draft === 'true'
    case 'time':
      return localInputToIso(text)
    case 'number':
      if (text === '') return isNullable(path) ? null : NaN
      return Number(text.replace(',', '.'))
    case 'list':
      return text === '' ? [] : text.split(/[\s,;]+/).filter(Boolean)
    case 'longtext':
      if (path === 'notes') return draft
      return text === '' && isNullable(path) ? null : draft
    default:
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
      v === null || v === undefined ? '' : sub.kind === 'time' ? isoToLocalInput(String(v)) : String(v)
  }
  return out
}

export function fromObjectDraft(path: string, draft: Record<string, string> | null): unknown {
  if (draft === null) return null
  const out: Record<string, unknown> = {}
  for (const sub of SUB_FIELDS[path] ?? []) {
    const text = (draft[sub.key] ?? '').trim()
    out[sub.key] = sub.kind === 'time' ? localInputToIso(text) : text === '' && sub.optional ? null : text
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
