/**
 * One container of one vessel: `/api/vessels/:imo/containers/:id` — view, PATCH, history and
 * proposals. Edits go through the {@link ContainerEditor} as the calling user, so the role's
 * authority is checked by the manifest and by policy before anything is committed.
 */
import { randomUUID } from 'node:crypto'
import { Router } from 'express'
import type { Request } from 'express'
import * as A from '@automerge/automerge'
import {
  addProposal,
  applyPatch,
  decisionBodySchema,
  parseWith,
  proposalBodySchema,
  resolveProposal,
  TallyError,
} from '@tally/manifest'
import type { ContainerView, ProposalInput } from '@tally/manifest'
import { auditTrail } from '@tally/policy'
import type { AuditEntry } from '@tally/policy'
import { sqliteActorRegistry } from '@tally/replica'
import { userOf } from '../auth.ts'
import type { RelayContext } from '../context.ts'
import { deliveryOf } from '../delivery.ts'
import { findContainer } from '../lookup.ts'
import { parseContainerId, parseImo, requireJsonBody } from '../query.ts'

/** Histories kept, keyed by document and heads; a voyage-long reefer history takes a while to derive. */
const HISTORY_CACHE_SIZE = 200

type Params = { imo: string; id: string; proposalId?: string }

export function containerRoutes(ctx: RelayContext): Router {
  const router = Router({ mergeParams: true })
  const histories = new Map<string, { heads: string; entries: AuditEntry[] }>()
  const actors = sqliteActorRegistry(ctx.registry)

  const docIdOf = (req: Request<Params>): string =>
    findContainer(ctx.store, parseImo(req.params.imo), parseContainerId(req.params.id), req.query.voyage)

  const viewOf = (docId: string): ContainerView => {
    const view = ctx.store.view(docId)
    if (!view) throw new TallyError('NOT_FOUND', `no document ${docId}`)
    return view
  }

  router.get('/', (req: Request<Params>, res) => {
    res.json(viewOf(docIdOf(req)))
  })

  router.patch('/', (req: Request<Params>, res) => {
    const docId = docIdOf(req)
    requireJsonBody(req.body, 'object')
    const user = userOf(res)
    ctx.editor.asUser(docId, user, (doc) => applyPatch(doc, req.body, user.role))
    res.json(viewOf(docId))
  })

  /** Has the ship got it: on board since, or waiting for the vessel's next window (docs/api.md). */
  router.get('/delivery', (req: Request<Params>, res) => {
    const docId = docIdOf(req)
    const doc = ctx.store.load(docId)
    if (!doc) throw new TallyError('NOT_FOUND', `no document ${docId}`)
    res.json(deliveryOf(ctx, parseImo(req.params.imo), docId, A.getHeads(doc)))
  })

  router.get('/history', (req: Request<Params>, res) => {
    const docId = docIdOf(req)
    const doc = ctx.store.load(docId)
    if (!doc) throw new TallyError('NOT_FOUND', `no document ${docId}`)
    const heads = A.getHeads(doc).join()
    let cached = histories.get(docId)
    if (cached?.heads !== heads) {
      // Derived from the document, so it covers every path a change arrived by (REST, link, browsers).
      cached = { heads, entries: auditTrail(doc, actors) }
    }
    histories.delete(docId)
    histories.set(docId, cached)
    while (histories.size > HISTORY_CACHE_SIZE) histories.delete(histories.keys().next().value!)
    res.json(cached.entries)
  })

  router.post('/proposals', (req: Request<Params>, res) => {
    const docId = docIdOf(req)
    requireJsonBody(req.body, 'object')
    const input = parseWith(proposalBodySchema, req.body, 'proposal') as ProposalInput
    const user = userOf(res)
    const now = new Date().toISOString()
    ctx.editor.asUser(docId, user, (doc) =>
      addProposal(doc, input, user.principal, user.role, now, randomUUID()),
    )
    res.status(201).json(viewOf(docId))
  })

  router.post('/proposals/:proposalId', (req: Request<Params>, res) => {
    const docId = docIdOf(req)
    requireJsonBody(req.body, 'object')
    const user = userOf(res)
    const now = new Date().toISOString()
    const { decision } = parseWith(decisionBodySchema, req.body)
    ctx.editor.asUser(docId, user, (doc) =>
      resolveProposal(doc, req.params.proposalId!, decision, user.principal, user.role, now),
    )
    res.json(viewOf(docId))
  })

  return router
}
