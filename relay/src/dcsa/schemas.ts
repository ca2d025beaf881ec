/**
 * Requests of the DCSA endpoints, as zod schemas: they validate every request and describe it in
 * `/api/openapi.json`, so the two cannot drift. Names and formats follow DCSA Track & Trace 2.2.
 */
import { z } from 'zod'
import type { DcsaEventFilter, DcsaEventType } from '@tally/storage-sqlite'

export const EVENT_TYPES = ['SHIPMENT', 'TRANSPORT', 'EQUIPMENT'] as const
export const EQUIPMENT_EVENT_TYPE_CODES = [
  'LOAD',
  'DISC',
  'GTIN',
  'GTOT',
  'STUF',
  'STRP',
  'PICK',
  'DROP',
  'INSP',
  'RSEA',
  'RMVD',
] as const
export const SHIPMENT_EVENT_TYPE_CODES = [
  'RECE',
  'DRFT',
  'PENA',
  'PENU',
  'REJE',
  'APPR',
  'ISSU',
  'SURR',
  'SUBM',
  'VOID',
  'CONF',
  'REQS',
  'CMPL',
  'HOLD',
  'RELS',
] as const
export const TRANSPORT_EVENT_TYPE_CODES = ['ARRI', 'DEPA'] as const
export const DOCUMENT_TYPE_CODES = [
  'CBR',
  'BKG',
  'SHI',
  'SRM',
  'TRD',
  'ARN',
  'VGM',
  'CAS',
  'CUS',
  'DGD',
  'OOG',
] as const

/** Default and largest page of `GET /dcsa/tnt/v2/events`. */
export const DEFAULT_EVENT_LIMIT = 100
export const MAX_EVENT_LIMIT = 1000

/** A comma-separated list of codes, as DCSA query parameters take them (`LOAD,DISC`). */
const codeList = <T extends string>(values: readonly [T, ...T[]], what: string) =>
  z
    .string()
    .max(200)
    .refine((s) => s.split(',').every((v) => (values as readonly string[]).includes(v.trim())), {
      error: `must be ${what}: one or more of ${values.join(', ')}, comma-separated`,
    })
    .meta({ description: `One or more of ${values.join(', ')}, comma-separated (OR).` })

const split = (s: string | undefined): string[] | undefined =>
  s === undefined ? undefined : s.split(',').map((v) => v.trim())

/**
 * An ISO 8601 date-time with an offset. A `+` that arrived unencoded in the URL reads as a space;
 * it is put back, since no date-time has a space there.
 */
const dateTime = z
  .string()
  .max(40)
  .transform((s) => s.replace(/^(\S+T[\d:.]+) (\d{2}:?\d{2})$/, '$1+$2'))
  .refine(
    (s) =>
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(s) &&
      !Number.isNaN(Date.parse(s)),
    {
      error: 'must be an ISO 8601 date-time with a zone, e.g. 2026-11-01T06:00:00Z',
    },
  )
  .transform((s) => new Date(s).toISOString())
  .meta({ description: 'ISO 8601 date-time, e.g. 2026-11-01T06:00:00Z' })

