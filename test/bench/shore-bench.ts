/**
 * The shore UI's benchmarks (docs/benchmarks.md):
 *
 * - **Edit propagation between two browsers** on loopback: two Chromium contexts signed in as
 *   different users on one container; one types into the collaborative notes, and the time until
 *   the text is in the other browser's textarea is measured in the browsers themselves (same
 *   machine, same clock), p50 and p99 over isolated edits.
 * - **Relay memory with 20,000 documents opened over time**: a relay process over a data directory
 *   of 20,000 container documents; stock automerge-repo clients (`WebSocketClientAdapter`) connect
 *   one after another, each opening its share of the documents and leaving; the relay's resident
 *   memory (its own `/metrics`) and its open Repo handles are sampled as it goes. Idle handles are
 *   evicted (relay/src/sync/handle-keeper.ts), so memory should level off rather than grow.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as A from '@automerge/automerge'
import { cbor } from '@automerge/automerge-repo'
import { WebSocket } from 'ws'
import { applyPatch, documentIdFor, genesisDoc, withCheckDigit } from '@tally/manifest'
import { ContainerStore } from '@tally/replica'
import { openRelayStores, RELAY_DB_FILE } from '../../relay/src/stores.ts'
import { containerNo, startShoreWorld, VESSEL } from '../e2e/shore-fixture.ts'
import { startRelayProcess } from '../support/processes.ts'
import { median } from './report.ts'
import type { BenchOptions, BenchRow } from './report.ts'

export interface ShoreBenchOptions extends Partial<BenchOptions> {
  /** Timed notes edits between the two browsers (after a warm-up). Default 60. */
  edits?: number
  /** Documents opened over /sync for the memory run. Default 20,000. */
  documents?: number
  /** Documents per client before it leaves and the next one connects. Default 1,000. */
  perClient?: number
}

export const SHORE_BENCH_DEFAULTS = { edits: 60, documents: 20_000, perClient: 1_000 }
const SECTION = 'shore UI'
const WARM_UP = 5
/** Pause between timed edits, so each one is isolated rather than batched with the previous. */
const EDIT_GAP_MS = 250
const EDIT_TIMEOUT_MS = 10_000
/** Documents a client asks for at once. */
const OPEN_CONCURRENCY = 64
const SAMPLE_EVERY = 2_000
const VOYAGE = '031W'

/** Nearest-rank percentile. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10

export async function runShoreBenchmarks(options: ShoreBenchOptions = {}): Promise<BenchRow[]> {
  const opts = {
    ...SHORE_BENCH_DEFAULTS,
    log: (line: string) => process.stderr.write(`[shore] ${line}\n`),
    ...options,
  }
  return [
    ...(await propagation(opts.edits, opts.log)),
    ...(await memory(opts.documents, opts.perClient, opts.log)),
  ]
}

/** Notes typed in one browser, seen in the other: ms per edit. */
async function propagation(edits: number, log: (line: string) => void): Promise<BenchRow[]> {
  log('building the shore UI, starting relay, vessel node and Chromium')
  const world = await startShoreWorld()
  try {
    const url = `${world.baseUrl}#/c/${VESSEL}/024E/${containerNo(7)}`
    const open = async (user: (typeof world.users)['alice']) => {
      const { page } = await world.signedIn(user)
      await page.goto(url)
      await page.getByTestId('notes-text').waitFor()
      return page
    }
    const writer = await open(world.users.alice)
    const reader = await open(world.users.carl)
    // The reader notes when each marker first appears in its textarea, by watching the value the
    // notes editor writes (it assigns `value` when a remote change arrives).
    // A string, not a function: tsx's esbuild adds a `__name` helper to functions, and the page has none.
    await reader.evaluate(`(() => {
      const el = document.querySelector('[data-testid=notes-text]')
      const seen = {}
      const proto = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')
      Object.defineProperty(el, 'value', {
        get: () => proto.get.call(el),
        set: (v) => {
          proto.set.call(el, v)
          for (const m of v.match(/#\\d+#/g) ?? []) seen[m] ??= Date.now()
        },
      })
      window.seen = seen
    })()`)
    const times: number[] = []
    log(`timing ${edits} notes edits between two browsers`)
    for (let i = 0; i < edits + WARM_UP; i++) {
      const marker = `#${i}#`
      const sentAt = (await writer.evaluate(`(() => {
        const el = document.querySelector('[data-testid=notes-text]')
        const at = Date.now()
        el.value = el.value + '${marker} '
        el.dispatchEvent(new Event('input', { bubbles: true }))
        return at
      })()`)) as number
      const seenAt = await reader.waitForFunction(`window.seen['${marker}']`, undefined, {
        timeout: EDIT_TIMEOUT_MS,
        polling: 5,
      })
      if (i >= WARM_UP) times.push(((await seenAt.jsonValue()) as number) - sentAt)
      await new Promise((r) => setTimeout(r, EDIT_GAP_MS))
    }
    const p50 = percentile(times, 50)
    const p99 = percentile(times, 99)
    return [
      {
        section: SECTION,
        metric: 'edit propagation p50',
        value: p50,
        unit: 'ms',
        note: `notes edit typed in one Chromium context until it is in another's textarea, via the relay on loopback; ${times.length} isolated edits`,
      },
      {
        section: SECTION,
        metric: 'edit propagation p99',
        value: p99,
        unit: 'ms',
        note: `max ${Math.max(...times)} ms, median ${median(times)} ms`,
      },
    ]
  } finally {
    await world.close()
  }
}

