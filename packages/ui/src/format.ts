/**
 * Formatting of view values for people: times in UTC (a ship crosses time zones; the crew and the
 * shore agree on UTC), temperatures, bytes, money and principals. Pure functions, no React.
 */
import { fieldSpec } from '@tally/manifest'
import type { DangerousGoods, ReeferAlarm } from '@tally/manifest'

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const pad = (n: number): string => String(n).padStart(2, '0')

/** `22 Nov 10:04 UTC`; the year is added when it is not `nowYear`. Unparseable input is returned as is. */
export function formatTime(iso: string | null | undefined, nowYear = new Date().getUTCFullYear()): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const year = d.getUTCFullYear() === nowYear ? '' : ` ${d.getUTCFullYear()}`
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}${year} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`
}

/** A short date-time for chart axes: `22 Nov 10:00`. */
export function formatAxisTime(ms: number, withDate: boolean): string {
  const d = new Date(ms)
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
  return withDate ? `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${time}` : time
}

/** `3 min ago`, `2 h ago`, `in 5 min`; `—` for no time. */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—'
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return iso
  const seconds = Math.round((now - t) / 1000)
  const abs = Math.abs(seconds)
  const [n, unit] =
    abs < 45
      ? [0, 'now']
      : abs < 3600
        ? [Math.round(abs / 60), 'min']
        : abs < 86_400 * 2
          ? [Math.round(abs / 3600), 'h']
          : [Math.round(abs / 86_400), 'days']
  if (unit === 'now') return 'just now'
  return seconds >= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`
}

export function formatTemperature(c: number | null | undefined): string {
  return c === null || c === undefined ? '—' : `${c.toFixed(1)} °C`
}

/** Bytes in B, KB, MB (decimal units, as the link's $/MB price is quoted). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—'
  if (bytes < 1000) return `${bytes} B`
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`
  return `${(bytes / 1_000_000).toFixed(2)} MB`
}

export function formatUsd(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return '—'
  return `$${usd < 10 ? usd.toFixed(2) : usd.toFixed(0)}`
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

/** A principal as people say it: `user:alice` → `alice`, `IMO9811000` → `vessel IMO9811000`. */
export function formatPrincipal(principal: string | null | undefined): string {
  if (!principal) return 'unknown'
  if (principal.startsWith('user:')) return principal.slice(5)
  if (/^IMO\d{7}$/.test(principal)) return `vessel ${principal}`
  return principal
}

/**
 * Who wrote something, naming the person when known: every crew member writes as the vessel's
 * principal, so "vessel IMO9811000" alone would not tell the bosun's edit from the mate's.
 */
export function formatWriter(principal: string | null | undefined, name?: string | null): string {
  if (!name || !principal || principal === `user:${name}`) return formatPrincipal(principal)
  if (/^IMO\d{7}$/.test(principal)) return `${name} (vessel ${principal})`
  return `${name} (${formatPrincipal(principal)})`
}

/** The catalog label of a dotted path, falling back to the path itself. */
export function labelOf(path: string): string {
  const spec = fieldSpec(path)
  if (!spec) return path
  if (spec.path === path) return spec.label
  return `${spec.label} (${path.slice(spec.path.length + 1)})`
}

const TIME_PATHS = new Set(['physical.lashingCheckedAt', 'physical.lastInspectedAt'])
const STATE_PATHS = new Set(['physical.state', 'physical.condition', 'customs.status'])

/** A field value in words, for read-only display, conflicts, proposals and history. */
export function formatValue(value: unknown, path?: string): string {
  if (value === null || value === undefined || value === '') return '—'
  if (typeof value === 'boolean') {
    if (path === 'physical.sealIntact') return value ? 'Intact' : 'Broken'
    return value ? 'Yes' : 'No'
  }
  if (typeof value === 'number') {
    if (path?.endsWith('C')) return formatTemperature(value)
    if (path === 'cargo.vgmKg') return `${formatCount(value)} kg`
    return String(value)
  }
  if (typeof value === 'string') {
    if (path && TIME_PATHS.has(path)) return formatTime(value)
    if (path === 'physical.stowage') return formatStowage(value)
    return path && STATE_PATHS.has(path) ? formatState(value) : value
  }
  if (Array.isArray(value)) return value.length === 0 ? '—' : value.map((v) => formatValue(v)).join(', ')
  if (path === 'cargo.dg') {
    const dg = value as DangerousGoods
    return `UN ${dg.unNumber}, class ${dg.imoClass}${dg.packingGroup ? `, PG ${dg.packingGroup}` : ''}`
  }
  if (path === 'reefer.alarm') {
    const alarm = value as ReeferAlarm
    return `${alarm.code} since ${formatTime(alarm.at)}${alarm.note ? ` — ${alarm.note}` : ''}`
  }
  return JSON.stringify(value)
}

/** Stowage BBBRRTT as people write it: `012 04 82` (bay, row, tier). */
export function formatStowage(stowage: string | null | undefined): string {
  if (!stowage || stowage.length !== 7) return stowage ?? '—'
  return `${stowage.slice(0, 3)} ${stowage.slice(3, 5)} ${stowage.slice(5)}`
}

/** Physical and customs states in words. */
export function formatState(state: string): string {
  // Codes of two letters (OK) are words in their own right.
  if (state.length <= 2) return state
  return state.charAt(0) + state.slice(1).toLowerCase().replace(/_/g, ' ')
}