/** The query of `GET /dcsa/tnt/v2/events`. Unknown parameters are refused, by name. */
export const eventsQuerySchema = z
  .strictObject({
    eventType: codeList(EVENT_TYPES, 'event types').optional(),
    equipmentEventTypeCode: codeList(EQUIPMENT_EVENT_TYPE_CODES, 'equipment event codes').optional(),
    shipmentEventTypeCode: codeList(SHIPMENT_EVENT_TYPE_CODES, 'shipment event codes').optional(),
    transportEventTypeCode: codeList(TRANSPORT_EVENT_TYPE_CODES, 'transport event codes').optional(),
    documentTypeCode: codeList(DOCUMENT_TYPE_CODES, 'document type codes').optional(),
    equipmentReference: z
      .string()
      .min(1)
      .max(15)
      .optional()
      .meta({ description: 'ISO 6346 container number' }),
    vesselIMONumber: z
      .string()
      .regex(/^(IMO)?\d{7}$/, { error: 'must be a 7-digit IMO number, e.g. 9811000' })
      .optional(),
    carrierBookingReference: z.string().min(1).max(35).optional(),
    transportDocumentReference: z.string().min(1).max(20).optional(),
    eventCreatedDateTime: dateTime.optional(),
    'eventCreatedDateTime:gte': dateTime.optional(),
    'eventCreatedDateTime:gt': dateTime.optional(),
    'eventCreatedDateTime:lte': dateTime.optional(),
    'eventCreatedDateTime:lt': dateTime.optional(),
    'eventCreatedDateTime:eq': dateTime.optional(),
    limit: z
      .string()
      .regex(/^\d{1,9}$/, { error: 'must be a positive integer' })
      .transform(Number)
      .refine((n) => n >= 1, { error: 'must be at least 1' })
      .optional()
      .meta({
        description: `Page size; default ${DEFAULT_EVENT_LIMIT}, at most ${MAX_EVENT_LIMIT} (larger is capped).`,
      }),
    cursor: z.string().max(4000).optional().meta({
      description:
        'The opaque value of a Next-Page link; it carries the filters, which need not be repeated.',
    }),
    // DCSA lists `sort`; the feed has one order, the order in which the relay admitted the facts.
    sort: z.string().max(200).optional(),
  })
  .meta({ id: 'DcsaEventsQuery' })

export type EventsQuery = z.output<typeof eventsQuerySchema>

/** The store's filter for a parsed query. */
export function eventFilterOf(q: {
  [K in keyof EventsQuery]?: EventsQuery[K]
}): DcsaEventFilter {
  const byType: Partial<Record<DcsaEventType, string[]>> = {}
  if (q.equipmentEventTypeCode) byType.EQUIPMENT = split(q.equipmentEventTypeCode)
  if (q.shipmentEventTypeCode) byType.SHIPMENT = split(q.shipmentEventTypeCode)
  if (q.transportEventTypeCode) byType.TRANSPORT = split(q.transportEventTypeCode)
  const types = new Set<DcsaEventType>(split(q.eventType) as DcsaEventType[] | undefined)
  // DCSA: a code filter of one event type limits the feed to that type, unless eventType says more.
  if (types.size === 0) for (const t of Object.keys(byType) as DcsaEventType[]) types.add(t)
  const createdAt: DcsaEventFilter['createdAt'] = {}
  if (q.eventCreatedDateTime) createdAt.eq = q.eventCreatedDateTime
  for (const op of ['gte', 'gt', 'lte', 'lt', 'eq'] as const) {
    const v = q[`eventCreatedDateTime:${op}`]
    if (v) createdAt[op] = v
  }
  return {
    ...(types.size > 0 ? { eventType: [...types] } : {}),
    ...(Object.keys(byType).length > 0 ? { typeCodesByEventType: byType } : {}),
    ...(q.documentTypeCode ? { documentTypeCode: split(q.documentTypeCode) } : {}),
    ...(q.equipmentReference ? { equipmentReference: q.equipmentReference.toUpperCase() } : {}),
    ...(q.vesselIMONumber ? { vessel: `IMO${q.vesselIMONumber.replace(/^IMO/, '')}` } : {}),
    ...(q.carrierBookingReference ? { carrierBookingReference: q.carrierBookingReference } : {}),
    ...(q.transportDocumentReference ? { transportDocumentReference: q.transportDocumentReference } : {}),
    ...(Object.keys(createdAt).length > 0 ? { createdAt } : {}),
  }
}

