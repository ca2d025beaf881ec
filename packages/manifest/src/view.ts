/**
 * The container view of the HTTP contract, with conflicts: when both writers of the owning side set
 * a field concurrently, Automerge keeps both values; the view shows each with its principal, time
 * and whether it is the one that won.
 */
import * as A from '@automerge/automerge'
import { FIELDS } from './catalog.ts'
import { documentUrlFor } from './genesis.ts'
import { toPlain } from './plain.ts'
import { photoViews } from './photos.ts'
import type { PhotoFullState } from './photos.ts'
import type { Conflict, ContainerDoc, ContainerView } from './schema.ts'

/** Names the principal behind an Automerge actor; the relay and vessel pass their actor registry. */
export type PrincipalOf = (actor: string) => string | undefined

const CONFLICT_FIELDS = FIELDS.filter(
  (f) =>
    f.section !== 'identity' &&
    f.type !== 'text' &&
    f.path !== 'reefer.readings' &&
    f.path !== 'proposals' &&
    f.path !== 'photos' &&
    f.path !== 'evidence',
)

/** Splits an op ID `counter@actor`. */
export function parseOpId(opId: string): { counter: number; actor: string } {
  const at = opId.indexOf('@')
  return { counter: Number(opId.slice(0, at)), actor: opId.slice(at + 1) }
}

/** Automerge's winner among concurrent values: the highest counter, ties broken by actor. */
function winnerOf(opIds: string[]): string {
  return opIds.reduce((best, id) => {
    const a = parseOpId(id)
    const b = parseOpId(best)
    return a.counter > b.counter || (a.counter === b.counter && a.actor > b.actor) ? id : best
  })
}

/** The time (ISO) of the change that produced each op, found from change metadata. */
function opTimes(doc: A.Doc<unknown>, opIds: string[]): Map<string, string | null> {
  const metas = A.getChangesMetaSince(doc, [])
  const out = new Map<string, string | null>()
  for (const id of opIds) {
    const { counter, actor } = parseOpId(id)
    const meta = metas.find((m) => m.actor === actor && m.startOp <= counter && counter <= m.maxOp)
    out.set(id, meta && meta.time > 0 ? new Date(meta.time * 1000).toISOString() : null)
  }
  return out
}

/** Every field that currently holds concurrent values. */
export function conflictsOf(
  doc: A.Doc<ContainerDoc>,
  principalOf: PrincipalOf = () => undefined,
): Conflict[] {
  const found: { field: string; values: Record<string, unknown> }[] = []
  for (const spec of CONFLICT_FIELDS) {
    const [section, key] = spec.path.split('.') as [string, string]
    const parent = (doc as any)[section]
    if (parent === null || parent === undefined) continue
    const values = A.getConflicts(parent, key)
    if (values && Object.keys(values).length > 1) found.push({ field: spec.path, values })
  }
  if (found.length === 0) return []
  const times = opTimes(
    doc,
    found.flatMap((f) => Object.keys(f.values)),
  )
  return found.map(({ field, values }) => {
    const ids = Object.keys(values)
    const winner = winnerOf(ids)
    return {
      field,
      values: ids.map((id) => {
        const actor = parseOpId(id).actor
        return {
          value: toPlain(values[id]),
          principal: principalOf(actor) ?? actor,
          at: times.get(id) ?? null,
          winner: id === winner,
        }
      }),
    }
  })
}

/**
 * The container view (docs/api.md) of a document. `photoState` says where each full photo is on this
 * replica (default: still aboard).
 */
export function toView(
  doc: A.Doc<ContainerDoc>,
  principalOf?: PrincipalOf,
  photoState?: (sha256: string) => PhotoFullState,
): ContainerView {
  const plain = toPlain({
    schema: doc.schema,
    containerId: doc.containerId,
    vessel: doc.vessel,
    voyage: doc.voyage,
    isoType: doc.isoType,
    cargo: doc.cargo,
    customs: doc.customs,
    physical: doc.physical,
    reefer: doc.reefer,
    proposals: doc.proposals,
  })
  return {
    ...plain,
    documentUrl: documentUrlFor({
      vessel: plain.vessel,
      voyage: plain.voyage,
      containerId: plain.containerId,
    }),
    notes: String(doc.notes ?? ''),
    photos: photoViews(doc, photoState),
    conflicts: conflictsOf(doc, principalOf),
    heads: A.getHeads(doc),
  }
}
