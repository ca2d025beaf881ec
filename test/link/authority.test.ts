/**
 * Authority on the link ingest paths (docs/architecture.md, paths 2 and 3): policy's acceptance suite run
 * against the relay's ingest of a vessel's chunk and the vessel's ingest of the relay's chunk, through
 * the same SqliteLinkReplica, SQLite store and chunk codec the link uses.
 */
import fs from 'node:fs'
import path from 'node:path'
import * as A from '@automerge/automerge'
import { runAuthoritySuite } from '@tally/policy/suite'
import type { Principal } from '@tally/policy'
import { toPlain } from '@tally/manifest'
import type { ContainerDoc } from '@tally/manifest'
import { SqliteLinkReplica, policyValidator } from '@tally/replica'
import { logger, openSide, tempDir } from './fixtures.ts'

function linkIngest(side: 'relay' | 'vessel') {
  const dir = tempDir()
  const s = openSide(path.join(dir, `${side}.sqlite`))
  return {
    bind(actor: string, p: Principal) {
      s.registry.bind({ actor, principal: p.id, kind: p.kind, role: p.role, name: p.name })
    },
    async submit(sender: Principal, before: A.Doc<ContainerDoc>, changes: Uint8Array[]) {
      const vessel = toPlain(before.vessel) as string | undefined
      const key = vessel
        ? { vessel, voyage: toPlain(before.voyage), containerId: toPlain(before.containerId) }
        : undefined
      if (key && A.getHeads(before).length > 0) s.store.put(key, before)
      // The link carries bundles: build one holding exactly the submitted changes.
      let all = A.clone(before)
      for (const c of changes) all = A.loadIncremental(all, c)
      const decoded = changes.map((c) => A.decodeChange(c))
      const bundle = A.saveBundle(
        all,
        decoded.map((c) => c.hash),
      )
      const entryKey = key ?? {
        vessel: decoded[0]?.ops.find((o) => o.key === 'vessel')?.value as string,
        voyage: decoded[0]?.ops.find((o) => o.key === 'voyage')?.value as string,
        containerId: decoded[0]?.ops.find((o) => o.key === 'containerId')?.value as string,
      }
      const isoType = key ? undefined : (decoded[0]?.ops.find((o) => o.key === 'isoType')?.value as string)
      const replica = new SqliteLinkReplica({
        store: s.store,
        cursors: s.cursors,
        registry: s.registry,
        deadLetters: s.deadLetters,
        peer: side === 'relay' ? sender.id : 'relay',
        vessel: entryKey.vessel,
        peerPrincipal: sender.id,
        trustBinding: () => false,
        validate: policyValidator(s.registry, sender.kind === 'system' ? 'relay' : sender),
        logger,
      })
      const result = replica.ingest({
        actors: [],
        entries: [
          { c: entryKey.containerId, y: entryKey.voyage, ...(isoType ? { i: isoType } : {}), b: bundle },
        ],
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
    },
    close() {
      s.db.close()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

runAuthoritySuite('relay ingest of a vessel chunk', () => linkIngest('relay'))
runAuthoritySuite('vessel ingest of a relay chunk', () => linkIngest('vessel'))
