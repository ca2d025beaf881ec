/**
 * Local edits made by the relay (ingest path 5 of docs/architecture.md, the REST API). The manifest's edit
 * functions refuse forbidden fields and bad values first; the change they produce then passes the
 * same policy validator as changes arriving from vessels and browsers before it is committed, so
 * no route can write what policy would refuse elsewhere. A refusal at that stage is kept as a dead
 * letter, like any refused change.
 */
import * as A from '@automerge/automerge'
import { ObjectIndex, TallyError } from '@tally/manifest'
import type { ContainerDoc } from '@tally/manifest'
import { policyValidator } from '@tally/replica'
import type { ContainerStore, VoyageClosures } from '@tally/replica'
import type { ActorRegistryStore, DeadLetterStore } from '@tally/storage-sqlite'
import type { RelayActors } from './actors.ts'
import type { RelayUser } from './auth.ts'
import type { DiskGuard } from './disk-full.ts'

type Edit = (doc: A.Doc<ContainerDoc>) => A.Doc<ContainerDoc>

export interface ContainerEditorDeps {
  store: ContainerStore
  registry: ActorRegistryStore
  deadLetters: DeadLetterStore
  actors: RelayActors
  /** Wraps the commit: on a full disk, old session logs are pruned and it is tried once more (disk-full.ts). */
  guard?: DiskGuard
  /** Closed voyages take no edits (policy refuses them). */
  voyages?: VoyageClosures
}

export class ContainerEditor {
  constructor(private readonly deps: ContainerEditorDeps) {}

  /** Edits a document as a shore user; the edit function checks the user's role. */
  asUser(docId: string, user: RelayUser, edit: Edit): A.Doc<ContainerDoc> {
    return this.run(docId, this.deps.actors.forUser(user), { id: user.principal, role: user.role }, edit)
  }

  /** Edits a document as the vessel's planning actor (initial physical values; see RelayActors). */
  asPlanning(docId: string, vessel: string, edit: Edit): A.Doc<ContainerDoc> {
    return this.run(docId, this.deps.actors.forPlanning(vessel), { id: vessel, role: 'vessel' }, edit)
  }

  private run(
    docId: string,
    actor: string,
    sender: { id: string; role: string },
    edit: Edit,
  ): A.Doc<ContainerDoc> {
    const { store } = this.deps
    const row = store.row(docId)
    if (!row) throw new TallyError('NOT_FOUND', `no document ${docId}`)
    const key = store.keyOf(row)
    // The store hands the edit either a fork of its cached document or, when the cached document
    // already carries this actor, the cached instance itself. Automerge outdates a document once it
    // is changed, and a changed fork shares nothing with the cache, so editing a private copy in the
    // second case keeps the cached document pristine: it is the "before" that policy judges against
    // (its heads answer "already stored?"), and it must survive a refusal unharmed.
    const before = store.load(docId)
    if (!before) throw new TallyError('NOT_FOUND', `no document ${docId}`)
    const shared = A.getActorId(before) === actor
    // Inside a caller's transaction (bulk create) the caller guards the whole transaction instead:
    // SQLite may have rolled all of it back, so retrying one statement there would be wrong.
    const guard =
      this.deps.guard && !store.db.inTransaction ? this.deps.guard : <T>(_: string, fn: () => T) => fn()
    return guard('store an edit', () =>
      this.commit(docId, actor, sender, edit, { before, shared, key, isoType: row.iso_type }),
    )
  }

  private commit(
    docId: string,
    actor: string,
    sender: { id: string; role: string },
    edit: Edit,
    o: {
      before: A.Doc<ContainerDoc>
      shared: boolean
      key: ReturnType<ContainerStore['keyOf']>
      isoType: string
    },
  ): A.Doc<ContainerDoc> {
    const { store, registry, deadLetters } = this.deps
    const { before, shared, key } = o
    return store.edit(docId, actor, (given) => {
      const next = edit(shared ? A.clone(given, { actor: actor as A.ActorId }) : given)
      const changes = A.getChanges(before, next).map((c) => A.decodeChange(c))
      if (changes.length === 0) return next
      // A fresh index, not the store's cached one: validation learns the new objects, and a refused
      // edit must leave nothing behind in the cache.
      const index = ObjectIndex.fromDoc(before)
      const validate = policyValidator(registry, sender, this.deps.voyages)
      const decisions = validate({ docId, key, isoType: o.isoType, doc: before, index }, changes)
      const refused = decisions.find((d) => !d.accepted)
      if (refused) {
        const change = changes.find((c) => c.hash === refused.hash)
        deadLetters.add({
          principal: sender.id,
          docId,
          changeHash: refused.hash,
          reason: refused.reason ?? 'refused by policy',
          field: refused.field ?? null,
          bytes: change ? A.encodeChange(change) : null,
        })
        const reason = refused.reason ?? 'refused by policy'
        throw refused.field
          ? new TallyError('FORBIDDEN_FIELD', reason, refused.field)
          : new TallyError('FORBIDDEN', reason)
      }
      return next
    })
  }
}
