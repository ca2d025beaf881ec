/**
 * The one admission path (docs/architecture.md, "Authority"): every way a change enters a replica
 * (the relay's REST API, `/sync`, `/link` and dead-letter retry; the vessel's REST API and its
 * ingest from the link) calls {@link admitChanges}, which judges the changes with policy, keeps
 * the refused ones as dead letters and commits the accepted ones. The paths differ only in what
 * they pass: how the changes are committed, whether one refusal refuses the whole batch, and
 * whether refusals are recorded (a retry leaves its letter open instead).
 */
import * as A from '@automerge/automerge'
import { ObjectIndex, TallyError } from '@tally/manifest'
import type { ContainerDoc, ContainerKey } from '@tally/manifest'
import type { DeadLetterStore } from '@tally/storage-sqlite'
import type { ContainerStore } from './container-store.ts'
import type { ChangeDecision, ChangeValidator } from './link-replica.ts'

/** How one ingest path admits a batch. */
export interface AdmissionPath {
  /** Shown in tests and logs. */
  readonly name: string
  /**
   * One refusal refuses the batch: a local edit is the user's one intent, and a retried dead letter
   * goes in whole or not at all. Otherwise the accepted changes are committed beside the refusals.
   */
  readonly atomic: boolean
  /** Refused changes become dead letters (a retry keeps its own letter open instead). */
  readonly recordsRefusals: boolean
}

/** Every path by which a change enters a replica, as {@link admitChanges} is told. */
export const ADMISSION_PATHS = {
  relayRest: { name: 'relay REST', atomic: true, recordsRefusals: true },
  relaySync: { name: 'relay /sync', atomic: false, recordsRefusals: true },
  relayLink: { name: 'relay /link', atomic: false, recordsRefusals: true },
  deadLetterRetry: { name: 'dead-letter retry', atomic: true, recordsRefusals: false },
  vesselRest: { name: 'vessel REST', atomic: true, recordsRefusals: true },
  vesselLink: { name: 'vessel link ingest', atomic: false, recordsRefusals: true },
} as const satisfies Record<string, AdmissionPath>

export interface AdmissionRequest<R> {
  path: AdmissionPath
  /** Policy for the sender that delivered the changes (`policyValidator`). */
  validate: ChangeValidator
  deadLetters: DeadLetterStore
  docId: string
  key: ContainerKey
  isoType: string
  /** The stored document the changes are judged against, or a loader (rarely needed). */
  doc: A.Doc<ContainerDoc> | (() => A.Doc<ContainerDoc>)
  /** Policy's object index of `doc`; it learns the accepted changes. */
  index: ObjectIndex
  /** In causal order. */
  changes: A.DecodedChange[]
  /** Changes refused before (this document's dead letters): whatever builds on them is refused. */
  refused?: Iterable<string>
  /** The bytes of change `i`, kept with its dead letter so an operator can inspect or retry it. */
  bytesOf(i: number): Uint8Array | null
  /** The principal a refusal is recorded under (the sender, or the author policy found). */
  recordAs(decision: ChangeDecision): string
  /** Commits the accepted changes (in their order); not called when none is accepted. */
  commit(accepted: A.DecodedChange[], indices: number[]): R
}

export interface Admission<R> {
  /** One per change, in order; in a refused atomic batch every change is refused. */
  decisions: ChangeDecision[]
  /** The first change policy itself refused: why the batch (or that change) was refused. */
  cause?: ChangeDecision
  accepted: A.DecodedChange[]
  refused: ChangeDecision[]
  /** What `commit` returned, when it ran. */
  committed?: R
}

/**
 * Judges, records refusals, commits. Run it inside the caller's transaction when the dead letters
 * and the commit must stand or fall together (every path but a refused local edit, whose letter
 * must outlive the error it throws).
 */
