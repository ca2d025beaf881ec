/**
 * Local edits made by the relay (ingest path 5 of docs/architecture.md, the REST API). The manifest's edit
 * functions refuse forbidden fields and bad values first; the change they produce then passes the
 * same admission as changes arriving from vessels and browsers (`admitChanges`, @tally/replica)
 * before it is committed, so no route can write what policy would refuse elsewhere. A refusal at
 * that stage is kept as a dead letter, like any refused change.
 */
import * as A from '@automerge/automerge'
import { TallyError } from '@tally/manifest'
import type { ContainerDoc } from '@tally/manifest'
import { ADMISSION_PATHS, admitLocalEdit, EditRefusedError, policyValidator } from '@tally/replica'
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
    const { store, registry, deadLetters } = this.deps
    if (!store.row(docId)) throw new TallyError('NOT_FOUND', `no document ${docId}`)
    // Inside a caller's transaction (bulk create) the caller guards the whole transaction instead:
    // SQLite may have rolled all of it back, so retrying one statement there would be wrong.
    const guard =
      this.deps.guard && !store.db.inTransaction ? this.deps.guard : <T>(_: string, fn: () => T) => fn()
    return guard('store an edit', () => {
      try {
        return admitLocalEdit({
          path: ADMISSION_PATHS.relayRest,
          store,
          deadLetters,
          validate: policyValidator(registry, sender, this.deps.voyages),
          docId,
          actor,
          principal: sender.id,
          edit,
        })
      } catch (err) {
        if (!(err instanceof EditRefusedError)) throw err
        throw err.toApiError()
      }
    })
  }
}
