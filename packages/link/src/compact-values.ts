/**
 * Short values in compact entries (docs/protocol.md, "Short values"), on connections that agreed to
 * them. They address what brotli cannot shrink in a day of small edits:
 * - A reefer reading's temperatures are float64s such as -23.3, eight bytes of mantissa noise each
 *   in CBOR. Sent as the integer -233 with "one decimal" as the datatype, they are two bytes.
 * - A timestamp string such as a reading's `at` is usually the change's own time: sent as seconds
 *   from it, it is one byte.
 * - Typed text (notes) is one op per character. A run of characters typed one after the other goes
 *   as one op holding the string.
 * - A new map and its keys (a signed finding, a reading) are one op per key, each repeating the
 *   action, the map's ID and empty predecessors: with map runs, they go as one op.
 * The op's datatype slot says which form a value took: Automerge's datatypes are strings, so a
 * number there cannot be mistaken for one. Every short form is checked to give back exactly what it
 * replaced before it is used, and the entry's round trip is proven as a whole (compact.ts).
 */
import type { CompactOp } from './compact.ts'

/** Positions in a compact op (compact.ts, OP_FIELDS). */
const ACTION = 0
const OBJ = 1
const KEY = 2
const ELEM = 3
const INSERT = 4
const DATATYPE = 5
const VALUE = 6
const PRED = 7

/** Datatype codes: a float64 as an integer over 10^k (k = 0…6), and an ISO timestamp string. */
const MAX_DECIMALS = 6
const ISO_SECONDS = 10
const ISO_MILLIS = 11
/**
 * In a map run, an evidence entry's `id` that the receiver derives from the entry's other keys
 * (`e` in the hello and welcome; @tally/manifest, evidenceIdFor): sent as this code and null.
 */
const DERIVED_ID = 12
/** What derives a map's `id` from its keys and values, if the map is one that has such an ID. */
export type DeriveId = (values: Record<string, unknown>) => string | undefined
/** A run of typed characters: [TEXT_RUN, obj, elemId of the first, text]. */
const TEXT_RUN = 0

const ISO_S = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

/** The value a datatype code and a sent value stand for; `time` is the change's (seconds). */
function valueOf(code: number, sent: unknown, time: number): { datatype?: string; value: unknown } {
  if (!Number.isSafeInteger(sent)) throw new Error(`short value ${String(sent)} is not an integer`)
  const n = sent as number
  if (code >= 0 && code <= MAX_DECIMALS) return { datatype: 'float64', value: n / 10 ** code }
  if (code === ISO_SECONDS) return { value: new Date((time + n) * 1000).toISOString().replace('.000Z', 'Z') }
  if (code === ISO_MILLIS) return { value: new Date(time * 1000 + n).toISOString() }
  throw new Error(`unknown value code ${code}`)
}

/** The short form of a value, if it has one that gives it back exactly. */
function shortValue(datatype: unknown, value: unknown, time: number): [number, number] | undefined {
  const candidates: [number, number][] = []
  if (datatype === 'float64' && typeof value === 'number' && Number.isFinite(value))
    for (let k = 0; k <= MAX_DECIMALS; k++) {
      const n = Math.round(value * 10 ** k)
      if (Math.abs(n) > 2 ** 31) break
      if (n / 10 ** k === value) {
        candidates.push([k, n])
        break
      }
    }
  if (datatype === undefined && typeof value === 'string') {
    if (ISO_S.test(value)) candidates.push([ISO_SECONDS, Date.parse(value) / 1000 - time])
    else if (ISO_MS.test(value)) candidates.push([ISO_MILLIS, Date.parse(value) - time * 1000])
  }
  return candidates.find(([code, n]) => {
    // -0 would go as a CBOR float, no shorter than the value itself.
    if (!Number.isSafeInteger(n) || Object.is(n, -0)) return false
    const back = valueOf(code, n, time)
    return back.datatype === datatype && Object.is(back.value, value)
  })
}

/** A single-character insert into a list or text, with no datatype and no predecessors. */
function typedChar(op: CompactOp): string | undefined {
  const v = op[VALUE]
  const pred = op[PRED]
  const plain =
    op[ACTION] === 'set' &&
    op[KEY] === undefined &&
    op[INSERT] === true &&
    op[DATATYPE] === undefined &&
    typeof v === 'string' &&
    Array.isArray(pred) &&
    pred.length === 0 &&
    op.length === PRED + 1
  return plain && [...v].length === 1 ? v : undefined
}

/** `ref` is the short-form ID [index, actor, 0] of op `index` of this change. */
const isOwnOp = (ref: unknown, index: number, actor: number) =>
  Array.isArray(ref) && ref.length === 3 && ref[0] === index && ref[1] === actor && ref[2] === 0

/**
 * A change's ops (short form: IDs relative to its startOp) with short values and text runs.
 * `actor` is the change's actor ref, `time` its time in seconds.
 */
