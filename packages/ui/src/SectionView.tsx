/**
 * One section of a container (cargo, customs, physical, reefer, notes, identity) rendered from the
 * field catalog. A role that may write the section gets a form with labelled inputs, validated by the
 * catalog before anything is sent; otherwise the values are read-only with their owner ("owned by
 * shore") and the last editor. Only the fields the user changed are sent, so a live update of other
 * fields never collides with what they are typing.
 */
import { useId, useRef, useState } from 'react'
import type { FormEvent, ReactNode } from 'react'
import { ownerOfSection, roleMayWrite, sameValue } from '@tally/manifest'
import type { ContainerPatch, ContainerView, FieldSpec, Role, Section } from '@tally/manifest'
import { FieldInput } from './FieldInput.tsx'
import type { FieldDraft } from './FieldInput.tsx'
import {
  fromDraft,
  fromObjectDraft,
  inputKindOf,
  sectionFields,
  toDraft,
  toObjectDraft,
  validateField,
  validatePatch,
  valueAt,
} from './fields.ts'
import type { FieldError } from './fields.ts'
import { formatRelative, formatTime, formatValue, formatWriter, labelOf } from './format.ts'
import { fieldErrorOf, problemOf } from './problems.ts'

/** Who last wrote a section, from the history. */
export interface LastEditor {
  principal: string
  at: string
  role?: string
  /** The person behind the principal, when known. */
  name?: string | null
}

export interface SectionViewProps {
  view: ContainerView
  section: Section
  role: Role
  /** The last editor of the section, shown beside the owner. */
  lastEditor?: LastEditor | null
  /** Sends a validated partial view; a rejection is shown in words next to the form. */
  onSave?: (patch: ContainerPatch) => Promise<unknown>
  /** Content shown under the fields (a chart, quick actions). */
  children?: ReactNode
  /** Overrides the heading. */
  title?: string
  /**
   * Why the section is read-only, shown above its values; by default a sentence from
   * {@link readOnlyReason}. `null` shows none (the app says it another way).
   */
  readOnlyReason?: ReactNode
}

/** Why `role` cannot edit `section`, in one sentence, or null when it can (or nothing needs saying). */
export function readOnlyReason(section: Section, role: Role): string | null {
  if (roleMayWrite(role, section) || section === 'proposals') return null
  if (role === 'ops')
    return 'Operators watch the fleet; containers are edited by the crew and the shore teams.'
  switch (section) {
    case 'identity':
      return 'Fixed when the container was booked, on both sides alike.'
    case 'customs':
      return 'Customs is decided ashore. To suggest a change, propose it.'
    case 'cargo':
      return role === 'vessel'
        ? 'Cargo documents are kept ashore. To suggest a change, propose it.'
        : 'Cargo documents are kept by the shore documentation team. Ask them to change it.'
    case 'physical':
    case 'reefer':
      return 'Recorded by the crew aboard; the vessel has the last word. To suggest a change, propose it.'
    default:
      return null
  }
}

export const SECTION_TITLES: Record<Section, string> = {
  identity: 'Container',
  cargo: 'Cargo',
  customs: 'Customs',
  physical: 'Physical',
  reefer: 'Reefer',
  notes: 'Notes',
  proposals: 'Proposals',
  photos: 'Photos',
  evidence: 'Evidence',
}

const OWNER_WORDS = {
  fixed: 'Fixed at creation',
  shore: 'Owned by shore',
  vessel: 'Owned by vessel',
  both: 'Shared by vessel and shore',
} as const

function initialDraft(path: string, value: unknown): FieldDraft {
  return inputKindOf(path) === 'object' ? toObjectDraft(path, value) : toDraft(path, value)
}

function draftValue(path: string, draft: FieldDraft): unknown {
  return inputKindOf(path) === 'object'
    ? fromObjectDraft(path, draft as Record<string, string> | null)
    : fromDraft(path, (draft as string) ?? '')
}

const inputId = (prefix: string, path: string): string => `${prefix}-${path.replace(/\./g, '-')}`

