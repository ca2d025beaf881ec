/**
 * Authority on every ingest path (docs/architecture.md, "Authority"): policy's acceptance suite run
 * against the one admission function, `admitChanges`, as each path calls it: the relay's REST API,
 * `/sync`, `/link` and dead-letter retry, and the vessel's REST API and link ingest. Each adapter
 * stores through the same SQLite stores the path uses and commits the way that path commits: local
 * edits through `admitLocalEdit`, link chunks through `SqliteLinkReplica`, sync messages and
 * retried letters through `ContainerStore.applyRemote`.
 */
import fs from 'node:fs'
import path from 'node:path'
import * as A from '@automerge/automerge'
import { runAuthoritySuite } from '@tally/policy/suite'
import type { AuthorityIngest, IngestResult } from '@tally/policy/suite'
import type { Principal } from '@tally/policy'
import { documentIdFor, ObjectIndex, toPlain } from '@tally/manifest'
import type { ContainerDoc, ContainerKey } from '@tally/manifest'
import {
  ADMISSION_PATHS,
  admitChanges,
  admitLocalEdit,
  EditRefusedError,
  policyValidator,
  SqliteLinkReplica,
} from '@tally/replica'
import type { AdmissionPath, ChangeDecision } from '@tally/replica'
import { logger, openSide, tempDir, type Side } from './fixtures.ts'

/** How a path commits what policy accepts. */
type Commit = 'local-edit' | 'link' | 'apply'

const PATHS: { path: AdmissionPath; commit: Commit; side: 'relay' | 'vessel' }[] = [
  { path: ADMISSION_PATHS.relayRest, commit: 'local-edit', side: 'relay' },
  { path: ADMISSION_PATHS.relaySync, commit: 'apply', side: 'relay' },
  { path: ADMISSION_PATHS.relayLink, commit: 'link', side: 'relay' },
  { path: ADMISSION_PATHS.deadLetterRetry, commit: 'apply', side: 'relay' },
  { path: ADMISSION_PATHS.vesselRest, commit: 'local-edit', side: 'vessel' },
  { path: ADMISSION_PATHS.vesselLink, commit: 'link', side: 'vessel' },
]

const validatorFor = (s: Side, sender: Principal) =>
  policyValidator(s.registry, sender.kind === 'system' ? 'relay' : { id: sender.id, role: sender.role })

/** The container a batch concerns: the stored one, or the one its genesis creates. */
function containerOf(before: A.Doc<ContainerDoc>, decoded: A.DecodedChange[]) {
  const vessel = toPlain(before.vessel) as string | undefined
  if (vessel)
    return {
      key: {
        vessel,
        voyage: toPlain(before.voyage),
        containerId: toPlain(before.containerId),
      } as ContainerKey,
      isoType: undefined,
    }
  const root = (k: string) => decoded[0]?.ops.find((o) => o.obj === '_root' && o.key === k)?.value as string
  return {
    key: { vessel: root('vessel'), voyage: root('voyage'), containerId: root('containerId') },
    isoType: root('isoType'),
  }
}

const asResult = (decisions: ChangeDecision[]): IngestResult => ({
  accepted: decisions.filter((d) => d.accepted).map((d) => d.hash),
  refused: decisions
    .filter((d) => !d.accepted)
    .map((d) => ({ hash: d.hash, reason: d.reason ?? '', ...(d.field ? { field: d.field } : {}) })),
})

function ingestThrough(p: (typeof PATHS)[number]): AuthorityIngest {
  const dir = tempDir()
  const s = openSide(path.join(dir, `${p.side}.sqlite`))
  return {
    bind(actor, principal) {
      s.registry.bind({
        actor,
        principal: principal.id,
        kind: principal.kind,
        role: principal.role,
        name: principal.name,
      })
    },
    async submit(sender, before, changes) {
      const decoded = changes.map((c) => A.decodeChange(c))
      const { key, isoType } = containerOf(before, decoded)
      if (A.getHeads(before).length > 0) s.store.put(key, before)
      if (p.commit === 'link') return linkSubmit(s, p, sender, before, changes, decoded, key, isoType)
      // Outside the link a document exists before anything is written to it: created from its genesis.
      const docId = documentIdFor(key)
      if (!s.store.row(docId) && isoType) s.store.create(key, isoType, 'remote')
      const validate = validatorFor(s, sender)
      if (p.commit === 'local-edit') {
        try {
          admitLocalEdit({
            path: p.path,
            store: s.store,
            deadLetters: s.deadLetters,
            validate,
            docId,
            actor: 'ab'.repeat(16),
            principal: sender.id,
            edit: (doc) => decoded.reduce((d, c) => A.loadIncremental(d, A.encodeChange(c)), doc),
          })
          return { accepted: decoded.map((c) => c.hash), refused: [] }
        } catch (err) {
          if (!(err instanceof EditRefusedError)) throw err
          return asResult(err.decisions)
        }
      }
      const doc = s.store.load(docId)!
      const row = s.store.row(docId)!
      const admission = s.store.db.transaction(() =>
        admitChanges({
          path: p.path,
          validate,
          deadLetters: s.deadLetters,
          docId,
          key,
          isoType: row.iso_type,
          doc,
          index: p.path.atomic ? ObjectIndex.fromDoc(doc) : s.store.objectIndex(docId)!,
          refused: s.deadLetters
            .list({ docId, status: 'open', limit: 10_000 })
            .flatMap((d) => (d.changeHash ? [d.changeHash] : [])),
          changes: decoded,
          bytesOf: (i) => changes[i]!,
          recordAs: () => sender.id,
          commit: (_, indices) =>
            s.store.applyRemote(
              docId,
              key,
              indices.map((i) => changes[i]!),
            ),
        }),
      )()
      return asResult(admission.decisions)
    },
    close() {
      s.db.close()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A chunk as the link carries it: one bundle holding exactly the submitted changes. */
function linkSubmit(
  s: Side,
  p: (typeof PATHS)[number],
  sender: Principal,
  before: A.Doc<ContainerDoc>,
  changes: Uint8Array[],
  decoded: A.DecodedChange[],
  key: ContainerKey,
  isoType: string | undefined,
): IngestResult {
  let all = A.clone(before)
  for (const c of changes) all = A.loadIncremental(all, c)
  const bundle = A.saveBundle(
    all,
    decoded.map((c) => c.hash),
  )
  const replica = new SqliteLinkReplica({
    store: s.store,
    cursors: s.cursors,
    registry: s.registry,
    deadLetters: s.deadLetters,
    peer: p.side === 'relay' ? sender.id : 'relay',
    vessel: key.vessel,
    peerPrincipal: sender.id,
    trustBinding: () => false,
    validate: validatorFor(s, sender),
    path: p.path,
    logger,
  })
  const result = replica.ingest({
    actors: [],
    entries: [{ c: key.containerId, y: key.voyage, ...(isoType ? { i: isoType } : {}), b: bundle }],
  })
  const refusedHashes = new Set(result.rejected.map((r) => r.h))
  return {
    accepted: decoded.filter((c) => !refusedHashes.has(c.hash)).map((c) => c.hash),
    refused: result.rejected.map((r) => ({
      hash: r.h,
      reason: r.reason,
      ...(r.field ? { field: r.field } : {}),
    })),
  }
}

for (const p of PATHS) runAuthoritySuite(p.path.name, () => ingestThrough(p), { atomic: p.path.atomic })