/** Subscription filters: the DCSA subscription body's filter fields, as arrays where DCSA has lists. */
const codes = <T extends string>(values: readonly [T, ...T[]]) => z.array(z.enum(values)).max(values.length)
export const subscriptionFiltersSchema = z
  .strictObject({
    eventType: codes(EVENT_TYPES).optional(),
    equipmentEventTypeCode: codes(EQUIPMENT_EVENT_TYPE_CODES).optional(),
    shipmentEventTypeCode: codes(SHIPMENT_EVENT_TYPE_CODES).optional(),
    transportEventTypeCode: codes(TRANSPORT_EVENT_TYPE_CODES).optional(),
    documentTypeCode: codes(DOCUMENT_TYPE_CODES).optional(),
    equipmentReference: z.string().min(1).max(15).optional(),
    vesselIMONumber: z
      .string()
      .regex(/^(IMO)?\d{7}$/, { error: 'must be a 7-digit IMO number, e.g. 9811000' })
      .optional(),
    carrierBookingReference: z.string().min(1).max(35).optional(),
    transportDocumentReference: z.string().min(1).max(20).optional(),
  })
  .meta({ id: 'DcsaSubscriptionFilters' })
export type SubscriptionFilters = z.output<typeof subscriptionFiltersSchema>

/** The store's filter for a subscription's filters. */
export function subscriptionFilterOf(f: SubscriptionFilters): DcsaEventFilter {
  const join = (v: string[] | undefined) => (v && v.length > 0 ? v.join(',') : undefined)
  return eventFilterOf({
    eventType: join(f.eventType),
    equipmentEventTypeCode: join(f.equipmentEventTypeCode),
    shipmentEventTypeCode: join(f.shipmentEventTypeCode),
    transportEventTypeCode: join(f.transportEventTypeCode),
    documentTypeCode: join(f.documentTypeCode),
    equipmentReference: f.equipmentReference,
    vesselIMONumber: f.vesselIMONumber,
    carrierBookingReference: f.carrierBookingReference,
    transportDocumentReference: f.transportDocumentReference,
  })
}

/** Shared secrets: Base64 of 32 to 256 random bytes (DCSA: a Base64-encoded shared secret). */
const secretSchema = z
  .string()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, { error: 'must be Base64 (the HMAC key is its decoded bytes)' })
  .refine((s) => Buffer.from(s, 'base64').length >= 32 && Buffer.from(s, 'base64').length <= 256, {
    error: 'must decode to 32–256 bytes',
  })
  .meta({ description: 'Base64 of 32–256 bytes; the HMAC-SHA256 key is the decoded bytes.' })

const callbackUrlSchema = z
  .string()
  .max(2000)
  .refine(
    (s) => {
      try {
        const u = new URL(s)
        return u.protocol === 'http:' || u.protocol === 'https:'
      } catch {
        return false
      }
    },
    { error: 'must be an absolute http(s) URL' },
  )

/**
 * `POST /dcsa/tnt/v2/event-subscriptions`: `{callbackUrl, secret, filters}`. DCSA's own form, with
 * the filter fields beside `callbackUrl`, is accepted too; both are merged.
 */
export const subscriptionBodySchema = subscriptionFiltersSchema
  .extend({
    callbackUrl: callbackUrlSchema,
    secret: secretSchema,
    filters: subscriptionFiltersSchema.optional(),
  })
  .meta({ id: 'DcsaSubscriptionRequest' })

export const subscriptionUpdateSchema = subscriptionFiltersSchema
  .extend({
    callbackUrl: callbackUrlSchema.optional(),
    filters: subscriptionFiltersSchema.optional(),
    subscriptionID: z.string().optional(),
  })
  .meta({ id: 'DcsaSubscriptionUpdate' })

export const secretBodySchema = z.strictObject({ secret: secretSchema }).meta({ id: 'DcsaSecretUpdate' })

/** A subscription as the API shows it: never its secret. */
export const subscriptionSchema = subscriptionFiltersSchema
  .extend({
    subscriptionID: z.string(),
    callbackUrl: z.string(),
    filters: subscriptionFiltersSchema,
    createdDateTime: z.string(),
    delivery: z.object({
      deliveredEvents: z.number(),
      lastDeliveredAt: z.string().nullable(),
      attempts: z.number(),
      nextAttemptAt: z.string().nullable(),
      failingSince: z.string().nullable(),
      lastError: z.string().nullable(),
    }),
  })
  .meta({ id: 'DcsaSubscription' })
