/**
 * Proposals: requests to change a field the proposer does not own. The owner accepts (which writes
 * the value) or declines; the proposer sees them waiting. {@link ProposeForm} sends a new one.
 */
import { useId, useState } from 'react'
import type { FormEvent } from 'react'
import { FIELDS, ownerOfSection, roleMayWrite, sectionOf } from '@tally/manifest'
import type { ContainerView, Proposal, Role } from '@tally/manifest'
import { FieldInput } from './FieldInput.tsx'
import type { FieldDraft } from './FieldInput.tsx'
import {
  fromDraft,
  fromObjectDraft,
  inputKindOf,
  toDraft,
  toObjectDraft,
  validateField,
  valueAt,
} from './fields.ts'
import { formatPrincipal, formatTime, formatValue, labelOf } from './format.ts'
import { problemOf } from './problems.ts'

export type ProposalDecision = 'ACCEPTED' | 'DECLINED'

export interface ProposalListProps {
  proposals: readonly Proposal[]
  role: Role
  /** The container, to show each field's current value beside the proposed one. */
  view?: ContainerView
  onDecide?: (proposalId: string, decision: ProposalDecision) => Promise<unknown>
  emptyText?: string
}

const STATUS_WORDS = { OPEN: 'Open', ACCEPTED: 'Accepted', DECLINED: 'Declined' } as const

export function ProposalList({ proposals, role, view, onDecide, emptyText }: ProposalListProps) {
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<{ id: string; message: string } | null>(null)
  if (proposals.length === 0)
    return emptyText ? (
      <p className="tly-muted" data-testid="proposals-empty">
        {emptyText}
      </p>
    ) : null
  const ordered = [...proposals].sort(
    (a, b) => Number(b.status === 'OPEN') - Number(a.status === 'OPEN') || b.at.localeCompare(a.at),
  )

  async function decide(id: string, decision: ProposalDecision) {
    if (!onDecide) return
    setBusy(`${id}:${decision}`)
    setError(null)
    try {
      await onDecide(id, decision)
    } catch (err) {
      setError({ id, message: problemOf(err).message })
    } finally {
      setBusy(null)
    }
  }

  return (
    <ul className="tly-proposals" data-testid="proposal-list">
      {ordered.map((p) => {
        const section = sectionOf(p.field)
        const mine = section !== undefined && roleMayWrite(role, section)
        const owner = section ? ownerOfSection(section) : 'both'
        return (
          <li
            key={p.id}
            className={`tly-proposal tly-proposal--${p.status.toLowerCase()}`}
            data-testid="proposal"
          >
            <div className="tly-proposal__head">
              <strong>{labelOf(p.field)}</strong>
              <span className={`tly-chip tly-chip--${p.status === 'OPEN' ? 'info' : 'neutral'}`}>
                {STATUS_WORDS[p.status]}
              </span>
            </div>
            <p>
              Proposed <strong className="tly-proposal__value">{formatValue(p.value, p.field)}</strong>
              {view && (
                <span className="tly-muted"> (now {formatValue(valueAt(view, p.field), p.field)})</span>
              )}
            </p>
            <p className="tly-muted">
              by {formatPrincipal(p.by)}, {formatTime(p.at)}
              {p.status !== 'OPEN' && p.resolvedBy
                ? ` · ${STATUS_WORDS[p.status].toLowerCase()} by ${formatPrincipal(p.resolvedBy)}, ${formatTime(p.resolvedAt)}`
                : ''}
            </p>
            {p.reason && <p className="tly-proposal__reason">“{p.reason}”</p>}
            {p.status === 'OPEN' &&
              (mine && onDecide ? (
                <div className="tly-actions">
                  <button
                    type="button"
                    className="tly-button tly-button--primary"
                    disabled={busy !== null}
                    onClick={() => void decide(p.id, 'ACCEPTED')}
                    data-testid="proposal-accept"
                  >
                    {busy === `${p.id}:ACCEPTED` ? 'Accepting…' : 'Accept'}
                  </button>
                  <button
                    type="button"
                    className="tly-button tly-button--secondary"
                    disabled={busy !== null}
                    onClick={() => void decide(p.id, 'DECLINED')}
                    data-testid="proposal-decline"
                  >
                    {busy === `${p.id}:DECLINED` ? 'Declining…' : 'Decline'}
                  </button>
                </div>
              ) : (
                <p className="tly-muted">Waiting for the {owner} side to accept or decline.</p>
              ))}
            {error?.id === p.id && (
              <p className="tly-alert tly-alert--error" role="alert">
                {error.message}
              </p>
            )}
          </li>
        )
      })}
    </ul>
  )
}

