/**
 * The opaque `cursor` of `GET /dcsa/tnt/v2/events`: where the previous page stopped (an event
 * sequence number), the page size and the filters, Base64url JSON. A cursor carries its query, so
 * following `Next-Page` needs nothing else, and a page never skips or repeats an event.
 */
import { z } from 'zod'
import { invalid } from '@tally/manifest'
import type { DcsaEventFilter } from '@tally/storage-sqlite'

const stringList = z.array(z.string().max(40)).max(20)
const cursorSchema = z.object({
  v: z.literal(1),
  after: z.number().int().min(0),
  limit: z.number().int().min(1),
  filter: z.object({
    eventType: z.array(z.enum(['SHIPMENT', 'TRANSPORT', 'EQUIPMENT'])).optional(),
    typeCodesByEventType: z
      .partialRecord(z.enum(['SHIPMENT', 'TRANSPORT', 'EQUIPMENT']), stringList)
      .optional(),
    documentTypeCode: stringList.optional(),
    equipmentReference: z.string().max(15).optional(),
    vessel: z.string().max(10).optional(),
    carrierBookingReference: z.string().max(35).optional(),
    transportDocumentReference: z.string().max(20).optional(),
    createdAt: z.partialRecord(z.enum(['gte', 'gt', 'lte', 'lt', 'eq']), z.string().max(40)).optional(),
  }),
})

export interface EventCursor {
  after: number
  limit: number
  filter: DcsaEventFilter
}

export function encodeCursor(c: EventCursor): string {
  return Buffer.from(JSON.stringify({ v: 1, ...c }), 'utf8').toString('base64url')
}

export function decodeCursor(text: string): EventCursor {
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
  } catch {
    throw invalid('cursor', 'is not a cursor this relay issued (take it from the Next-Page header)')
  }
  const parsed = cursorSchema.safeParse(json)
  if (!parsed.success)
    throw invalid('cursor', 'is not a cursor this relay issued (take it from the Next-Page header)')
  const { after, limit, filter } = parsed.data
  return { after, limit, filter: filter as DcsaEventFilter }
}
