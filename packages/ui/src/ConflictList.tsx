/**
 * Fields that hold concurrent values: each value with who wrote it, when, and which one the document
 * currently shows (the winner). A user of the owning side resolves a conflict by keeping one value,
 * which writes it again; the other side sees who will resolve it.
 */
import { useState } from 'react'
import { ownerOfSection, roleMayWrite, sectionOf } from '@tally/manifest'
import type { Conflict, ConflictValue, Role } from '@tally/manifest'
import { formatTime, formatValue, formatWriter, labelOf } from './format.ts'
import { problemOf } from './problems.ts'

export interface ConflictListProps {
  conflicts: readonly Conflict[]
  role: Role
  /** Writes the chosen value to the field, which resolves the conflict. */
  onKeep?: (field: string, value: unknown) => Promise<unknown>
  /** Shown when there are no conflicts; nothing is rendered when omitted. */
  emptyText?: string
  /**
   * The person who wrote a value, when known (see {@link writerNamesFromHistory}): a conflict's
   * principal alone cannot tell two crew members of one vessel apart.
   */
  nameOf?: (field: string, value: ConflictValue) => string | null | undefined
}

export function ConflictList({ conflicts, role, onKeep, emptyText, nameOf }: ConflictListProps) {
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<{ field: string; message: string } | null>(null)
  const [status, setStatus] = useState('')
  if (conflicts.length === 0)
    return emptyText ? (
      <p className="tly-muted" data-testid="conflicts-empty">
        {emptyText}
      </p>
    ) : null

  async function keep(field: string, value: unknown, key: string) {
    if (!onKeep) return
    setBusy(key)
    setError(null)
    try {
      await onKeep(field, value)
      setStatus(`${labelOf(field)}: kept ${formatValue(value, field)}.`)
    } catch (err) {
      setError({ field, message: problemOf(err).message })
    } finally {
      setBusy(null)
    }
  }

  return (
    <div className="tly-conflicts" data-testid="conflict-list">
      {conflicts.map((conflict) => {
        const section = sectionOf(conflict.field)
        const mayResolve = !!onKeep && section !== undefined && roleMayWrite(role, section)
        const owner = section ? ownerOfSection(section) : 'both'
        return (
          <section
            className="tly-conflict"
            key={conflict.field}
            data-testid="conflict"
            data-field={conflict.field}
          >
            <h3>
              {labelOf(conflict.field)} <span className="tly-muted tly-mono">{conflict.field}</span>
            </h3>
            <p className="tly-muted">
              {conflict.values.length} values were written at the same time.{' '}
              {mayResolve ? 'Choose the one to keep.' : `The ${owner} side resolves this.`}
            </p>
            <ul className="tly-conflict__values">
              {conflict.values.map((v, i) => {
                const key = `${conflict.field}#${i}`
                return (
                  <li
                    key={key}
                    className={`tly-conflict__value${v.winner ? ' tly-conflict__value--winner' : ''}`}
                    data-testid="conflict-value"
                  >
                    <span className="tly-conflict__what">{formatValue(v.value, conflict.field)}</span>
                    <span className="tly-muted">
                      by {formatWriter(v.principal, nameOf?.(conflict.field, v))}
                      {v.at ? `, ${formatTime(v.at)}` : ''}
                    </span>
                    {v.winner && (
                      <span
                        className="tly-chip tly-chip--info"
                        title="The value the document currently shows"
                      >
                        Shown now (winner)
                      </span>
                    )}
                    {mayResolve && (
                      <button
                        type="button"
                        className="tly-button tly-button--secondary"
                        disabled={busy !== null}
                        onClick={() => void keep(conflict.field, v.value, key)}
                        data-testid="conflict-keep"
                      >
                        {busy === key ? 'Keeping…' : 'Keep this value'}
                      </button>
                    )}
                  </li>
                )
              })}
            </ul>
            {error?.field === conflict.field && (
              <p className="tly-alert tly-alert--error" role="alert">
                {error.message}
              </p>
            )}
          </section>
        )
      })}
      <p className="tly-status tly-status--block" role="status" aria-live="polite">
        {status}
      </p>
    </div>
  )
}

/**
 * Names the writer of each conflicting value from the history (whose entries carry the person's
 * name): the latest entry of that field by that principal that wrote that value.
 */
export function writerNamesFromHistory(
  history: readonly { field: string; principal: string; to: unknown; name?: string | null }[],
): (field: string, value: ConflictValue) => string | null {
  return (field, value) => {
    const text = JSON.stringify(value.value)
    for (let i = history.length - 1; i >= 0; i--) {
      const e = history[i]!
      if (e.field === field && e.principal === value.principal && JSON.stringify(e.to) === text)
        return e.name ?? null
    }
    return null
  }
}
