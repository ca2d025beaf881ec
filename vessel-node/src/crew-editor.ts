/**
 * Crew edits through the one admission path (docs/architecture.md, "Authority", check no. 1): the
 * manifest's edit functions produce the change as the crew member's actor, then `admitLocalEdit`
 * (@tally/replica) judges it with policy as the vessel, keeps a refusal as a dead letter and
 * commits what passes, exactly as the relay admits what arrives from this vessel.
 */
import type * as A from '@automerge/automerge'
import type { ContainerDoc } from '@tally/manifest'
import { ADMISSION_PATHS, admitLocalEdit, EditRefusedError, policyValidator } from '@tally/replica'
import type { ContainerStore, VoyageClosures } from '@tally/replica'
import type { ActorRegistryStore, DeadLetterStore } from '@tally/storage-sqlite'

export class CrewEditor {
  constructor(
    private readonly d: {
      store: ContainerStore
      registry: ActorRegistryStore
      deadLetters: DeadLetterStore
      vessel: string
      /** Closed voyages take no edits (policy refuses them). */
      voyages?: VoyageClosures
    },
  ) {}

  /** Edits a document as a crew member's actor; a refusal is FORBIDDEN_FIELD or FORBIDDEN. */
  edit(
    docId: string,
    actor: string,
    edit: (doc: A.Doc<ContainerDoc>) => A.Doc<ContainerDoc>,
  ): A.Doc<ContainerDoc> {
    const { store, registry, deadLetters, vessel, voyages } = this.d
    try {
      return admitLocalEdit({
        path: ADMISSION_PATHS.vesselRest,
        store,
        deadLetters,
        validate: policyValidator(registry, { id: vessel, role: 'vessel' }, voyages),
        docId,
        actor,
        principal: vessel,
        edit,
      })
    } catch (err) {
      if (!(err instanceof EditRefusedError)) throw err
      throw err.toApiError()
    }
  }
}
