/**
 * The crew UI's benchmarks (docs/benchmarks.md "Vessel node"): on a real vessel node holding a voyage
 * of 2,000 containers (booked through the relay's REST API and received in a link window, as the e2e
 * tests do), the latency of the list and search endpoints, p50 and p99 over sequential requests on
 * one keep-alive connection from this process over loopback, and the time to first render of the
 * list in Chromium (navigation start to the first container row on screen), signed in.
 *
 * Targets: list and search p99 < 100 ms; first render < 1 s.
 */
import type { Browser } from 'playwright-core'
import { mulberry32 } from '@tally/voyage-sim'
import { ensureCrewUiBuilt, launchChromium, TABLET } from '../e2e/crew-browser.ts'
import { startCrewWorld } from '../e2e/crew-fixture.ts'
import type { CrewWorld } from '../e2e/crew-fixture.ts'
import { median } from './report.ts'
import type { BenchOptions, BenchRow } from './report.ts'

export interface CrewBenchOptions extends Partial<BenchOptions> {
  /** Timed requests per query kind (after a warm-up). Default 200. */
  requests?: number
  /** Page loads timed in Chromium, each in a fresh browser context. Default 5. */
  renders?: number
}

export const CREW_BENCH_DEFAULTS = { seed: 1, containers: 2_000, requests: 200, renders: 5 }
const SECTION = 'crew UI'
const LATENCY_TARGET_MS = 100
const RENDER_TARGET_MS = 1_000
const WARM_UP = 20
/** The crew UI keeps the token here (vessel-node/web/src/App.tsx). */
const TOKEN_KEY = 'tally.crew.token'

/** Nearest-rank percentile. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

const round = (ms: number) => Math.round(ms * 10) / 10

/** Times `paths` (cycled) against the vessel node; throws on any non-200. */
async function timeRequests(world: CrewWorld, paths: readonly string[], n: number): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < n + WARM_UP; i++) {
    const path = paths[i % paths.length]!
    const start = performance.now()
    const res = await world.vesselApi(path)
    const body = (await res.json()) as { total?: number }
    const ms = performance.now() - start
    if (res.status !== 200 || typeof body.total !== 'number')
      throw new Error(`${path}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`)
    if (i >= WARM_UP) times.push(ms)
  }
  return times
}

function latencyRows(metric: string, times: readonly number[], what: string): BenchRow[] {
  const p99 = percentile(times, 99)
  return [
    {
      section: SECTION,
      metric: `${metric} p50`,
      value: round(percentile(times, 50)),
      unit: 'ms',
      note: what,
    },
    {
      section: SECTION,
      metric: `${metric} p99`,
      value: round(p99),
      unit: 'ms',
      note: `${times.length} requests; target < ${LATENCY_TARGET_MS} ms: ${p99 < LATENCY_TARGET_MS ? 'met' : 'MISSED'}`,
    },
  ]
}

/** Queries a crew member would type: part of a container number, a booking, a bay and row. */
function searchPaths(world: CrewWorld, count: number, seed: number): string[] {
  const random = mulberry32(seed)
  const pick = () => world.manifest[Math.floor(random() * world.manifest.length)]!
  const paths: string[] = []
  for (let i = 0; i < count; i++) {
    const e = pick()
    const q =
      i % 3 === 0
        ? e.containerId.slice(0, 7)
        : i % 3 === 1
          ? e.cargo.booking!
          : e.physical.stowage.slice(0, 5)
    paths.push(`/api/containers?q=${encodeURIComponent(q)}&sort=stowage&limit=100`)
  }
  return paths
}

/** List pages as the UI asks for them: every page of 100, by stowage, and filtered views. */
function listPaths(world: CrewWorld): string[] {
  const pages = Math.ceil(world.manifest.length / 100)
  const bays = [...new Set(world.manifest.map((e) => e.physical.stowage.slice(0, 3)))]
  const paths: string[] = []
  for (let p = 0; p < pages; p++) paths.push(`/api/containers?sort=stowage&limit=100&offset=${p * 100}`)
  paths.push('/api/containers?reefer=true&sort=stowage&limit=100')
  paths.push('/api/containers?dg=true&sort=stowage&limit=100')
  paths.push('/api/containers?customs=PENDING&sort=-updated&limit=100')
  for (const bay of bays.slice(0, 5)) paths.push(`/api/containers?bay=${bay}&sort=stowage&limit=100`)
  return paths
}

