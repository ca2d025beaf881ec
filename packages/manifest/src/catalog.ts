/**
 * The field catalog: for every field of the container document, its section, owner, validation and
 * priority class. Authority (packages/policy), the link's priority order (packages/link), the REST
 * validation and the UIs' read-only markers all read this one table.
 */
import { z } from 'zod'
import * as V from './validators.ts'
import type { EditableSection } from './schema.ts'
import type { Validator } from './validators.ts'

export type Section =
  'identity' | 'cargo' | 'customs' | 'physical' | 'reefer' | 'notes' | 'proposals' | 'photos' | 'evidence'
/** Which side may write a section: fixed fields are written once, by the genesis change. */
export type Owner = 'fixed' | 'shore' | 'vessel' | 'both'
export type PriorityClass = 'critical' | 'normal' | 'routine'
export type ShoreRole = 'shore' | 'customs' | 'ops'
export type Role = ShoreRole | 'vessel'

export const PRIORITY_ORDER: readonly PriorityClass[] = ['critical', 'normal', 'routine']

export interface FieldSpec {
  /** Dotted path inside the document, e.g. `physical.condition`. */
  path: string
  section: Section
  owner: Owner
  type: 'string' | 'number' | 'boolean' | 'object' | 'list' | 'text'
  validate: Validator
  /** The priority class of a write of `value` to this field. */
  priorityOf: (value: unknown) => PriorityClass
  label: string
}

const normal = (): PriorityClass => 'normal'
const criticalWhen =
  (test: (value: unknown) => boolean) =>
  (value: unknown): PriorityClass =>
    test(value) ? 'critical' : 'normal'

function field(
  path: string,
  owner: Owner,
  type: FieldSpec['type'],
  validate: Validator,
  label: string,
  priorityOf: FieldSpec['priorityOf'] = normal,
): FieldSpec {
  const section = (owner === 'fixed' ? 'identity' : path.split('.')[0]) as Section
  return { path, section, owner, type, validate, priorityOf, label }
}

const text = V.string(V.MAX_TEXT_LENGTH)
const optText = V.nullable(text)

export const DG_SHAPE = {
  unNumber: V.unNumber,
  imoClass: V.imoClass,
  packingGroup: V.nullable(V.oneOf(['1', '2', '3'] as const)),
}
export const ALARM_SHAPE = {
  code: V.string(20, /^[A-Z0-9_-]{1,20}$/i, 'must be an alarm code such as HIGH_TEMP'),
  at: V.isoTime,
  note: optText,
}
export const READING_SHAPE = { at: V.isoTime, supplyC: V.airTemperatureC, returnC: V.airTemperatureC }

export const CUSTOMS_STATUSES = ['PENDING', 'HELD', 'RELEASED', 'INSPECTION'] as const
export const PHYSICAL_STATES = ['PLANNED', 'LOADED', 'ON_BOARD', 'DISCHARGED', 'SHORT_SHIPPED'] as const
export const CONDITIONS = ['OK', 'DAMAGED'] as const

export const FIELDS: readonly FieldSpec[] = [
  field('containerId', 'fixed', 'string', V.containerId, 'Container number'),
  field(
    'vessel',
    'fixed',
    'string',
    V.string(10, /^IMO\d{7}$/, 'must be IMO followed by 7 digits'),
    'Vessel',
  ),
  field(
    'voyage',
    'fixed',
    'string',
    V.string(10, /^[A-Z0-9]{1,10}$/, 'must be 1–10 letters or digits'),
    'Voyage',
  ),
  field('isoType', 'fixed', 'string', V.isoSizeType, 'ISO size-type'),

  field('cargo.booking', 'shore', 'string', V.nullable(V.string(35)), 'Booking'),
  field('cargo.billOfLading', 'shore', 'string', V.nullable(V.string(20)), 'Bill of lading'),
  field('cargo.shipper', 'shore', 'string', optText, 'Shipper'),
  field('cargo.consignee', 'shore', 'string', optText, 'Consignee'),
  field('cargo.pol', 'shore', 'string', V.nullable(V.unLocode), 'Port of loading'),
  field('cargo.pod', 'shore', 'string', V.nullable(V.unLocode), 'Port of discharge'),
  field('cargo.vgmKg', 'shore', 'number', V.nullable(V.number(1, 60_000, ' kg')), 'VGM (kg)'),
  field('cargo.declaredSeal', 'shore', 'string', V.nullable(V.sealNumber), 'Declared seal'),
  field('cargo.dg', 'shore', 'object', V.nullable(V.objectOf(DG_SHAPE, 'cargo.dg')), 'Dangerous goods'),
  field('cargo.reeferSetpointC', 'shore', 'number', V.nullable(V.setpointC), 'Ordered set point (°C)'),

  field(
    'customs.status',
    'shore',
    'string',
    V.oneOf(CUSTOMS_STATUSES),
    'Customs status',
    criticalWhen((v) => v === 'HELD'),
  ),
  field('customs.declaration', 'shore', 'string', V.nullable(V.string(35)), 'Declaration'),
  field('customs.hsCodes', 'shore', 'list', V.listOf(V.hsCode, 20), 'HS codes'),
  field('customs.holdReason', 'shore', 'string', optText, 'Hold reason'),

  field('physical.state', 'vessel', 'string', V.oneOf(PHYSICAL_STATES), 'State'),
  field('physical.stowage', 'vessel', 'string', V.nullable(V.stowage), 'Stowage'),
  field(
    'physical.condition',
    'vessel',
    'string',
    V.oneOf(CONDITIONS),
    'Condition',
    criticalWhen((v) => v === 'DAMAGED'),
  ),
  field('physical.damage', 'vessel', 'string', optText, 'Damage'),
  field(
    'physical.sealIntact',
    'vessel',
    'boolean',
    V.boolean,
    'Seal intact',
    criticalWhen((v) => v === false),
  ),
  field('physical.observedSeal', 'vessel', 'string', V.nullable(V.sealNumber), 'Observed seal'),
  field('physical.lashingCheckedAt', 'vessel', 'string', V.nullable(V.isoTime), 'Lashing checked'),
  // Not in the genesis (which must stay byte-identical across releases): written with DISCHARGED.
  field('physical.dischargedAt', 'vessel', 'string', V.nullable(V.isoTime), 'Discharged at'),
  field('physical.dischargePort', 'vessel', 'string', V.nullable(V.unLocode), 'Discharged in'),
  field('physical.lastInspectedAt', 'vessel', 'string', V.nullable(V.isoTime), 'Last inspected'),
  field(
    'physical.dgIncident',
    'vessel',
    'string',
    optText,
    'DG incident',
    criticalWhen((v) => v !== null && v !== undefined),
  ),

  field(
    'reefer.actualSetpointC',
    'vessel',
    'number',
    V.nullable(V.setpointC),
    'Set point on controller (°C)',
  ),
  field(
    'reefer.alarm',
    'vessel',
    'object',
    V.nullable(V.objectOf(ALARM_SHAPE, 'reefer.alarm')),
    'Reefer alarm',
    criticalWhen((v) => v !== null && v !== undefined),
  ),
  field(
    'reefer.readings',
    'vessel',
    'list',
    V.objectOf(READING_SHAPE, 'reading'),
    'Readings',
    () => 'routine',
  ),

  field('notes', 'both', 'text', V.string(100_000), 'Notes'),
  field('proposals', 'both', 'list', V.anything, 'Proposals'),
  // A photo travels with the damage report it documents, and a signed fact with the fact: both are
  // critical, so the first window carries them (docs/photos.md).
  // A photo entry is critical; creating the empty list (the appendix, written with a document's
  // first photo or evidence entry) is not, or every first seal check would start a round at once.
  field('photos', 'both', 'list', V.anything, 'Photos', (v) =>
    Array.isArray(v) && v.length === 0 ? 'normal' : 'critical',
  ),
  field('evidence', 'vessel', 'list', V.anything, 'Evidence', () => 'critical'),
]