const CACHE = path.resolve(import.meta.dirname, '../../bench-results/cache')
/** Bump when the seeded documents change, so a stale cache is not reused. */
const SEED_FORMAT = 1

/**
 * A relay data directory with `n` container documents (genesis and booking data each). Building a
 * genesis takes milliseconds, so the database is kept in bench-results/cache and copied per run.
 */
function seededRelay(
  dir: string,
  n: number,
  log: (line: string) => void,
): { token: string; scrapeToken: string; docIds: string[] } {
  const cached = path.join(CACHE, `shore-relay-v${SEED_FORMAT}-${n}.sqlite`)
  const keys = Array.from({ length: n }, (_, i) => ({
    vessel: VESSEL,
    voyage: VOYAGE,
    containerId: withCheckDigit(`BNCU${String(i).padStart(6, '0')}`),
  }))
  if (!fs.existsSync(cached)) {
    log(`seeding ${n} container documents (kept in ${path.relative(process.cwd(), cached)} for later runs)`)
    const build = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-shore-seed-'))
    const stores = openRelayStores(build)
    try {
      const store = new ContainerStore(stores.db, { cacheSize: 1 })
      const actor = '5eed'.repeat(8)
      stores.registry.bind({ actor, principal: 'user:seed', kind: 'user', role: 'shore', name: 'seed' })
      const batch = stores.db.transaction((from: number, to: number) => {
        for (let i = from; i < to; i++) {
          const doc = applyPatch(
            A.clone(genesisDoc(keys[i]!, '22G1'), { actor: actor as A.ActorId }),
            { cargo: { booking: `BK${i}`, pol: 'KRPUS', pod: 'USLAX', vgmKg: 20_000 + (i % 5000) } },
            'shore',
          )
          store.put(keys[i]!, doc)
        }
      })
      for (let i = 0; i < n; i += 1000) batch(i, Math.min(n, i + 1000))
      stores.db.pragma('wal_checkpoint(TRUNCATE)')
    } finally {
      stores.db.close()
    }
    fs.mkdirSync(CACHE, { recursive: true })
    fs.copyFileSync(path.join(build, RELAY_DB_FILE), cached)
    fs.rmSync(build, { recursive: true, force: true })
  }
  fs.copyFileSync(cached, path.join(dir, RELAY_DB_FILE))
  const stores = openRelayStores(dir)
  try {
    return {
      token: stores.tokens.issue('user', 'bench', 'shore'),
      // /metrics needs an ops or scrape token (docs/operations.md, "Metrics").
      scrapeToken: stores.tokens.issue('user', 'bench-scrape', 'metrics'),
      docIds: keys.map(documentIdFor),
    }
  } finally {
    stores.db.close()
  }
}

