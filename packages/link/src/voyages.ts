/**
 * Voyage records on the link: the relay puts the voyages a vessel lacks (port calls, open or closed)
 * in its welcome frame, brotli(CBOR); the vessel says in its hello which version it holds, so an idle
 * session carries none. Records come from the relay, but are checked like any inbound data.
 */
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib'
import { checkPortCalls, validators as V } from '@tally/manifest'
import type { VoyageRecord } from '@tally/manifest'
import { decodeValue, encodeValue, MAX_VOYAGES_BYTES } from './codec.ts'

/** A voyage record with the relay's version number for it. */
export { MAX_VOYAGES_BYTES }

export type VersionedVoyage = VoyageRecord & { version: number }

const MAX_DECODED_BYTES = 1024 * 1024

export function encodeVoyages(voyages: VersionedVoyage[]): Uint8Array {
  const rows = voyages.map((v) => [
    v.voyage,
    v.status,
    v.portCalls.map((c) => [c.locode, c.eta, c.ata, c.atd]),
    v.createdAt,
    v.closedAt,
    v.version,
  ])
  return brotliCompressSync(encodeValue(rows), { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } })
}

/** Decodes and validates voyage records for `vessel`; throws an Error naming the problem. */
export function decodeVoyages(data: Uint8Array, vessel: string): VersionedVoyage[] {
  const rows = decodeValue(brotliDecompressSync(data, { maxOutputLength: MAX_DECODED_BYTES }))
  if (!Array.isArray(rows)) throw new Error('voyages: not a list')
  return rows.map((row, i) => {
    if (!Array.isArray(row) || row.length !== 6) throw new Error(`voyages[${i}]: malformed`)
    const [voyage, status, calls, createdAt, closedAt, version] = row as unknown[]
    const bad =
      V.string(10, /^[A-Z0-9]{1,10}$/)(voyage) ??
      V.oneOf(['OPEN', 'CLOSED'] as const)(status) ??
      V.isoTime(createdAt) ??
      (closedAt === null ? null : V.isoTime(closedAt)) ??
      (Number.isSafeInteger(version) && (version as number) > 0 ? null : 'version must be a positive integer')
    if (bad) throw new Error(`voyages[${i}]: ${bad}`)
    if (!Array.isArray(calls)) throw new Error(`voyages[${i}]: port calls must be a list`)
    const portCalls = checkPortCalls(
      calls.map((c) => (Array.isArray(c) ? { locode: c[0], eta: c[1], ata: c[2], atd: c[3] } : c)),
    )
    return {
      vessel,
      voyage: voyage as string,
      status: status as 'OPEN' | 'CLOSED',
      portCalls,
      createdAt: createdAt as string,
      closedAt: closedAt as string | null,
      version: version as number,
    }
  })
}
