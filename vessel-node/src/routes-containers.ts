/**
 * The crew's container endpoints (docs/api.md, "Vessel node"). Every write goes through the
 * manifest's edit functions as the crew member's actor, with the vessel's role, then through policy
 * (CrewEditor, the one admission path), so the REST API is authority check no. 1 of
 * docs/architecture.md; the store commits before it returns, so an acknowledged edit survives kill -9.
 */
import { randomUUID } from 'node:crypto'
import { Router } from 'express'
import type { Response } from 'express'
import type * as A from '@automerge/automerge'
import {
  addEvidence,
  addProposal,
  appendReading,
  applyPatch,
  decisionBodySchema,
  parseWith,
  proposalBodySchema,
  resolveProposal,
  TallyError,
  toPlain,
} from '@tally/manifest'
import type { ContainerDoc, ContainerKey, ContainerView, ProposalInput, SigningKey } from '@tally/manifest'
import { closedVoyageRefusal } from '@tally/policy'
import type { ContainerStore } from '@tally/replica'
import type { ActorRegistryStore } from '@tally/storage-sqlite'
import type { CrewActors } from './crew-actors.ts'
import type { CrewEditor } from './crew-editor.ts'
import { evidenceForEdit } from './evidence-signer.ts'
import { historyOf } from './history.ts'
import { crewOf } from './http-support.ts'
import { parseListQuery } from './list-query.ts'
import type { ViewCache } from './view-cache.ts'
import { withDischargeRecord, registerAboard } from './register-container.ts'
import type { VesselVoyages } from './voyages.ts'

export interface ContainerRoutesDeps {
  store: ContainerStore
  /** Every write goes through policy (crew-editor.ts). */
  editor: CrewEditor
  registry: ActorRegistryStore
  actors: CrewActors
  vessel: string
  views: ViewCache
  guard: <T>(operation: string, fn: () => T) => T
  /** Signs the damage reports, seal findings and alarms an edit records (evidence-signer.ts). */
  signer: SigningKey
  voyages: VesselVoyages
}

/** Finds a container's document on this vessel by container number (the latest voyage). */
export function containerLookup(store: ContainerStore, vessel: string): (id: string) => string {
  return (id) => {
    // A vessel may carry a container on more than one voyage; the latest one is the one on board.
    const docId = store.index.findDocId(vessel, String(id).trim().toUpperCase(), { newest: 'updated' })
    if (!docId) throw new TallyError('NOT_FOUND', `No container ${id} on ${vessel}.`, 'containerId')
    return docId
  }
}

const keyOfDoc = (doc: A.Doc<ContainerDoc>): ContainerKey =>
  toPlain({ vessel: doc.vessel, voyage: doc.voyage, containerId: doc.containerId }) as ContainerKey

/**
 * Workaround (remove once ContainerStore.edit does it): when the commit fails (a full disk), the
 * store's cached document has already been advanced by Automerge and is now "outdated", so every
 * later edit of it would fail. Dropping it makes the next use reload the committed state.
 */
function forgetCachedDoc(store: ContainerStore, docId: string): void {
  ;(store as unknown as { cache?: Map<string, unknown> }).cache?.delete(docId)
}