async function relayFigures(
  url: string,
  scrapeToken: string,
): Promise<{ rss: number; open: number; evictions: number }> {
  const text = await (
    await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${scrapeToken}` } })
  ).text()
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)
  return {
    rss: metric('process_resident_memory_bytes'),
    open: metric('tally_sync_open_documents'),
    evictions: metric('tally_sync_evictions'),
  }
}

/**
 * A bare client of automerge-repo's WebSocket protocol: it asks for documents the way a Repo does
 * (a `request` with an empty document's first sync message) and counts a document as open when the
 * relay's answer arrives, without building the document itself. The relay does all its work (load,
 * handle, sync state, the full document sent), while the benchmark process stays out of the way.
 */
async function openDocuments(syncUrl: string, peerId: string, docIds: readonly string[]): Promise<void> {
  const ws = new WebSocket(syncUrl)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const [, request] = A.generateSyncMessage(A.init(), A.initSyncState())
  const waiting = new Map<string, () => void>()
  let relay = ''
  const joined = new Promise<void>((resolve) => {
    ws.on('message', (data) => {
      const m = cbor.decode(data as Buffer) as { type: string; senderId: string; documentId?: string }
      if (m.type === 'peer') {
        relay = m.senderId
        resolve()
      } else if (m.documentId) waiting.get(m.documentId)?.()
    })
  })
  ws.send(cbor.encode({ type: 'join', senderId: peerId, peerMetadata: {}, supportedProtocolVersions: ['1'] }))
  await joined
  let next = 0
  const worker = async () => {
    while (next < docIds.length) {
      const documentId = docIds[next++]!
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer for ${documentId}`)), 30_000)
        waiting.set(documentId, () => {
          clearTimeout(timer)
          waiting.delete(documentId)
          resolve()
        })
        ws.send(
          cbor.encode({ type: 'request', senderId: peerId, targetId: relay, documentId, data: request }),
        )
      })
    }
  }
  await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, worker))
  ws.close()
}

/** Opens every document over /sync, a client's share at a time, sampling the relay's memory. */
async function memory(
  documents: number,
  perClient: number,
  log: (line: string) => void,
): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-shore-bench-'))
  try {
    const { token, scrapeToken, docIds } = seededRelay(dir, documents, log)
    log('starting the relay process')
    const relay = await startRelayProcess(dir)
    try {
      const syncUrl = `${relay.url.replace('http', 'ws')}/sync?token=${token}`
      const start = await relayFigures(relay.url, scrapeToken)
      const samples: { opened: number; rss: number; open: number }[] = []
      let peak = start.rss
      let maxOpen = 0
      const began = performance.now()
      for (let from = 0, client = 0; from < docIds.length; from += perClient, client++) {
        const share = docIds.slice(from, from + perClient)
        await openDocuments(syncUrl, `bench-${client}`, share).catch((err: Error) => {
          throw new Error(
            `${err.message}; the relay said:\n${relay.output().split('\n').slice(-15).join('\n')}`,
          )
        })
        const opened = from + share.length
        if (opened % SAMPLE_EVERY === 0 || opened === docIds.length) {
          const f = await relayFigures(relay.url, scrapeToken)
          samples.push({ opened, rss: f.rss, open: f.open })
          peak = Math.max(peak, f.rss)
          maxOpen = Math.max(maxOpen, f.open)
          log(`${opened} documents opened: relay RSS ${mb(f.rss)} MB, ${f.open} open handles`)
        }
      }
      const seconds = (performance.now() - began) / 1000
      const end = await relayFigures(relay.url, scrapeToken)
      const half = samples[Math.floor(samples.length / 2) - 1] ?? samples[0]!
      return [
        {
          section: SECTION,
          metric: 'relay RSS before /sync clients',
          value: mb(start.rss),
          unit: 'MB',
          note: `relay process over ${documents.toLocaleString('en-US')} container documents, nothing opened yet`,
        },
        {
          section: SECTION,
          metric: `relay RSS peak, ${documents.toLocaleString('en-US')} documents opened`,
          value: mb(peak),
          unit: 'MB',
          note: `${Math.ceil(documents / perClient)} clients in turn, ${perClient} documents each; sampled every ${SAMPLE_EVERY}`,
        },
        {
          section: SECTION,
          metric: 'relay RSS growth, second half',
          value: mb(samples.at(-1)!.rss - half.rss),
          unit: 'MB',
          note: `from ${half.opened.toLocaleString('en-US')} to ${samples.at(-1)!.opened.toLocaleString('en-US')} documents opened; idle handles are evicted`,
        },
        {
          section: SECTION,
          metric: 'relay Repo handles, most open at once',
          value: maxOpen,
          unit: 'handles',
          note: `${end.evictions.toLocaleString('en-US')} evicted; cap 1,000, idle after 60 s (relay/src/sync/handle-keeper.ts)`,
        },
        {
          section: SECTION,
          metric: 'documents opened over /sync per second',
          value: Math.round(documents / seconds),
          unit: 'docs/s',
          note: `request answered with the whole document, ${OPEN_CONCURRENCY} in flight, loopback`,
        },
      ]
    } finally {
      await relay.stop()
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