/** The fields `role` may propose: owned by the other side, and not append-only. */
export function proposableFields(role: Role): string[] {
  return FIELDS.filter(
    (f) =>
      (f.owner === 'shore' || f.owner === 'vessel') &&
      f.path !== 'reefer.readings' &&
      !roleMayWrite(role, f.section),
  ).map((f) => f.path)
}

export interface ProposeFormProps {
  view: ContainerView
  role: Role
  onPropose: (input: { field: string; value: unknown; reason: string | null }) => Promise<unknown>
}

/** A form to propose a value for a field the user does not own. */
export function ProposeForm({ view, role, onPropose }: ProposeFormProps) {
  const id = useId().replace(/[^a-zA-Z0-9_-]/g, '')
  const fields = proposableFields(role).filter((f) => !(f.startsWith('reefer.') && view.reefer === null))
  const [field, setField] = useState(fields[0] ?? '')
  const initial = (path: string): FieldDraft =>
    inputKindOf(path) === 'object'
      ? toObjectDraft(path, valueAt(view, path))
      : toDraft(path, valueAt(view, path))
  const [draft, setDraft] = useState<FieldDraft>(() => (field ? initial(field) : ''))
  const [reason, setReason] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [status, setStatus] = useState('')
  const [sending, setSending] = useState(false)
  if (fields.length === 0) return null

  async function submit(e: FormEvent) {
    e.preventDefault()
    const value =
      inputKindOf(field) === 'object'
        ? fromObjectDraft(field, draft as Record<string, string> | null)
        : fromDraft(field, (draft as string) ?? '')
    const invalid = validateField(field, value)
    if (invalid) return setError(`${invalid.label} ${invalid.problem}`)
    setSending(true)
    setError(null)
    try {
      await onPropose({ field, value, reason: reason.trim() || null })
      setStatus(`Proposal sent: ${labelOf(field)} → ${formatValue(value, field)}.`)
      setReason('')
    } catch (err) {
      setError(problemOf(err).message)
    } finally {
      setSending(false)
    }
  }

  return (
    <form
      className="tly-form tly-propose"
      noValidate
      onSubmit={(e) => void submit(e)}
      data-testid="propose-form"
    >
      <div className="tly-fields">
        <div className="tly-field">
          <label htmlFor={`${id}-field`}>Field</label>
          <select
            id={`${id}-field`}
            className="tly-input"
            value={field}
            onChange={(e) => {
              setField(e.target.value)
              setDraft(initial(e.target.value))
              setError(null)
            }}
            data-testid="propose-field"
          >
            {fields.map((f) => (
              <option key={f} value={f}>
                {labelOf(f)} ({ownerOfSection(sectionOf(f)!)})
              </option>
            ))}
          </select>
        </div>
        <div className={`tly-field${inputKindOf(field) === 'object' ? ' tly-field--wide' : ''}`}>
          <label htmlFor={`${id}-value`}>Proposed value</label>
          <FieldInput
            path={field}
            id={`${id}-value`}
            draft={draft}
            onChange={setDraft}
            errorId={error ? `${id}-error` : undefined}
            disabled={sending}
          />
        </div>
        <div className="tly-field tly-field--wide">
          <label htmlFor={`${id}-reason`}>
            Reason <span className="tly-muted">(optional)</span>
          </label>
          <textarea
            id={`${id}-reason`}
            className="tly-input tly-textarea"
            rows={2}
            maxLength={2000}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
        </div>
      </div>
      {error && (
        <p className="tly-alert tly-alert--error" role="alert" id={`${id}-error`} data-testid="propose-error">
          {error}
        </p>
      )}
      <div className="tly-actions">
        <button
          type="submit"
          className="tly-button tly-button--primary"
          disabled={sending}
          data-testid="propose-submit"
        >
          {sending ? 'Sending…' : 'Send proposal'}
        </button>
        <span className="tly-status" role="status" aria-live="polite">
          {status}
        </span>
      </div>
    </form>
  )
}
