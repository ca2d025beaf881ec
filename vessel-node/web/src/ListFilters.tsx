/**
 * Search and filters of the container list. Their state lives in the URL hash, so the back button
 * returns from a container to the same filtered page. Search is debounced and runs on the server.
 */
import { useEffect, useRef, useState } from 'react'
import { CONDITIONS, CUSTOMS_STATUSES, PHYSICAL_STATES } from '@tally/manifest'
import { codeOptions, FilterChoice, YES_NO_OPTIONS } from '@tally/ui'

export const FILTER_KEYS = [
  'bay',
  'state',
  'condition',
  'reefer',
  'dg',
  'customs',
  'alarm',
  'conflict',
] as const
const SEARCH_DEBOUNCE_MS = 250

export const SORTS = [
  { value: 'stowage', label: 'Stowage' },
  { value: 'containerId', label: 'Container number' },
  { value: 'state', label: 'State' },
  { value: '-updated', label: 'Recently changed' },
] as const

export interface ListFiltersProps {
  params: URLSearchParams
  /** Sets some parameters (an empty string removes one); `replace` for keystrokes. */
  onChange: (changes: Record<string, string>, replace?: boolean) => void
}

export function ListFilters({ params, onChange }: ListFiltersProps) {
  const [q, setQ] = useState(params.get('q') ?? '')
  const [bay, setBay] = useState(params.get('bay') ?? '')
  const [open, setOpen] = useState(false)
  const searchRef = useRef<HTMLInputElement>(null)
  const urlQ = params.get('q') ?? ''
  const urlBay = params.get('bay') ?? ''

  // The URL is the truth: follow it when it changes from outside (back button, "Clear filters").
  useEffect(() => setQ((current) => (current.trim() === urlQ ? current : urlQ)), [urlQ])
  useEffect(() => setBay(urlBay), [urlBay])

  useEffect(() => {
    if (q.trim() === urlQ) return
    const timer = setTimeout(() => onChange({ q: q.trim() }, true), SEARCH_DEBOUNCE_MS)
    return () => clearTimeout(timer)
  }, [q, urlQ, onChange])

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement
      if (e.key !== '/' || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return
      e.preventDefault()
      searchRef.current?.focus()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])

  const active = FILTER_KEYS.filter((k) => params.get(k)).length
  const bayValid = bay === '' || /^\d{1,3}$/.test(bay)
  const set = (key: string) => (value: string) => onChange({ [key]: value })
  const applyBay = () => {
    const padded = bay ? bay.padStart(3, '0') : ''
    if (bayValid && padded !== urlBay) onChange({ bay: padded })
  }

  return (
    <div className="filters" role="search">
      <div className="filters__search">
        <label htmlFor="search" className="tly-visually-hidden">
          Search containers
        </label>
        <span className="filters__field">
          <svg
            className="filters__icon"
            width="18"
            height="18"
            viewBox="0 0 18 18"
            fill="none"
            stroke="currentColor"
            strokeWidth="2"
            aria-hidden="true"
          >
            <circle cx="7.5" cy="7.5" r="5.5" />
            <path d="M12 12l4.5 4.5" />
          </svg>
          <input
            id="search"
            ref={searchRef}
            className="tly-input filters__q"
            type="search"
            placeholder="Container number, booking or stowage"
            aria-keyshortcuts="/"
            autoComplete="off"
            spellCheck={false}
            value={q}
            onChange={(e) => setQ(e.target.value)}
            data-testid="search"
          />
        </span>
        <button
          type="button"
          className="tly-button tly-button--secondary filters__toggle"
          aria-expanded={open}
          aria-controls="filter-panel"
          onClick={() => setOpen((o) => !o)}
        >
          Filters{active > 0 ? ` (${active})` : ''}
        </button>
      </div>
      <div id="filter-panel" className={`filters__panel${open ? ' filters__panel--open' : ''}`}>
        <div className="filter">
          <label htmlFor="filter-bay">Bay</label>
          <input
            id="filter-bay"
            className="tly-input tly-mono"
            inputMode="numeric"
            maxLength={3}
            placeholder="e.g. 012"
            value={bay}
            aria-invalid={bayValid ? undefined : true}
            aria-describedby={bayValid ? undefined : 'filter-bay-error'}
            onChange={(e) => {
              const text = e.target.value.trim()
              setBay(text)
              // Three digits are a whole bay: filter at once; shorter input waits for Enter or blur.
              if (/^\d{3}$/.test(text) && text !== urlBay) onChange({ bay: text }, true)
            }}
            onBlur={applyBay}
            onKeyDown={(e) => e.key === 'Enter' && applyBay()}
            data-testid="filter-bay"
          />
          {!bayValid && (
            <span id="filter-bay-error" className="tly-field__error">
              Bay must be up to 3 digits
            </span>
          )}
        </div>
        <FilterChoice
          className="filter"
          id="filter-state"
          label="State"
          value={params.get('state') ?? ''}
          options={codeOptions(PHYSICAL_STATES)}
          onChange={set('state')}
        />
        <FilterChoice
          className="filter"
          id="filter-condition"
          label="Condition"
          value={params.get('condition') ?? ''}
          options={codeOptions(CONDITIONS)}
          onChange={set('condition')}
        />
        <FilterChoice
          className="filter"
          id="filter-customs"
          label="Customs"
          value={params.get('customs') ?? ''}
          options={codeOptions(CUSTOMS_STATUSES)}
          onChange={set('customs')}
        />
        <FilterChoice
          className="filter"
          id="filter-reefer"
          label="Reefer"
          value={params.get('reefer') ?? ''}
          options={YES_NO_OPTIONS}
          onChange={set('reefer')}
        />
        <FilterChoice
          className="filter"
          id="filter-dg"
          label="DG"
          value={params.get('dg') ?? ''}
          options={YES_NO_OPTIONS}
          onChange={set('dg')}
        />
        <FilterChoice
          className="filter"
          id="filter-alarm"
          label="Alarm"
          value={params.get('alarm') ?? ''}
          options={YES_NO_OPTIONS}
          onChange={set('alarm')}
        />
        <FilterChoice
          className="filter"
          id="filter-conflict"
          label="Conflict"
          value={params.get('conflict') ?? ''}
          options={YES_NO_OPTIONS}
          onChange={set('conflict')}
        />
        {active > 0 && (
          <div className="filter filter--clear">
            <button
              type="button"
              className="tly-button tly-button--secondary"
              onClick={() => onChange(Object.fromEntries(FILTER_KEYS.map((k) => [k, ''])))}
              data-testid="clear-filters"
            >
              Clear filters
            </button>
          </div>
        )}
      </div>
    </div>
  )
}

/** The sort order of the list, shown beside the result count. */
export function SortControl({ params, onChange }: ListFiltersProps) {
  return (
    <div className="sort">
      <label htmlFor="sort">Sort by</label>
      <select
        id="sort"
        className="tly-input"
        value={params.get('sort') ?? 'stowage'}
        onChange={(e) => onChange({ sort: e.target.value })}
        data-testid="sort"
      >
        {SORTS.map((s) => (
          <option key={s.value} value={s.value}>
            {s.label}
          </option>
        ))}
      </select>
    </div>
  )
}
