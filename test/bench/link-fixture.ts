/**
 * Loads a simulated voyage into a relay store and a vessel store on SQLite, with cursors and sync
 * tokens as a previous link window would have left them, so one session moves exactly the backlog.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as A from '@automerge/automerge'
import type { ContainerKey } from '@tally/manifest'
import { documentIdFor } from '@tally/manifest'
import type { Voyage } from '@tally/voyage-sim'
import { openSide } from '../link/fixtures.ts'
import type { Side } from '../link/fixtures.ts'

export interface LoadedVoyage {
  dir: string
  relay: Side
  vessel: Side
  /** Changes each side holds that the other lacks. */
  vesselChanges: number
  shoreChanges: number
}

const SYNC_TOKEN = 'bench-previous-window'

/** Opens the two databases a loaded voyage left in `dir` (after the processes that used them stopped). */
function reopen(dir: string): LoadedVoyage {
  return {
    dir,
    relay: openSide(path.join(dir, 'relay.sqlite')),
    vessel: openSide(path.join(dir, 'vessel.sqlite')),
    vesselChanges: 0,
    shoreChanges: 0,
  }
}

export function loadVoyage(v: Voyage): LoadedVoyage {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-bench-'))
  const relay = openSide(path.join(dir, 'relay.sqlite'))
  const vessel = openSide(path.join(dir, 'vessel.sqlite'))
  for (const side of [relay, vessel]) {
    side.registry.bind({
      actor: v.vesselActor,
      principal: v.vessel,
      kind: 'vessel',
      role: 'vessel',
      name: 'crew',
    })
    side.registry.bind({
      actor: v.shoreActor,
      principal: 'user:clerk',
      kind: 'user',
      role: 'shore',
      name: 'clerk',
    })
  }
  let vesselChanges = 0
  let shoreChanges = 0
  const load = (side: Side, docs: Voyage['vesselDocs'], peer: string) =>
    side.db.transaction(() => {
      for (const [containerId, doc] of docs) {
        const key: ContainerKey = { vessel: v.vessel, voyage: v.voyage, containerId }
        side.store.put(key, doc)
        side.cursors.setHeads(peer, documentIdFor(key), v.baseHeads.get(containerId)!)
      }
      side.cursors.setSyncToken(peer, SYNC_TOKEN)
    })()
  load(relay, v.shoreDocs, v.vessel)
  load(vessel, v.vesselDocs, 'relay')
  for (const [id, doc] of v.vesselDocs) vesselChanges += A.getChangesSince(doc, v.baseHeads.get(id)!).length
  for (const [id, doc] of v.shoreDocs) shoreChanges += A.getChangesSince(doc, v.baseHeads.get(id)!).length
  return { dir, relay, vessel, vesselChanges, shoreChanges }
}

loadVoyage.reopen = reopen

/** True when every container has the same heads on both sides. */
export function converged(l: LoadedVoyage): boolean {
  for (const row of l.relay.store.index.allHeads()) {
    const other = l.vessel.store.row(row.doc_id)
    if (!other || [...JSON.parse(row.heads)].sort().join() !== [...JSON.parse(other.heads)].sort().join())
      return false
  }
  return true
}

export function closeVoyage(l: LoadedVoyage): void {
  l.relay.db.close()
  l.vessel.db.close()
  fs.rmSync(l.dir, { recursive: true, force: true })
}
