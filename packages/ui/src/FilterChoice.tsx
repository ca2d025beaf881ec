/**
 * One list filter as a labelled select, and the option lists both container lists use: the crew
 * app's and the shore app's filters share these (condition, state, customs, yes/no flags).
 */
import { formatState } from './format.ts'

export type FilterOption = readonly [value: string, label: string]

/** The option that clears a filter: "Any" (or the word given). */
export const anyOption = (word = 'Any'): FilterOption => ['', word]

/** Any, then each code in the app's words ("DAMAGED" → "Damaged"). */
export const codeOptions = (codes: readonly string[], any = 'Any'): FilterOption[] => [
  anyOption(any),
  ...codes.map((code): FilterOption => [code, formatState(code)]),
]

/** Any, yes or no, for a flag filter (`true` / `false` in the URL). */
export const YES_NO_OPTIONS: readonly FilterOption[] = [anyOption(), ['true', 'Yes'], ['false', 'No']]

export interface FilterChoiceProps {
  /** The select's id and test id. */
  id: string
  label: string
  value: string
  options: readonly FilterOption[]
  onChange: (value: string) => void
  /** The wrapper's class: each app lays its filters out its own way. */
  className?: string
}

export function FilterChoice({
  id,
  label,
  value,
  options,
  onChange,
  className = 'tly-field',
}: FilterChoiceProps) {
  return (
    <div className={className}>
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        className="tly-input"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        data-testid={id}
      >
        {options.map(([optionValue, optionLabel]) => (
          <option key={optionValue} value={optionValue}>
            {optionLabel}
          </option>
        ))}
      </select>
    </div>
  )
}
