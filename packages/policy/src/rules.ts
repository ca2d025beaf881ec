/**
 * The authority and validation rules for the ops of one change (docs/architecture.md–3). Each rule names the
 * field it refuses, so the sender and the dead-letter queue can say exactly what was wrong.
 */
import type * as A from '@automerge/automerge'
import { z } from 'zod'
import {
  ALARM_SHAPE,
  DG_SHAPE,
  evidenceProblem,
  fieldSpec,
  HOLD_NEEDS_REASON,
  isHoldReason,
  ownerOfSection,
  photoProblem,
  validators as V,
} from '@tally/manifest'
import type { Section, TallyErrorCode, TouchedOp } from '@tally/manifest'
import { CreatedValues, NOT_A_VALUE, scalar } from './created.ts'

/** Why a change was refused: FORBIDDEN (actor binding), FORBIDDEN_FIELD (authority) or INVALID. */
export type RefusalCode = Extract<TallyErrorCode, 'FORBIDDEN' | 'FORBIDDEN_FIELD' | 'INVALID'>

export interface Refusal {
  code: RefusalCode
  reason: string
  field?: string
}

/** What the rules need to know besides the change itself. */
export interface OpRules {
  /** Which sections the author may write. */
  mayWrite: (section: Section) => boolean
  /** Names the author's authority in messages: "the shore role". */
  authority: string
  /** The field a stored proposal (by object ID) proposes a value for. */
  proposalField: (objId: string) => string | undefined
  /** The author's principal ID: a photo or a signed fact must name its own author. */
  principal?: string
}

type Op = A.DecodedChange['ops'][number] & { insert?: boolean; elemId?: string }

const SECTIONS: ReadonlySet<string> = new Set([
  'cargo',
  'customs',
  'physical',
  'reefer',
  'notes',
  'proposals',
  'photos',
  'evidence',
])
/** Nested objects whose keys may be edited in place, and the lists whose items may. */
const MAP_SHAPES: Record<string, Record<string, V.Validator>> = {
  'cargo.dg': DG_SHAPE,
  'reefer.alarm': ALARM_SHAPE,
}
const LIST_ITEMS: Record<string, V.Validator> = { 'customs.hsCodes': V.hsCode }
/** The keys of a stored proposal that its resolution sets. */
const RESOLUTION: Record<string, V.Validator> = {
  status: V.oneOf(['ACCEPTED', 'DECLINED'] as const),
  resolvedBy: V.string(200, /\S/, 'must name who resolved it'),
  resolvedAt: V.isoTime,
}
const TEXT_ACTIONS = new Set(['set', 'del', 'mark', 'unmark'])

const invalid = (field: string | undefined, reason: string): Refusal => ({
  code: 'INVALID',
  reason: field ? `${field}: ${reason}` : reason,
  ...(field ? { field } : {}),
})
const forbidden = (field: string, reason: string): Refusal => ({ code: 'FORBIDDEN_FIELD', reason, field })

/** The catalog field a path falls under, or the path itself (without list markers) when unknown. */
function fieldName(t: TouchedOp): string {
  // touchedOps already names catalogued fields; only unknown keys need the path spelled out.
  if (t.field !== undefined && (t.field.includes('.') || fieldSpec(t.field)?.path === t.field)) return t.field
  const path = t.path!
  const logical = path.filter((p) => p !== '*')
  const spec = fieldSpec(logical.join('.'))
  return spec && spec.path.includes('.') ? spec.path : logical.slice(0, 2).join('.')
}

/** The first op of `change` that the author may not write or that writes a bad value, or null. */
export function checkOps(
  change: A.DecodedChange,
  touched: TouchedOp[],
  rules: OpRules,
  created: CreatedValues = new CreatedValues(change),
): Refusal | null {
  const ops = change.ops as Op[]
  for (let i = 0; i < ops.length; i++) {
    const refusal = checkOp(ops[i]!, touched[i]!, i, created, rules)
    if (refusal) return refusal
  }
  return holdWithoutReason(ops, touched)
}

/**
 * A change that leaves customs.status HELD also sets a hold reason ({@link HOLD_NEEDS_REASON}). The
 * last write of each field counts: resolving a conflict writes another value on the way.
 */
function holdWithoutReason(ops: Op[], touched: TouchedOp[]): Refusal | null {
  let holds = false
  let reason = false
  for (let i = 0; i < ops.length; i++) {
    const t = touched[i]!
    if (t.path?.length !== 2 || t.path[0] !== 'customs' || ops[i]!.action !== 'set') continue
    if (t.path[1] === 'status') holds = scalar(ops[i]!) === 'HELD'
    if (t.path[1] === 'holdReason') reason = isHoldReason(scalar(ops[i]!))
  }
  return holds && !reason ? invalid(HOLD_NEEDS_REASON.field, HOLD_NEEDS_REASON.message) : null
}

