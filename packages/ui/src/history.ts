/**
 * The history of a container as the API returns it (`GET .../history`, newest last), and what the
 * views derive from it: the last editor of a section and the reefer alarms over the voyage.
 */
import type { ReeferAlarm, Section } from '@tally/manifest'
import type { LastEditor } from './SectionView.tsx'

/** One field change: who (principal and role), when, from which value to which. */
export interface HistoryEntry {
  at: string
  principal: string
  role?: string
  /** The person behind the principal (a crew member of a vessel), when the server knows it. */
  name?: string | null
  field: string
  from: unknown
  to: unknown
  /** The change hash. */
  change?: string
}

/** A reefer alarm over time: raised at `at`, cleared at `clearedAt` (null while active). */
export interface AlarmSpan {
  at: string
  code: string
  note: string | null
  clearedAt: string | null
}

const inSection = (field: string, section: Section): boolean =>
  field === section || field.startsWith(`${section}.`)

/** The last editor of a section, or null when the history has no change to it. */
export function lastEditorOf(history: readonly HistoryEntry[], section: Section): LastEditor | null {
  for (let i = history.length - 1; i >= 0; i--) {
    const entry = history[i]!
    if (inSection(entry.field, section))
      return {
        principal: entry.principal,
        at: entry.at,
        role: entry.role,
        ...(entry.name ? { name: entry.name } : {}),
      }
  }
  return null
}

const isAlarm = (v: unknown): v is ReeferAlarm =>
  typeof v === 'object' && v !== null && typeof (v as ReeferAlarm).code === 'string'

/** The alarms raised and cleared over the history, plus the current alarm if history lacks it. */
export function alarmsFromHistory(
  history: readonly HistoryEntry[],
  current: ReeferAlarm | null,
): AlarmSpan[] {
  const spans: AlarmSpan[] = []
  let open: AlarmSpan | null = null
  for (const entry of history) {
    if (entry.field !== 'reefer.alarm') continue
    if (open && (!isAlarm(entry.to) || entry.to.at !== open.at)) {
      open.clearedAt = entry.at
      open = null
    }
    if (isAlarm(entry.to) && !open) {
      open = {
        at: entry.to.at ?? entry.at,
        code: entry.to.code,
        note: entry.to.note ?? null,
        clearedAt: null,
      }
      spans.push(open)
    }
  }
  if (current && !spans.some((s) => s.at === current.at && s.code === current.code))
    spans.push({ at: current.at, code: current.code, note: current.note, clearedAt: null })
  return spans
}
