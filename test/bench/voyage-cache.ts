/**
 * Building a voyage runs every event through Automerge one change at a time (minutes for 21 days),
 * so benchmarks keep each built voyage in bench-results/cache and load it on later runs.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as A from '@automerge/automerge'
import { Encoder } from 'cbor-x'
import { buildVoyage } from '@tally/voyage-sim'
import type { BuildVoyageOptions, Replica, Voyage } from '@tally/voyage-sim'
import type { ContainerDoc } from '@tally/manifest'

const CACHE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench-results/cache')
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true })
/** Bump when the workload generator changes, so stale caches are not reused. */
const FORMAT = 1

const saveReplica = (docs: Replica) => [...docs].map(([id, doc]) => [id, A.save(doc)])
const loadReplica = (entries: [string, Uint8Array][], actor: string): Replica =>
  new Map(entries.map(([id, bytes]) => [id, A.load<ContainerDoc>(bytes, { actor: actor as A.ActorId })]))

export function cachedVoyage(
  options: BuildVoyageOptions,
  log: (line: string) => void = () => {},
  build: (o: BuildVoyageOptions) => Voyage = buildVoyage,
): Voyage {
  const name = `voyage-v${FORMAT}-${build === buildVoyage ? 'js' : 'backend'}-s${options.seed ?? 1}-c${options.containers ?? 2000}-d${options.days}-synced${options.syncedDays ?? 0}.cbor`
  const file = path.join(CACHE, name)
  if (fs.existsSync(file)) {
    const raw = cbor.decode(fs.readFileSync(file)) as any
    return {
      ...raw.meta,
      baseHeads: new Map(raw.baseHeads),
      vesselDocs: loadReplica(raw.vesselDocs, raw.meta.vesselActor),
      shoreDocs: loadReplica(raw.shoreDocs, raw.meta.shoreActor),
    }
  }
  log(`building ${name} (one Automerge change per event; cached for later runs)`)
  const v = build(options)
  fs.mkdirSync(CACHE, { recursive: true })
  const { baseHeads, vesselDocs, shoreDocs, ...meta } = v
  fs.writeFileSync(
    file,
    cbor.encode({
      meta,
      baseHeads: [...baseHeads],
      vesselDocs: saveReplica(vesselDocs),
      shoreDocs: saveReplica(shoreDocs),
    }),
  )
  return v
}
