/**
 * The history of a container, per field, naming people: who changed what, when, from which value to
 * which. Newest first, filterable by field, shown in pages so a voyage of readings stays quick.
 */
import { useId, useState } from 'react'
import { formatTime, formatWriter, formatValue, labelOf } from './format.ts'
import type { HistoryEntry } from './history.ts'

export interface HistoryListProps {
  entries: readonly HistoryEntry[]
  /** The field to show at first; `''` shows every field. */
  initialField?: string
  pageSize?: number
}

const ALL = ''
/** Readings are many and routine; "all fields except readings" is the useful default. */
const ALL_BUT_READINGS = '*'

/**
 * Whether an entry shows a change to a reader. A value written again (a conflict resolved, a hold
 * carrying its reason, a check recorded twice in one minute) reads "20:15 → 20:15": the server keeps
 * it for the audit, the list leaves it out.
 */
export function changedInWords(e: HistoryEntry): boolean {
  // Readings and proposals are additions: they have no "from".
  if (e.field === 'reefer.readings' || e.field === 'proposals') return true
  return formatValue(e.from, e.field) !== formatValue(e.to, e.field)
}

export function HistoryList({ entries, initialField = ALL_BUT_READINGS, pageSize = 30 }: HistoryListProps) {
  const id = useId().replace(/[^a-zA-Z0-9_-]/g, '')
  const [field, setField] = useState(initialField)
  const [shown, setShown] = useState(pageSize)
  const changes = entries.filter(changedInWords)
  const fields = [...new Set(changes.map((e) => e.field))].sort()
  const filtered = changes.filter((e) =>
    field === ALL ? true : field === ALL_BUT_READINGS ? e.field !== 'reefer.readings' : e.field === field,
  )
  const newestFirst = [...filtered].reverse()
  const visible = newestFirst.slice(0, shown)

  return (
    <div className="tly-history" data-testid="history-list">
      <div className="tly-field tly-field--inline">
        <label htmlFor={`${id}-field`}>Show</label>
        <select
          id={`${id}-field`}
          className="tly-input"
          value={field}
          onChange={(e) => {
            setField(e.target.value)
            setShown(pageSize)
          }}
          data-testid="history-field"
        >
          <option value={ALL_BUT_READINGS}>All fields except readings</option>
          <option value={ALL}>All fields</option>
          {fields.map((f) => (
            <option key={f} value={f}>
              {labelOf(f)}
            </option>
          ))}
        </select>
      </div>
      {visible.length === 0 ? (
        <p className="tly-muted">
          No changes recorded{field && field !== ALL_BUT_READINGS ? ' for this field' : ''}.
        </p>
      ) : (
        <table className="tly-table tly-table--stack">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Field</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
            </tr>
          </thead>
          <tbody>
            {visible.map((e, i) => (
              <tr key={`${e.change ?? ''}-${e.field}-${i}`} data-testid="history-entry">
                <td data-label="When">{formatTime(e.at)}</td>
                <td data-label="Who">
                  {formatWriter(e.principal, e.name)}
                  {/* A vessel's principal already says its role. */}
                  {e.role && !/^IMO\d{7}$/.test(e.principal) && (
                    <span className="tly-muted"> ({e.role})</span>
                  )}
                </td>
                <td data-label="Field">{labelOf(e.field)}</td>
                <td data-label="From" className="tly-history__from">
                  {formatValue(e.from, e.field)}
                </td>
                <td data-label="To">{formatValue(e.to, e.field)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {newestFirst.length > shown && (
        <button
          type="button"
          className="tly-button tly-button--secondary"
          onClick={() => setShown((n) => n + pageSize)}
        >
          Show {Math.min(pageSize, newestFirst.length - shown)} older changes
        </button>
      )}
    </div>
  )
}
