/**
 * The shape every benchmark section reports, and the helpers to print and save it. Sections return
 * rows; run.ts prints one aligned table and writes bench-results/latest.json.
 */
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'

export interface BenchRow {
  section: string
  metric: string
  /** null when the measurement could not be taken (the note says why). */
  value: number | string | null
  unit: string
  note: string
}

/** Options every section accepts; each section ignores what it does not use. */
export interface BenchOptions {
  seed: number
  containers: number
  /** The voyage day measured (0-based). The days before it are synced on both sides. */
  day: number
  /** Progress lines go here (stderr by default), never into the table. */
  log: (line: string) => void
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Brotli at quality 11 (the best, as the link would use for a satellite hop). */
export function brotliSize(data: Uint8Array): number {
  return zlib.brotliCompressSync(data, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  }).length
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)))
}

export async function timedMs<T>(fn: () => T | Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now()
  const result = await fn()
  return { ms: performance.now() - start, result }
}

function formatValue(value: BenchRow['value']): string {
  if (value === null) return '—'
  if (typeof value === 'string') return value
  if (Number.isInteger(value)) return value.toLocaleString('en-US')
  return value.toLocaleString('en-US', { maximumFractionDigits: Math.abs(value) < 10 ? 2 : 1 })
}

/** One aligned plain-text table; numbers right-aligned. */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['section', 'metric', 'value', 'unit', 'note']
  const cells = rows.map((r) => [r.section, r.metric, formatValue(r.value), r.unit, r.note])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: string[]) =>
    c
      .map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : i === 4 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [
    line(header),
    widths.map((w, i) => '-'.repeat(i === 4 ? 4 : w)).join('  '),
    ...cells.map(line),
  ].join('\n')
}

/** Writes `{at, options, rows}` as JSON, creating the directory. */
export function writeResults(file: string, rows: readonly BenchRow[], meta: Record<string, unknown>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), ...meta, rows }, null, 2) + '\n')
}
