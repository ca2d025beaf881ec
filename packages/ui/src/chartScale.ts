/**
 * Scales and ticks for the reefer chart: linear maps from data to pixels, "nice" temperature ticks
 * and time ticks on round hours or days (UTC).
 */

export interface LinearScale {
  (value: number): number
  domain: [number, number]
}

export function linearScale(domain: [number, number], range: [number, number]): LinearScale {
  const [d0, d1] = domain
  const [r0, r1] = range
  const span = d1 - d0 || 1
  const scale = ((v: number) => r0 + ((v - d0) / span) * (r1 - r0)) as LinearScale
  scale.domain = domain
  return scale
}

/** Temperature ticks at a round step (0.5, 1, 2, 5, 10 °C…) giving about `count` ticks. */
export function niceTicks(
  min: number,
  max: number,
  count = 5,
): { ticks: number[]; domain: [number, number] } {
  const raw = (max - min) / Math.max(1, count)
  const steps = [0.5, 1, 2, 2.5, 5, 10, 20, 25, 50]
  const step = steps.find((s) => s >= raw) ?? 50
  const lo = Math.floor(min / step) * step
  const hi = Math.ceil(max / step) * step
  const ticks: number[] = []
  for (let v = lo, i = 0; v <= hi + step / 1000 && i < 100; v += step, i++) ticks.push(Number(v.toFixed(2)))
  return { ticks, domain: [lo, hi] }
}

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** Time ticks on round UTC hours or days, about `count` of them; `daily` when a tick spans days. */
export function timeTicks(t0: number, t1: number, count = 6): { ticks: number[]; daily: boolean } {
  const steps = [HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 3 * DAY, 7 * DAY, 14 * DAY]
  const raw = (t1 - t0) / Math.max(1, count)
  const step = steps.find((s) => s >= raw) ?? 14 * DAY
  const first = Math.ceil(t0 / step) * step
  const ticks: number[] = []
  for (let t = first, i = 0; t <= t1 && i < 100; t += step, i++) ticks.push(t)
  return { ticks, daily: step >= DAY || t1 - t0 > DAY }
}

/** Breaks a series into runs where consecutive points are at most `maxGapMs` apart. */
export function splitAtGaps<T>(points: readonly T[], timeOf: (p: T) => number, maxGapMs: number): T[][] {
  const runs: T[][] = []
  let run: T[] = []
  for (const p of points) {
    const last = run[run.length - 1]
    if (last !== undefined && timeOf(p) - timeOf(last) > maxGapMs) {
      runs.push(run)
      run = []
    }
    run.push(p)
  }
  if (run.length > 0) runs.push(run)
  return runs
}