function checkOp(op: Op, t: TouchedOp, i: number, created: CreatedValues, rules: OpRules): Refusal | null {
  if (!t.path)
    return invalid(undefined, `unknown object ${op.obj}: the change is out of causal order or forged`)
  if (t.path.length === 1) {
    const key = t.key ?? t.path[0]!
    return forbidden(key, `${key} is written only by the change that creates the container`)
  }
  const section = t.path[0]!
  const field = fieldName(t)
  if (!SECTIONS.has(section)) return invalid(field, 'is not a known field')
  if (!rules.mayWrite(section as Section))
    return forbidden(
      field,
      `${field} is owned by ${owners(section as Section)}; ${rules.authority} cannot write it`,
    )
  if (section === 'notes') return checkNotes(op, t)
  if (section === 'proposals') return checkProposal(op, t, i, created, rules)
  if (section === 'photos' || section === 'evidence')
    return checkAppendOnly(section, op, t, i, created, rules)
  if (field === 'reefer.readings') return checkReading(op, t, i, created)
  if (t.path.length === 2) return checkField(op, field, i, created)
  return checkNested(op, t, field, created)
}

function owners(section: Section): string {
  const owner = ownerOfSection(section)
  return owner === 'both' ? 'vessel and shore' : owner
}

/**
 * The refusal of a plain string where a scalar string belongs. Automerge 3 stores a plain JS string
 * as collaborative text (one op per character); Tally's scalar fields hold ImmutableString, so a
 * stock client that assigns a string gets this, which says exactly how to write it instead.
 */
export function plainStringProblem(field: string): string {
  const [section, ...rest] = field.split('.')
  const target = rest.length > 0 ? `d.${section}.${rest.join('.')}` : `d.${section}`
  return (
    'was written as a plain string, which Automerge stores as collaborative text; scalar strings in Tally ' +
    `documents are ImmutableString: write ${target} = new ImmutableString("…") (import { ImmutableString } ` +
    'from "@automerge/automerge"); only notes is text'
  )
}

/** A write to a field of a section object: `physical.condition = "DAMAGED"`, `cargo.dg = {…}`. */
function checkField(op: Op, field: string, i: number, created: CreatedValues): Refusal | null {
  const spec = fieldSpec(field)
  if (!spec || spec.path !== field) return invalid(field, 'is not a known field')
  if (op.action === 'del') return invalid(field, 'a field is set to null, never deleted')
  let value: unknown
  if (op.action === 'set') value = scalar(op)
  else if (
    (op.action === 'makeMap' && spec.type === 'object') ||
    (op.action === 'makeList' && spec.type === 'list')
  )
    value = created.valueOf(created.opId(i))
  else if (op.action === 'makeText' && spec.type === 'string')
    return invalid(field, plainStringProblem(field))
  else return invalid(field, `must be ${spec.type === 'string' ? 'an immutable string' : `a ${spec.type}`}`)
  const problem = spec.validate(value)
  return problem
    ? invalid(field, problem.startsWith(field) ? problem.slice(field.length + 1) : problem)
    : null
}

/** An op inside a field's object or list: a new value being filled in, or an in-place edit. */
function checkNested(op: Op, t: TouchedOp, field: string, created: CreatedValues): Refusal | null {
  // Filling in an object this change creates: validated as a whole where it is attached.
  if (created.createdHere(op.obj)) return null
  if (t.path!.length !== 3) return invalid(field, 'is not a known field')
  const shape = MAP_SHAPES[field]
  if (shape) {
    const key = op.key
    if (key === undefined || !(key in shape)) return invalid(`${field}.${key ?? '*'}`, 'is not a known field')
    if (op.action === 'makeText') return invalid(`${field}.${key}`, plainStringProblem(`${field}.${key}`))
    if (op.action !== 'set') return invalid(`${field}.${key}`, 'must be set to a value, never deleted')
    const problem = shape[key]!(scalar(op))
    return problem ? invalid(`${field}.${key}`, problem) : null
  }
  const item = LIST_ITEMS[field]
  if (item) {
    if (op.action === 'del') return null
    if (op.action !== 'set') return invalid(field, 'items must be plain values')
    const problem = item(scalar(op))
    return problem ? invalid(field, `item ${problem}`) : null
  }
  return invalid(field, 'is not a known field')
}

/** Readings are append-only: a new reading may be inserted and filled in, never edited or removed. */
function checkReading(op: Op, t: TouchedOp, i: number, created: CreatedValues): Refusal | null {
  const field = 'reefer.readings'
  if (t.path!.length === 2)
    return forbidden(field, 'reefer.readings is append-only; the list cannot be replaced or removed')
  if (t.path!.length === 3) {
    // An op on the readings list itself.
    if (op.action === 'del' || !op.insert)
      return forbidden(
        field,
        'reefer.readings is append-only; a stored reading cannot be removed or replaced',
      )
    if (op.action !== 'makeMap') return invalid(field, 'a reading must be an object {at, supplyC, returnC}')
    const problem = fieldSpec(field)!.validate(created.valueOf(created.opId(i)))
    if (!problem) return null
    const key = /^reading\.(\w+)/.exec(problem)?.[1]
    return invalid(key ? `${field}.${key}` : field, problem)
  }
  if (!created.createdHere(op.obj))
    return forbidden(field, 'reefer.readings is append-only; a stored reading cannot be edited')
  return null
}

