/**
 * The input for one catalog field, chosen by its kind (select, checkbox, time, number, text, list,
 * or a group of sub-inputs for dangerous goods and reefer alarms). Inputs work on drafts (the text
 * shown); `fields.ts` turns drafts into values and validates them.
 */
import {
  enumOptions,
  inputKindOf,
  isNullable,
  isoToTimeInput,
  SUB_FIELDS,
  TIME_INPUT_HINT,
} from './fields.ts'
import { formatState, labelOf } from './format.ts'

/** The draft of a field: text for scalars, sub-field texts (or null for "none") for objects. */
export type FieldDraft = string | Record<string, string> | null

export interface FieldInputProps {
  path: string
  /** The id of the input, for its `<label htmlFor>`. */
  id: string
  draft: FieldDraft
  onChange: (draft: FieldDraft) => void
  /** The id of the element describing an error, when the value is invalid. */
  errorId?: string
  disabled?: boolean
}

const nowInput = (): string => isoToTimeInput(new Date().toISOString())

export function FieldInput({ path, id, draft, onChange, errorId, disabled }: FieldInputProps) {
  const kind = inputKindOf(path)
  const common = {
    id,
    disabled,
    'aria-invalid': errorId ? true : undefined,
    'aria-describedby': errorId,
    'data-testid': `input-${path}`,
  } as const
  if (kind === 'object')
    return (
      <ObjectInput
        path={path}
        id={id}
        draft={draft}
        onChange={onChange}
        errorId={errorId}
        disabled={disabled}
      />
    )
  const text = typeof draft === 'string' ? draft : ''
  switch (kind) {
    case 'enum':
      return (
        <select className="tly-input" {...common} value={text} onChange={(e) => onChange(e.target.value)}>
          {isNullable(path) && <option value="">—</option>}
          {enumOptions(path).map((o) => (
            <option key={o} value={o}>
              {formatState(o)}
            </option>
          ))}
        </select>
      )
    case 'boolean':
      return (
        <select className="tly-input" {...common} value={text} onChange={(e) => onChange(e.target.value)}>
          <option value="true">{path === 'physical.sealIntact' ? 'Intact' : 'Yes'}</option>
          <option value="false">{path === 'physical.sealIntact' ? 'Broken' : 'No'}</option>
        </select>
      )
    case 'time':
      return (
        <span className="tly-input-group">
          <input
            className="tly-input"
            type="text"
            inputMode="text"
            autoComplete="off"
            placeholder={TIME_INPUT_HINT}
            title={TIME_INPUT_HINT}
            {...common}
            value={text}
            onChange={(e) => onChange(e.target.value)}
          />
          <button
            type="button"
            className="tly-button tly-button--secondary"
            disabled={disabled}
            onClick={() => onChange(nowInput())}
            aria-label={`Set ${labelOf(path)} to now`}
          >
            Now
          </button>
        </span>
      )
    case 'longtext':
      return (
        <textarea
          className="tly-input tly-textarea"
          {...common}
          rows={path === 'notes' ? 6 : 3}
          value={text}
          onChange={(e) => onChange(e.target.value)}
        />
      )
    default:
      return (
        <input
          className="tly-input"
          type="text"
          {...common}
          autoComplete="off"
          spellCheck={false}
          inputMode={kind === 'number' ? 'decimal' : undefined}
          placeholder={kind === 'list' ? 'comma-separated' : undefined}
          value={text}
          onChange={(e) => onChange(e.target.value)}
        />
      )
  }
}

/** Sub-inputs of an object field, with a "none" choice when the field may be empty. */
function ObjectInput({ path, id, draft, onChange, errorId, disabled }: FieldInputProps) {
  const subs = SUB_FIELDS[path] ?? []
  const value = draft !== null && typeof draft === 'object' ? draft : null
  const empty = (): Record<string, string> =>
    Object.fromEntries(subs.map((s) => [s.key, s.kind === 'time' ? nowInput() : '']))
  return (
    <fieldset className="tly-subfields" id={id} aria-describedby={errorId} data-testid={`input-${path}`}>
      <legend className="tly-visually-hidden">{labelOf(path)}</legend>
      {isNullable(path) && (
        <label className="tly-check">
          <input
            type="checkbox"
            checked={value !== null}
            disabled={disabled}
            onChange={(e) => onChange(e.target.checked ? (value ?? empty()) : null)}
          />
          <span>{path === 'cargo.dg' ? 'Dangerous goods' : 'Present'}</span>
        </label>
      )}
      {value !== null &&
        subs.map((sub) => {
          const subId = `${id}-${sub.key}`
          const set = (text: string) => onChange({ ...value, [sub.key]: text })
          return (
            <div className="tly-field tly-field--sub" key={sub.key}>
              <label htmlFor={subId}>
                {sub.label}
                {sub.optional && <span className="tly-muted"> (optional)</span>}
              </label>
              {sub.kind === 'enum' ? (
                <select
                  id={subId}
                  className="tly-input"
                  disabled={disabled}
                  value={value[sub.key] ?? ''}
                  onChange={(e) => set(e.target.value)}
                >
                  <option value="">—</option>
                  {sub.options?.map((o) => (
                    <option key={o} value={o}>
                      {o}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  id={subId}
                  className="tly-input"
                  type="text"
                  placeholder={sub.kind === 'time' ? TIME_INPUT_HINT : undefined}
                  disabled={disabled}
                  autoComplete="off"
                  value={value[sub.key] ?? ''}
                  onChange={(e) => set(e.target.value)}
                />
              )}
            </div>
          )
        })}
    </fieldset>
  )
}