export function containerRoutes(d: ContainerRoutesDeps): Router {
  const router = Router()
  const views = d.views
  // A vessel may carry a container on more than one voyage: the current voyage's document is meant,
  // else the most recently written one, unless `?voyage=` names another.
  const docIdOf = (id: string, voyage?: unknown): string => {
    const docId = d.store.index.findDocId(d.vessel, String(id).trim().toUpperCase(), {
      newest: 'updated',
      voyage: typeof voyage === 'string' && voyage !== '' ? voyage.toUpperCase() : null,
      preferVoyage: d.voyages.current() ?? null,
    })
    if (!docId) throw new TallyError('NOT_FOUND', `No container ${id} on ${d.vessel}.`, 'containerId')
    return docId
  }

  /** A closed voyage's documents are read-only: the same refusal policy gives on every path. */
  const refuseIfClosed = (docId: string): void => {
    const row = d.store.row(docId)!
    const closedAt = d.voyages.closedAt(row.voyage)
    if (closedAt) throw new TallyError('FORBIDDEN', closedVoyageRefusal(d.store.keyOf(row), closedAt).reason)
  }

  /** Applies an edit as the requesting crew member and answers with the new view. */
  const edit = (
    res: Response,
    id: string,
    operation: string,
    fn: (doc: A.Doc<ContainerDoc>) => A.Doc<ContainerDoc>,
  ): ContainerView => {
    const docId = docIdOf(id, res.req.query.voyage)
    refuseIfClosed(docId)
    const actor = d.guard('record the crew member’s actor', () => d.actors.actorFor(crewOf(res).user))
    d.guard(operation, () => {
      try {
        return d.editor.edit(docId, actor, fn)
      } catch (err) {
        forgetCachedDoc(d.store, docId)
        throw err
      }
    })
    return views.view(docId)!
  }

  router.get('/me', (_req, res) => {
    res.json({ user: crewOf(res).user, vessel: d.vessel, role: 'vessel' })
  })

  router.get('/containers', (req, res) => {
    const query = parseListQuery(req.query as Record<string, unknown>, d.vessel)
    // `voyage=current` lists the current voyage (with none known, every live container).
    if (query.voyage === 'current') query.voyage = d.voyages.current()
    res.json(views.list(query))
  })

  router.post('/containers', (req, res) => {
    const user = crewOf(res).user
    const docId = registerAboard(d, req.body, () =>
      d.guard('record the crew member’s actor', () => d.actors.actorFor(user)),
    )
    res.status(201).json(views.view(docId))
  })

  router.get('/containers/:id', (req, res) => {
    res.json(views.view(docIdOf(req.params.id, req.query.voyage)))
  })

  router.patch('/containers/:id', (req, res) => {
    const crew = crewOf(res).user
    res.json(
      edit(res, req.params.id, 'save the edit', (doc) => {
        const after = applyPatch(doc, withDischargeRecord(doc, req.body, d.voyages), 'vessel')
        // Damage, seal and alarm findings are signed as they are recorded, in the same commit.
        const recorder = { vessel: d.vessel, crew, signer: d.signer, now: new Date().toISOString() }
        return addEvidence(after, evidenceForEdit(doc, after, keyOfDoc(doc), recorder), 'vessel')
      }),
    )
  })

  router.post('/containers/:id/readings', (req, res) => {
    res.status(201).json(
      edit(res, req.params.id, 'save the reading', (doc) =>
        // A tablet that kept the reading while out of reach may send it again after a lost answer:
        // the same time and temperatures are the same reading, taken once.
        holdsReading(doc, req.body) ? doc : appendReading(doc, req.body, 'vessel'),
      ),
    )
  })

  router.get('/containers/:id/history', (req, res) => {
    const docId = docIdOf(req.params.id, req.query.voyage)
    const row = d.store.row(docId)!
    res.json(historyOf(d.store.load(docId)!, d.store.keyOf(row), d.registry))
  })

  router.post('/containers/:id/proposals', (req, res) => {
    const input = parseWith(proposalBodySchema, req.body ?? {}, 'proposal') as ProposalInput
    const view = edit(res, req.params.id, 'save the proposal', (doc) =>
      addProposal(doc, input, d.vessel, 'vessel', new Date().toISOString(), randomUUID()),
    )
    res.status(201).json(view)
  })

  router.post('/containers/:id/proposals/:proposalId', (req, res) => {
    const { decision } = parseWith(decisionBodySchema, req.body ?? {})
    res.json(
      edit(res, req.params.id, 'save the decision', (doc) =>
        resolveProposal(doc, req.params.proposalId, decision, d.vessel, 'vessel', new Date().toISOString()),
      ),
    )
  })

  return router
}

/** Whether the document already holds this exact reading (time, supply and return air). */
function holdsReading(doc: { reefer: { readings: readonly unknown[] } | null }, body: unknown): boolean {
  const r = body as { at?: unknown; supplyC?: unknown; returnC?: unknown } | null
  if (!doc.reefer || !r || typeof r.at !== 'string') return false
  return doc.reefer.readings.some((x) => {
    const y = toPlain(x) as { at: string; supplyC: number; returnC: number }
    return y.at === r.at && y.supplyC === r.supplyC && y.returnC === r.returnC
  })
}
