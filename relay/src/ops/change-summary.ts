/**
 * A refused change in words, for the dead-letter inspector: who wrote it, when, on top of what, and
 * which fields its ops touch (resolved through the document's object index, the same way policy saw
 * them). Stored bytes are either one raw change or an Automerge bundle of several.
 */
import * as A from '@automerge/automerge'
import { ObjectIndex, touchedOps } from '@tally/manifest'
import type { ContainerDoc } from '@tally/manifest'

/** At most this many ops are listed per change (a reading is a few ops; a big edit is summarised). */
const MAX_OPS_SHOWN = 40
/** Values are cut to this many characters. */
const MAX_VALUE_CHARS = 120

export interface TouchedField {
  field: string | null
  path: string | null
  action: string
  value: string | null
}

export interface ChangeSummary {
  hash: string
  actor: string
  /** The principal the actor is bound to, when the relay knows it. */
  author: string | null
  seq: number
  /** The change's own timestamp (the author's clock), or null when it carries none. */
  time: string | null
  message: string | null
  deps: string[]
  ops: number
  /** Distinct catalog fields (or top-level keys) the change writes. */
  fields: string[]
  touched: TouchedField[]
}

export interface DecodedLetter {
  kind: 'change' | 'bundle' | 'none' | 'undecodable'
  error?: string
  changes: ChangeSummary[]
}

/** The decoded changes of stored dead-letter bytes: one raw change, or a bundle. */
export function decodeLetterBytes(bytes: Uint8Array | null): {
  kind: DecodedLetter['kind']
  changes: A.DecodedChange[]
  error?: string
} {
  if (!bytes || bytes.length === 0) return { kind: 'none', changes: [] }
  try {
    return { kind: 'change', changes: [A.decodeChange(bytes)] }
  } catch {
    // not a single change: try a bundle below
  }
  try {
    return { kind: 'bundle', changes: A.readBundle(bytes).changes }
  } catch (err) {
    return { kind: 'undecodable', changes: [], error: (err as Error).message }
  }
}

function show(value: unknown): string | null {
  if (value === undefined) return null
  let text: string
  try {
    text =
      typeof value === 'string'
        ? value
        : JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? String(v) : v))
  } catch {
    text = String(value)
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text
}

/** Summarises stored bytes against the document they were meant for (if it exists). */
export function summarizeLetter(
  bytes: Uint8Array | null,
  doc: A.Doc<ContainerDoc> | undefined,
  authorOf: (actor: string) => string | undefined,
): DecodedLetter {
  const decoded = decodeLetterBytes(bytes)
  const index = doc ? ObjectIndex.fromDoc(doc) : new ObjectIndex()
  const changes = decoded.changes.map((change): ChangeSummary => {
    index.learn(change)
    const touched = touchedOps(change, index)
    return {
      hash: change.hash,
      actor: change.actor,
      author: authorOf(change.actor) ?? null,
      seq: change.seq,
      time: change.time ? new Date(change.time * 1000).toISOString() : null,
      message: change.message ?? null,
      deps: change.deps,
      ops: change.ops.length,
      fields: [...new Set(touched.map((t) => t.field ?? t.path?.[0] ?? '(unknown object)'))],
      touched: touched.slice(0, MAX_OPS_SHOWN).map((t) => ({
        field: t.field ?? null,
        path: t.path ? t.path.join('.') : null,
        action: t.action,
        value: show(t.value),
      })),
    }
  })
  return { kind: decoded.kind, ...(decoded.error ? { error: decoded.error } : {}), changes }
}