export function SectionView({
  view,
  section,
  role,
  lastEditor,
  onSave,
  children,
  title,
  readOnlyReason: reasonGiven,
}: SectionViewProps) {
  const prefix = useId().replace(/[^a-zA-Z0-9_-]/g, '')
  const owner = ownerOfSection(section)
  const editable = !!onSave && section !== 'identity' && roleMayWrite(role, section)
  const notApplicable = section === 'reefer' && view.reefer === null
  const fields = sectionFields(section)
  const conflicted = new Set(view.conflicts.map((c) => c.field))

  const [drafts, setDrafts] = useState<Record<string, FieldDraft>>({})
  const [errors, setErrors] = useState<FieldError[]>([])
  const [general, setGeneral] = useState<string | null>(null)
  const [status, setStatus] = useState<string>('')
  const [saving, setSaving] = useState(false)
  const formRef = useRef<HTMLFormElement>(null)

  const draftOf = (path: string): FieldDraft =>
    path in drafts ? drafts[path]! : initialDraft(path, valueAt(view, path))
  const changed = Object.keys(drafts).filter(
    (path) => !sameValue(draftValue(path, drafts[path]!), valueAt(view, path)),
  )

  const focusField = (path: string) => {
    const el = formRef.current?.ownerDocument.getElementById(inputId(prefix, path))
    ;(el?.matches('fieldset') ? el.querySelector<HTMLElement>('input,select') : el)?.focus()
  }

  const showErrors = (found: FieldError[], message: string | null) => {
    setErrors(found)
    setGeneral(message)
    setStatus('')
    if (found[0]) queueMicrotask(() => focusField(found[0]!.field))
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    if (!onSave || changed.length === 0) return
    const values = changed.map((path) => [path, draftValue(path, drafts[path]!)] as const)
    const invalid = values.map(([path, value]) => validateField(path, value)).filter((x) => x !== null)
    if (invalid.length > 0) return showErrors(invalid, null)
    const patch: ContainerPatch = {}
    for (const [path, value] of values) {
      if (path === 'notes') patch.notes = value as string
      else {
        const [sec, key] = path.split('.') as [keyof ContainerPatch, string]
        patch[sec] = { ...(patch[sec] as object), [key]: value }
      }
    }
    const refused = validatePatch(view, patch, role)
    if (refused) return showErrors([refused], null)
    setSaving(true)
    try {
      await onSave(patch)
      setDrafts({})
      setErrors([])
      setGeneral(null)
      setStatus(values.length === 1 ? `Saved ${labelOf(values[0]![0])}.` : `Saved ${values.length} fields.`)
    } catch (err) {
      const problem = problemOf(err)
      const fieldError = fieldErrorOf(problem)
      showErrors(fieldError ? [fieldError] : [], fieldError ? null : problem.message)
    } finally {
      setSaving(false)
    }
  }

  const errorOf = (path: string) => errors.find((e) => e.field === path || e.field.startsWith(`${path}.`))
  const heading = title ?? SECTION_TITLES[section]

  return (
    <section
      className="tly-card tly-section"
      aria-labelledby={`${prefix}-h`}
      data-testid={`section-${section}`}
    >
      <header className="tly-card__header">
        <h2 id={`${prefix}-h`}>{heading}</h2>
        <p className="tly-owner" data-testid={`owner-${section}`}>
          <span className={`tly-owner__tag tly-owner__tag--${owner}`}>
            {editable ? `${OWNER_WORDS[owner]} · you can edit` : OWNER_WORDS[owner]}
          </span>
          {lastEditor && !notApplicable && (
            <span className="tly-muted" title={formatTime(lastEditor.at)}>
              Last edited by {formatWriter(lastEditor.principal, lastEditor.name)}{' '}
              {formatRelative(lastEditor.at)}
            </span>
          )}
        </p>
      </header>
      {notApplicable ? (
        <p className="tly-muted">This container is not a reefer.</p>
      ) : editable ? (
        <form ref={formRef} className="tly-form" noValidate onSubmit={(e) => void submit(e)}>
          {(errors.length > 0 || general) && (
            <div className="tly-alert tly-alert--error" role="alert" data-testid={`errors-${section}`}>
              {general && <p>{general}</p>}
              {errors.length > 0 && (
                <ul>
                  {errors.map((err) => (
                    <li key={err.field}>
                      <button type="button" className="tly-link" onClick={() => focusField(err.field)}>
                        {err.label}
                      </button>{' '}
                      {err.problem}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
          <div className="tly-fields">
            {fields.map((spec) => (
              <EditableField
                key={spec.path}
                spec={spec}
                id={inputId(prefix, spec.path)}
                draft={draftOf(spec.path)}
                error={errorOf(spec.path)}
                conflicted={conflicted.has(spec.path)}
                dirty={changed.includes(spec.path)}
                hideLabel={fields.length === 1 && spec.label === heading}
                disabled={saving}
                onChange={(d) => setDrafts((all) => ({ ...all, [spec.path]: d }))}
              />
            ))}
          </div>
          <div className="tly-actions">
            <button
              type="submit"
              className="tly-button tly-button--primary"
              disabled={saving || changed.length === 0}
              data-testid={`save-${section}`}
            >
              {saving ? 'Saving…' : changed.length > 1 ? `Save ${changed.length} changes` : 'Save'}
            </button>
            {changed.length > 0 && (
              <button
                type="button"
                className="tly-button tly-button--secondary"
                disabled={saving}
                onClick={() => {
                  showErrors([], null)
                  setDrafts({})
                }}
              >
                Discard changes
              </button>
            )}
            <span className="tly-status" role="status" aria-live="polite">
              {status}
            </span>
          </div>
        </form>
      ) : (
        <>
          {(reasonGiven === undefined ? readOnlyReason(section, role) : reasonGiven) && (
            <p className="tly-readonly" data-testid={`readonly-${section}`}>
              {reasonGiven === undefined ? readOnlyReason(section, role) : reasonGiven}
            </p>
          )}
          <dl className="tly-values">
            {fields.map((spec) => (
              <div className="tly-value" key={spec.path}>
                <dt>
                  {spec.label}
                  {conflicted.has(spec.path) && <span className="tly-chip tly-chip--warning">Conflict</span>}
                </dt>
                <dd
                  data-testid={`value-${spec.path}`}
                  className={spec.type === 'text' ? 'tly-pre' : undefined}
                >
                  {formatValue(valueAt(view, spec.path), spec.path)}
                </dd>
              </div>
            ))}
          </dl>
        </>
      )}
      {children}
    </section>
  )
}

interface EditableFieldProps {
  spec: FieldSpec
  id: string
  draft: FieldDraft
  error: FieldError | undefined
  conflicted: boolean
  dirty: boolean
  disabled: boolean
  /** The label repeats the section heading (Notes): kept for screen readers, hidden on screen. */
  hideLabel?: boolean
  onChange: (draft: FieldDraft) => void
}

function EditableField({
  spec,
  id,
  draft,
  error,
  conflicted,
  dirty,
  disabled,
  hideLabel,
  onChange,
}: EditableFieldProps) {
  const kind = inputKindOf(spec.path)
  const wide = kind === 'longtext' || kind === 'object'
  const errorId = error ? `${id}-error` : undefined
  return (
    <div
      className={`tly-field${wide ? ' tly-field--wide' : ''}${dirty ? ' tly-field--dirty' : ''}`}
      data-field={spec.path}
    >
      {kind === 'object' ? (
        <span className="tly-field__label" id={`${id}-label`}>
          {spec.label}
          {conflicted && <span className="tly-chip tly-chip--warning">Conflict</span>}
        </span>
      ) : (
        <label className={hideLabel ? 'tly-visually-hidden' : 'tly-field__label'} htmlFor={id}>
          {spec.label}
          {kind === 'time' && <span className="tly-muted"> (UTC)</span>}
          {conflicted && <span className="tly-chip tly-chip--warning">Conflict</span>}
        </label>
      )}
      <FieldInput
        path={spec.path}
        id={id}
        draft={draft}
        onChange={onChange}
        errorId={errorId}
        disabled={disabled}
      />
      {error && (
        <p className="tly-field__error" id={errorId} data-testid={`error-${spec.path}`}>
          {error.label} {error.problem}
        </p>
      )}
    </div>
  )
}
