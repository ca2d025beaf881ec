/**
 * DCSA's published Track & Trace 2.2.0 OpenAPI description (test/fixtures/dcsa, Apache 2.0) as JSON
 * Schema validators, with ajv and ajv-formats: events are checked against DCSA's own schemas, not a
 * copy of them.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Ajv } from 'ajv'
import type { ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { parse } from 'yaml'
import { REPO_ROOT } from './helpers.ts'

const SPEC = path.join(REPO_ROOT, 'test/fixtures/dcsa/tnt_v2.2.0.yaml')

// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => Ajv

let validators: Record<'EQUIPMENT' | 'SHIPMENT' | 'TRANSPORT', ValidateFunction> | undefined

/** Validators for `equipmentEvent`, `shipmentEvent` and `transportEvent`, keyed by `eventType`. */
export function dcsaEventValidators(): Record<'EQUIPMENT' | 'SHIPMENT' | 'TRANSPORT', ValidateFunction> {
  if (validators) return validators
  const spec = parse(fs.readFileSync(SPEC, 'utf8')) as { openapi: string }
  if (spec.openapi !== '3.0.3') throw new Error(`unexpected DCSA spec version ${spec.openapi}`)
  // OpenAPI 3.0 schemas carry keywords JSON Schema does not know (example, discriminator, ...):
  // strict mode off ignores those, while types, enums, formats, lengths and `required` all apply.
  const ajv = new Ajv({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addSchema(spec, 'tnt')
  const get = (name: string) => {
    const v = ajv.getSchema(`tnt#/components/schemas/${name}`)
    if (!v) throw new Error(`no schema ${name} in the DCSA spec`)
    return v
  }
  validators = {
    EQUIPMENT: get('equipmentEvent'),
    SHIPMENT: get('shipmentEvent'),
    TRANSPORT: get('transportEvent'),
  }
  return validators
}

/** The problems of one event against its DCSA schema, or [] when it validates. */
export function dcsaProblems(event: { eventType?: string }): string[] {
  const v = dcsaEventValidators()[event.eventType as 'EQUIPMENT']
  if (!v) return [`eventType ${String(event.eventType)} is not EQUIPMENT, SHIPMENT or TRANSPORT`]
  if (v(event)) return []
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
}