export function packOps(
  ops: CompactOp[],
  actor: number,
  time: number,
  mapRuns = false,
  deriveId?: DeriveId,
): CompactOp[] {
  const out: CompactOp[] = []
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!
    const char = typedChar(op)
    if (char !== undefined) {
      let text = char
      let j = i + 1
      // Each next character is inserted after the one before it: its elemId is that op's own ID.
      while (j < ops.length && typedChar(ops[j]!) !== undefined && isOwnOp(ops[j]![ELEM], j - 1, actor)) {
        if (JSON.stringify(ops[j]![OBJ]) !== JSON.stringify(op[OBJ])) break
        text += typedChar(ops[j]!)
        j++
      }
      if (j - i >= 2) {
        out.push([TEXT_RUN, op[OBJ], op[ELEM], text])
        i = j - 1
        continue
      }
    }
    if (
      mapRuns &&
      op[ACTION] === 'makeMap' &&
      op[DATATYPE] === undefined &&
      op[VALUE] === undefined &&
      op.length === PRED + 1
    ) {
      // Keys set in the map this op makes, each once, as the ops right after it.
      const puts: unknown[] = []
      let j = i + 1
      while (j < ops.length && mapPut(ops[j]!, i, actor)) {
        const v = packValue(ops[j]!, time)
        puts.push(ops[j]![KEY], v[DATATYPE], v[VALUE])
        j++
      }
      if (j - i >= 2) {
        if (deriveId) leaveOutDerivedId(puts, ops.slice(i + 1, j), deriveId)
        out.push([MAP_RUN, op[OBJ], op[KEY], op[ELEM], op[INSERT], op[PRED], puts])
        i = j - 1
        continue
      }
    }
    out.push(packValue(op, time))
  }
  return out
}

/**
 * A new map and the keys set in it right after: [MAP_RUN, obj, key, elem, insert, pred, [key,
 * datatype, value, …]], one op for what was 1 + n (a signed finding is a map of 9 keys, a reading
 * one of 3 or 4). Only to a peer that agreed to it (`m` in the hello and welcome).
 */
const MAP_RUN = 1

/** Marks the run's `id` as derived when `deriveId` gives exactly it from the map's values. */
function leaveOutDerivedId(puts: unknown[], sets: CompactOp[], deriveId: DeriveId): void {
  const k = puts.indexOf('id')
  if (k < 0 || k % 3 !== 0 || puts[k + 1] !== undefined || typeof puts[k + 2] !== 'string') return
  // Only a map with an `id` (not a reading) is worth the lookup.
  const values = Object.fromEntries(sets.map((op) => [op[KEY], op[VALUE]]))
  if (deriveId(values) !== values.id) return
  puts[k + 1] = DERIVED_ID
  puts[k + 2] = null
}

/** A plain `set` of a key in the map made by op `index` of this change: no predecessors. */
function mapPut(op: CompactOp, index: number, actor: number): boolean {
  return (
    op[ACTION] === 'set' &&
    typeof op[KEY] === 'string' &&
    op[ELEM] === undefined &&
    op[INSERT] === undefined &&
    isOwnOp(op[OBJ], index, actor) &&
    Array.isArray(op[PRED]) &&
    (op[PRED] as unknown[]).length === 0 &&
    op.length === PRED + 1
  )
}

function packValue(op: CompactOp, time: number): CompactOp {
  const short = shortValue(op[DATATYPE], op[VALUE], time)
  if (!short) return op
  const packed = [...op]
  packed[DATATYPE] = short[0]
  packed[VALUE] = short[1]
  return packed
}

/** The ops {@link packOps} stood for. Throws on a malformed short form. */
export function unpackOps(ops: unknown[], actor: number, time: number, deriveId?: DeriveId): CompactOp[] {
  const out: CompactOp[] = []
  for (const op of ops) {
    if (!Array.isArray(op)) throw new Error('malformed op')
    if (op[ACTION] === TEXT_RUN) {
      const [, obj, first, text] = op as [number, unknown, unknown, unknown]
      if (op.length !== 4 || typeof text !== 'string' || text.length === 0)
        throw new Error('malformed text run')
      let elem = first
      for (const char of text) {
        out.push(['set', obj, undefined, elem, true, undefined, char, []])
        elem = [out.length - 1, actor, 0]
      }
      continue
    }
    if (op[ACTION] === MAP_RUN) {
      const [, obj, key, elem, insert, pred, puts] = op as unknown[]
      if (op.length !== 7 || !Array.isArray(puts) || puts.length % 3 !== 0)
        throw new Error('malformed map run')
      const index = out.length
      out.push(['makeMap', obj, key, elem, insert, undefined, undefined, pred])
      let derived: CompactOp | undefined
      for (let k = 0; k < puts.length; k += 3) {
        const set: CompactOp = [
          'set',
          [index, actor, 0],
          puts[k],
          undefined,
          undefined,
          puts[k + 1],
          puts[k + 2],
          [],
        ]
        if (puts[k + 1] !== DERIVED_ID) out.push(unpackValue(set, time))
        else if (puts[k] !== 'id' || puts[k + 2] !== null || derived) throw new Error('malformed derived ID')
        else out.push((derived = set))
      }
      if (derived) {
        const values = Object.fromEntries(out.slice(index + 1).map((op) => [op[KEY], op[VALUE]]))
        const id = deriveId?.(values)
        if (id === undefined) throw new Error('a derived ID in a map that has none')
        derived[DATATYPE] = undefined
        derived[VALUE] = id
      }
      continue
    }
    out.push(unpackValue(op, time))
  }
  return out
}

function unpackValue(op: unknown[], time: number): CompactOp {
  const code = op[DATATYPE]
  if (typeof code !== 'number') return op as CompactOp
  const { datatype, value } = valueOf(code, op[VALUE], time)
  const unpacked = [...op]
  unpacked[DATATYPE] = datatype
  unpacked[VALUE] = value
  return unpacked as CompactOp
}