/** Navigation start to the first container row, signed in, in a fresh context each time. */
async function timeFirstRender(browser: Browser, world: CrewWorld, runs: number): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < runs + 1; i++) {
    const context = await browser.newContext({ viewport: TABLET })
    try {
      await context.addInitScript(
        ([key, token]) => {
          localStorage.setItem(key!, token!)
          // Time the first row from the navigation's time origin, as soon as React puts it in.
          new MutationObserver((_, observer) => {
            if (!document.querySelector('[data-testid=container-row]')) return
            ;(window as unknown as { firstRowMs: number }).firstRowMs = performance.now()
            observer.disconnect()
          }).observe(document, { childList: true, subtree: true })
        },
        [TOKEN_KEY, world.tokens.crew],
      )
      const page = await context.newPage()
      await page.goto(`${world.vessel.url}/`)
      await page.getByTestId('container-row').first().waitFor({ timeout: 30_000 })
      // Painted, not only inserted: wait for the next frame.
      const ms = await page.evaluate(
        () =>
          new Promise<number>((resolve) =>
            requestAnimationFrame(() => resolve((window as unknown as { firstRowMs: number }).firstRowMs)),
          ),
      )
      // The first load warms the node's view cache and Chromium's process; it is not counted.
      if (i > 0) times.push(ms)
    } finally {
      await context.close()
    }
  }
  return times
}

export async function runCrewBenchmarks(options: CrewBenchOptions = {}): Promise<BenchRow[]> {
  const opts = {
    ...CREW_BENCH_DEFAULTS,
    log: (line: string) => process.stderr.write(`[crew] ${line}\n`),
    ...options,
  }
  const setup: string[] = []
  opts.log(`starting relay and vessel node, booking ${opts.containers} containers`)
  const [world, browser] = await Promise.all([
    startCrewWorld({
      containers: opts.containers,
      seed: opts.seed,
      log: (l) => (setup.push(l), opts.log(l)),
    }),
    launchChromium(),
    ensureCrewUiBuilt(),
  ]).then(([w, b]) => [w, b] as const)
  try {
    const rows: BenchRow[] = []
    const figure = (pattern: RegExp) => Number(setup.map((l) => pattern.exec(l)?.[1]).find(Boolean) ?? NaN)
    rows.push(
      {
        section: SECTION,
        metric: 'book voyage via relay REST',
        value: figure(/booked \d+ containers in (\d+) ms/),
        unit: 'ms',
        note: `${opts.containers} containers, POST /api/vessels/:imo/containers in batches of 500`,
      },
      {
        section: SECTION,
        metric: 'first link window',
        value: figure(/first link window delivered \d+ containers in (\d+) ms/),
        unit: 'ms',
        note: 'vessel node start to every container listed, over the simulated link at 50 Mbit/s',
      },
    )
    opts.log('timing list requests')
    const list = await timeRequests(world, listPaths(world), opts.requests)
    rows.push(
      ...latencyRows('list (GET /api/containers)', list, 'pages of 100 by stowage, and filtered views'),
    )
    opts.log('timing search requests')
    const search = await timeRequests(world, searchPaths(world, opts.requests, opts.seed), opts.requests)
    rows.push(...latencyRows('search (q=)', search, 'number prefix, booking, bay and row; 100 per page'))
    opts.log('timing first render in Chromium')
    const renders = await timeFirstRender(browser, world, opts.renders)
    const render = median(renders)
    rows.push({
      section: SECTION,
      metric: 'first render of the list',
      value: Math.round(render),
      unit: 'ms',
      note: `median of ${renders.length} fresh loads (max ${Math.round(Math.max(...renders))} ms), navigation start to the first row; target < ${RENDER_TARGET_MS} ms: ${render < RENDER_TARGET_MS ? 'met' : 'MISSED'}`,
    })
    return rows
  } finally {
    await browser.close()
    await world.close()
  }
}