/**
 * Rules that tie one field to another, judged on one edit (one change) because that is what every
 * ingest path sees: REST plans, `/sync` and the link validate change by change.
 */
export const HOLD_NEEDS_REASON = {
  field: 'customs.holdReason',
  message: 'is required with customs status HELD (a hold needs a reason, given in the same edit)',
} as const

/** True for a hold reason worth the name: a string with something in it. */
export const isHoldReason = (v: unknown): boolean => typeof v === 'string' && v.trim().length > 0

/**
 * The zod object of one section as a partial view writes it: every catalogued field optional,
 * unknown keys refused by name. Built from the catalog's own validators, so the OpenAPI
 * description of a body and the checks policy runs on it are the same schemas.
 */
export function sectionSchema(section: EditableSection): z.ZodObject {
  let schema = SECTION_SCHEMAS.get(section)
  if (schema) return schema
  const fields = FIELDS.filter((f) => f.section === section && f.owner !== 'fixed').map((f) => {
    const key = f.path.slice(section.length + 1)
    // The catalog checks readings one at a time (they are appended); the view holds the list.
    const schema = f.path === 'reefer.readings' ? z.array(f.validate.schema) : f.validate.schema
    return [key, schema.optional().meta({ description: f.label })] as const
  })
  // One instance per section: a schema's OpenAPI id may be registered only once.
  schema = z
    .strictObject(Object.fromEntries(fields))
    .meta({ id: `${section[0]!.toUpperCase()}${section.slice(1)}Patch` })
  SECTION_SCHEMAS.set(section, schema)
  return schema
}
const SECTION_SCHEMAS = new Map<EditableSection, z.ZodObject>()

const BY_PATH = new Map(FIELDS.map((f) => [f.path, f]))

/** The catalog entry for a dotted path, or the entry of its nearest catalogued ancestor. */
export function fieldSpec(path: string): FieldSpec | undefined {
  for (let p = path; p; p = p.slice(0, Math.max(0, p.lastIndexOf('.')))) {
    const spec = BY_PATH.get(p)
    if (spec) return spec
    if (!p.includes('.')) break
  }
  return undefined
}

/** The section a dotted path belongs to (identity for the fixed fields). */
export function sectionOf(path: string): Section | undefined {
  return fieldSpec(path)?.section
}

/** Which roles write which sections. Ops watch the fleet; they do not edit containers. */
const ROLE_SECTIONS: Record<Role, readonly Section[]> = {
  vessel: ['physical', 'reefer', 'notes', 'proposals', 'photos', 'evidence'],
  shore: ['cargo', 'customs', 'notes', 'proposals', 'photos'],
  customs: ['customs', 'notes', 'proposals', 'photos'],
  ops: [],
}

export function roleMayWrite(role: Role, section: Section): boolean {
  return ROLE_SECTIONS[role].includes(section)
}

/** The side that owns a section, for read-only labels ("owned by shore"). */
export function ownerOfSection(section: Section): Owner {
  if (section === 'identity') return 'fixed'
  if (section === 'cargo' || section === 'customs') return 'shore'
  if (section === 'physical' || section === 'reefer' || section === 'evidence') return 'vessel'
  return 'both'
}

export function isReeferType(isoType: string): boolean {
  return /^..R/.test(isoType)
}