function checkNotes(op: Op, t: TouchedOp): Refusal | null {
  if (t.path!.length !== 2 || !TEXT_ACTIONS.has(op.action))
    return invalid('notes', 'only text edits are allowed')
  if (op.action === 'set' && typeof op.value !== 'string') return invalid('notes', 'must be text')
  return null
}

/** Proposals are append-only; a stored one only takes its resolution, from the field's owner. */
function checkProposal(
  op: Op,
  t: TouchedOp,
  i: number,
  created: CreatedValues,
  rules: OpRules,
): Refusal | null {
  const depth = t.path!.length
  if (depth === 2) {
    // An op on the proposals list itself.
    if (op.action !== 'makeMap' || !op.insert)
      return forbidden(
        'proposals',
        'proposals are append-only; a stored proposal cannot be removed or replaced',
      )
    return proposalProblem(created.valueOf(created.opId(i)), rules)
  }
  if (created.createdHere(op.obj)) return null
  const key = op.key
  if (depth !== 3 || op.action !== 'set' || key === undefined || !(key in RESOLUTION))
    return forbidden('proposals', 'only status, resolvedBy and resolvedAt of a stored proposal may change')
  const proposed = rules.proposalField(op.obj)
  const spec = proposed === undefined ? undefined : fieldSpec(proposed)
  if (!spec) return invalid('proposals', `unknown proposal ${op.obj}`)
  if (!rules.mayWrite(spec.section))
    return forbidden(
      spec.path,
      `only the owner of ${spec.path} (${owners(spec.section)}) may resolve its proposals`,
    )
  const problem = RESOLUTION[key]!(scalar(op))
  return problem ? invalid(`proposal.${key}`, problem) : null
}

const PROPOSAL: Record<string, V.Validator> = {
  id: V.string(100, /\S/, 'must not be empty'),
  at: V.isoTime,
  by: V.string(200, /\S/, 'must name the proposer'),
  field: V.string(100),
  value: V.anything,
  reason: V.nullable(V.string(V.MAX_TEXT_LENGTH)),
  status: V.oneOf(['OPEN'] as const),
  resolvedBy: V.fromSchema(z.null({ error: 'must be null for a new proposal' })),
  resolvedAt: V.fromSchema(z.null({ error: 'must be null for a new proposal' })),
}

/** A new proposal: the catalog shape, a field the author's side does not own, and a valid value. */
function proposalProblem(value: unknown, rules: OpRules): Refusal | null {
  if (value === NOT_A_VALUE || typeof value !== 'object' || value === null || Array.isArray(value))
    return invalid('proposals', 'a proposal must be an object')
  const p = value as Record<string, unknown>
  for (const key of Object.keys(p))
    if (!(key in PROPOSAL)) return invalid(`proposal.${key}`, 'is not a known field')
  for (const [key, check] of Object.entries(PROPOSAL)) {
    const problem = check(p[key] ?? null)
    if (problem) return invalid(`proposal.${key}`, problem)
  }
  const spec = fieldSpec(p.field as string)
  if (
    !spec ||
    spec.path !== p.field ||
    spec.owner === 'fixed' ||
    spec.owner === 'both' ||
    spec.path === 'reefer.readings'
  )
    return invalid('proposal.field', 'must name a cargo, customs, physical or reefer field')
  if (rules.mayWrite(spec.section)) return invalid('proposal.field', `${spec.path} is yours to edit directly`)
  const problem = spec.validate(p.value ?? null)
  return problem ? invalid('proposal.value', `${spec.path} ${problem}`) : null
}

/**
 * Photos and evidence are append-only, and each entry names its author: a side appends only its own
 * photos, and only the vessel records evidence (docs/photos.md). A new entry is checked whole.
 */
function checkAppendOnly(
  section: 'photos' | 'evidence',
  op: Op,
  t: TouchedOp,
  i: number,
  created: CreatedValues,
  rules: OpRules,
): Refusal | null {
  if (t.path!.length === 2) {
    if (op.action !== 'makeMap' || !op.insert)
      return forbidden(section, `${section} are append-only; a stored entry cannot be removed or replaced`)
    const value = created.valueOf(created.opId(i))
    const found =
      section === 'photos' ? photoProblem(value, rules.principal) : evidenceProblem(value, rules.principal)
    if (!found) return null
    return found.field.endsWith('.by')
      ? forbidden(found.field, found.problem)
      : invalid(found.field, found.problem)
  }
  if (!created.createdHere(op.obj))
    return forbidden(section, `${section} are append-only; a stored entry cannot be edited`)
  return null
}