export function admitChanges<R>(req: AdmissionRequest<R>): Admission<R> {
  const decisions = req.validate(
    {
      docId: req.docId,
      key: req.key,
      isoType: req.isoType,
      doc: req.doc,
      index: req.index,
      ...(req.refused ? { refused: req.refused } : {}),
    },
    req.changes,
  )
  // The batch is over: what it created now counts as existing for the next one.
  req.index.settle()
  const cause = decisions.find((d) => !d.accepted)
  const refuseAll = req.path.atomic && cause !== undefined
  if (req.path.recordsRefusals)
    // A refused atomic batch is recorded by its cause: the rest fall with it.
    for (const [i, d] of decisions.entries())
      if (!d.accepted && (!refuseAll || d === cause))
        req.deadLetters.add({
          principal: req.recordAs(d),
          docId: req.docId,
          changeHash: d.hash,
          reason: d.reason ?? 'refused by policy',
          field: d.field ?? null,
          bytes: req.bytesOf(i),
        })
  const final = refuseAll
    ? decisions.map((d) =>
        d.accepted
          ? { hash: d.hash, accepted: false, reason: `refused with its batch: ${cause.reason ?? 'refused'}` }
          : d,
      )
    : decisions
  const indices = final.flatMap((d, i) => (d.accepted ? [i] : []))
  const accepted = indices.map((i) => req.changes[i]!)
  const result: Admission<R> = {
    decisions: final,
    refused: final.filter((d) => !d.accepted),
    accepted,
    ...(cause ? { cause } : {}),
  }
  if (accepted.length > 0) result.committed = req.commit(accepted, indices)
  return result
}

/** A local edit refused by policy: the first refusal, for the HTTP answer. */
export class EditRefusedError extends Error {
  constructor(
    /** The change policy refused. */
    readonly decision: ChangeDecision,
    /** Every change of the edit, all refused. */
    readonly decisions: ChangeDecision[],
  ) {
    super(decision.reason ?? 'refused by policy')
    this.name = 'EditRefusedError'
  }

  /** As both REST APIs answer it: FORBIDDEN_FIELD naming the field, or FORBIDDEN. */
  toApiError(): TallyError {
    const { reason, field } = this.decision
    return field
      ? new TallyError('FORBIDDEN_FIELD', reason ?? 'refused by policy', field)
      : new TallyError('FORBIDDEN', reason ?? 'refused by policy')
  }
}

/**
 * A local edit (a REST call on the relay or aboard) through {@link admitChanges}: the edit function
 * produces the change, policy judges it against the stored document, and the store commits it.
 * Throws {@link EditRefusedError} (after recording the dead letter) when policy refuses it.
 */
export function admitLocalEdit(o: {
  path: AdmissionPath
  store: ContainerStore
  deadLetters: DeadLetterStore
  validate: ChangeValidator
  docId: string
  actor: string
  /** Recorded with a refusal. */
  principal: string
  edit: (doc: A.Doc<ContainerDoc>) => A.Doc<ContainerDoc>
}): A.Doc<ContainerDoc> {
  const { store, docId, actor } = o
  const row = store.row(docId)
  if (!row) throw new Error(`no document ${docId}`)
  const key = store.keyOf(row)
  let refusal: Admission<unknown> | undefined
  const next = store.edit(docId, actor, (given) => {
    // Read inside the edit: on a shared database the store may just have reloaded a document that
    // another relay moved on, and the edit is judged against what it will be committed onto.
    const before = store.load(docId)!
    // The store hands the edit either a fork of its cached document or, when the cached document
    // already carries this actor, the cached instance itself. Automerge outdates a document once it
    // is changed, and a changed fork shares nothing with the cache, so editing a private copy in the
    // second case keeps the cached document pristine: it is the "before" that policy judges against
    // (its heads answer "already stored?"), and it must survive a refusal unharmed.
    const shared = given === before
    const next = o.edit(shared ? A.clone(given, { actor: actor as A.ActorId }) : given)
    const changes = A.getChanges(before, next).map((c) => A.decodeChange(c))
    if (changes.length === 0) return next
    const admission = admitChanges({
      path: o.path,
      validate: o.validate,
      deadLetters: o.deadLetters,
      docId,
      key,
      isoType: row.iso_type,
      doc: before,
      // A fresh index, not the store's cached one: validation learns the new objects, and a refused
      // edit must leave nothing behind in the cache.
      index: ObjectIndex.fromDoc(before),
      changes,
      bytesOf: (i) => A.encodeChange(changes[i]!),
      recordAs: () => o.principal,
      commit: () => next,
    })
    if (admission.committed) return admission.committed
    refusal = admission
    // The unchanged document stores nothing; the dead letter is written (and commits with the
    // store's transaction on a shared database, so it outlives the error thrown below).
    return before
  })
  if (refusal) throw new EditRefusedError(refusal.cause!, refusal.decisions)
  return next
}
