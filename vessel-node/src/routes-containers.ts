/**
 * The crew's container endpoints (docs/api.md, "Vessel node"). Every write goes through the
 * manifest's edit functions as the crew member's actor, with the vessel's role, so the REST API is
 * authority check no. 1 of design §3; and through ContainerStore.edit, which commits before it
 * returns, so an acknowledged edit survives kill -9.
 */
import { randomUUID } from 'node:crypto'
import { Router } from 'express'
import type { Response } from 'express'
import type Database from 'better-sqlite3'
import type * as A from '@automerge/automerge'
import {
  addEvidence,
  addProposal,
  appendReading,
  applyPatch,
  resolveProposal,
  TallyError,
  toPlain,
} from '@tally/manifest'
import type { ContainerDoc, ContainerKey, ContainerView, SigningKey } from '@tally/manifest'
import type { ContainerStore } from '@tally/replica'
import type { ActorRegistryStore } from '@tally/storage-sqlite'
import type { CrewActors } from './crew-actors.ts'
import { evidenceForEdit } from './evidence-signer.ts'
import { historyOf } from './history.ts'
import { crewOf } from './http-support.ts'
import { parseListQuery } from './list-query.ts'
import type { ViewCache } from './view-cache.ts'

export interface ContainerRoutesDeps {
  db: Database.Database
  store: ContainerStore
  registry: ActorRegistryStore
  actors: CrewActors
  vessel: string
  views: ViewCache
  guard: <T>(operation: string, fn: () => T) => T
  /** Signs the damage reports, seal findings and alarms an edit records (evidence-signer.ts). */
  signer: SigningKey
}

/** Finds a container's document on this vessel by container number (the latest voyage). */
export function containerLookup(db: Database.Database, vessel: string): (id: string) => string {
  // A vessel may carry a container on more than one voyage; the latest one is the one on board.
  const byContainerId = db.prepare<[string, string], { doc_id: string }>(
    `SELECT doc_id FROM containers WHERE vessel = ? AND container_id = ? ORDER BY updated_at DESC LIMIT 1`,
  )
  return (id) => {
    const row = byContainerId.get(vessel, String(id).trim().toUpperCase())
    if (!row) throw new TallyError('NOT_FOUND', `No container ${id} on ${vessel}.`, 'containerId')
    return row.doc_id
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
  const docIdOf = containerLookup(d.db, d.vessel)

  /** Applies an edit as the requesting crew member and answers with the new view. */
  const edit = (
    res: Response,
    id: string,
    operation: string,
    fn: (doc: A.Doc<ContainerDoc>) => A.Doc<ContainerDoc>,
  ): ContainerView => {
    const docId = docIdOf(id)
    const actor = d.guard('record the crew member’s actor', () => d.actors.actorFor(crewOf(res).user))
    d.guard(operation, () => {
      try {
        return d.store.edit(docId, actor, fn)
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
    res.json(views.list(parseListQuery(req.query as Record<string, unknown>, d.vessel)))
  })

  router.get('/containers/:id', (req, res) => {
    res.json(views.view(docIdOf(req.params.id)))
  })

  router.patch('/containers/:id', (req, res) => {
    const crew = crewOf(res).user
    res.json(
      edit(res, req.params.id, 'save the edit', (doc) => {
        const after = applyPatch(doc, req.body, 'vessel')
        // Damage, seal and alarm findings are signed as they are recorded, in the same commit.
        const recorder = { vessel: d.vessel, crew, signer: d.signer, now: new Date().toISOString() }
        return addEvidence(after, evidenceForEdit(doc, after, keyOfDoc(doc), recorder), 'vessel')
      }),
    )
  })

  router.post('/containers/:id/readings', (req, res) => {
    res
      .status(201)
      .json(edit(res, req.params.id, 'save the reading', (doc) => appendReading(doc, req.body, 'vessel')))
  })

  router.get('/containers/:id/history', (req, res) => {
    const docId = docIdOf(req.params.id)
    const row = d.store.row(docId)!
    res.json(historyOf(d.store.load(docId)!, d.store.keyOf(row), d.registry))
  })

  router.post('/containers/:id/proposals', (req, res) => {
    const body = (req.body ?? {}) as { field?: unknown; value?: unknown; reason?: unknown }
    const view = edit(res, req.params.id, 'save the proposal', (doc) =>
      addProposal(
        doc,
        { field: body.field as string, value: body.value, reason: body.reason as string | null | undefined },
        d.vessel,
        'vessel',
        new Date().toISOString(),
        randomUUID(),
      ),
    )
    res.status(201).json(view)
  })

  router.post('/containers/:id/proposals/:proposalId', (req, res) => {
    const decision = (req.body as { decision?: unknown } | undefined)?.decision
    if (decision !== 'ACCEPTED' && decision !== 'DECLINED')
      throw new TallyError('INVALID', 'decision: must be ACCEPTED or DECLINED', 'decision')
    res.json(
      edit(res, req.params.id, 'save the decision', (doc) =>
        resolveProposal(doc, req.params.proposalId, decision, d.vessel, 'vessel', new Date().toISOString()),
      ),
    )
  })

  return router
}
