/**
 * The shore list's filters: the crew app's (condition, seal, reefer, alarm, DG, state, customs, POD,
 * bay) plus vessel, conflicts and "changed since I last looked", and one preset for the question a
 * clerk asks every morning: which boxes came back damaged or with a broken seal today.
 */
import { useEffect, useState } from 'react'
import { CONDITIONS, CUSTOMS_STATUSES, PHYSICAL_STATES } from '@tally/manifest'
import { codeOptions, FilterChoice, formatTime, YES_NO_OPTIONS } from '@tally/ui'
import type { VesselSummary } from './api.ts'
import { startOfTodayUtc } from './list-params.ts'

export interface ShoreListFiltersProps {
  params: URLSearchParams
  vessels: readonly VesselSummary[]
  /** When this user last looked at the list, or null on a first visit. */
  lastLooked: string | null
  q: string
  onQ: (q: string) => void
  /** Sets parameters (an empty string removes one); the page goes back to the first. */
  onChange: (changes: Record<string, string>) => void
}

/** A short code (POD, bay) typed freely and applied once complete, or cleared when emptied. */
function CodeInput(props: {
  id: string
  label: string
  placeholder: string
  value: string
  maxLength: number
  clean: (v: string) => string
  complete: (v: string) => boolean
  onCommit: (v: string) => void
}) {
  const [draft, setDraft] = useState(props.value)
  useEffect(() => setDraft(props.value), [props.value])
  return (
    <div className="tly-field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        className="tly-input tly-mono"
        maxLength={props.maxLength}
        placeholder={props.placeholder}
        autoComplete="off"
        value={draft}
        onChange={(e) => {
          const v = props.clean(e.target.value)
          setDraft(v)
          if (v === '' || props.complete(v)) props.onCommit(v)
        }}
        data-testid={props.id}
      />
    </div>
  )
}

export function ShoreListFilters({ params, vessels, lastLooked, q, onQ, onChange }: ShoreListFiltersProps) {
  const get = (name: string) => params.get(name) ?? ''
  const vessel = get('vessel')
  const today = startOfTodayUtc()
  const exceptionsToday = get('exception') === 'true' && get('since') === today
  const sinceLastLook = lastLooked !== null && get('since') === lastLooked
  return (
    <form className="tly-card shore-list__filters" role="search" onSubmit={(e) => e.preventDefault()}>
      <div className="shore-list__presets">
        <button
          type="button"
          className={`tly-button ${exceptionsToday ? 'tly-button--primary' : 'tly-button--secondary'}`}
          aria-pressed={exceptionsToday}
          onClick={() =>
            onChange(
              exceptionsToday
                ? { exception: '', since: '' }
                : { exception: 'true', since: today, condition: '', seal: '', sort: '-updated' },
            )
          }
          data-testid="preset-exceptions-today"
        >
          Damaged or broken seal today
        </button>
        <label className="tly-check">
          <input
            type="checkbox"
            disabled={lastLooked === null}
            checked={sinceLastLook}
            onChange={(e) => onChange({ since: e.target.checked && lastLooked ? lastLooked : '' })}
            data-testid="filter-since-last-look"
          />
          Changed since I last looked
          <span className="tly-muted">{lastLooked ? ` (${formatTime(lastLooked)})` : ' (first visit)'}</span>
        </label>
        {get('since') && !exceptionsToday && !sinceLastLook && (
          <span className="tly-chip">Changed since {formatTime(get('since'))}</span>
        )}
      </div>
      <div className="shore-list__fields">
        <div className="tly-field shore-list__q">
          <label htmlFor="search-q">Container, booking, stowage or a word</label>
          <input
            id="search-q"
            className="tly-input"
            type="search"
            value={q}
            placeholder="e.g. TSTU0000013, BK000013, 012, damaged"
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => onQ(e.target.value)}
            data-testid="search-q"
          />
        </div>
        <FilterChoice
          id="filter-vessel"
          label="Vessel"
          value={vessel}
          options={[
            ['', 'All vessels'],
            ...vessels.map((v) => [v.imo, v.name ?? v.imo] as const),
            ...(vessel && !vessels.some((v) => v.imo === vessel) ? [[vessel, vessel] as const] : []),
          ]}
          onChange={(v) => onChange({ vessel: v })}
        />
        <FilterChoice
          id="filter-condition"
          label="Condition"
          value={get('condition')}
          options={codeOptions(CONDITIONS)}
          onChange={(v) => onChange({ condition: v })}
        />
        <FilterChoice
          id="filter-seal"
          label="Seal"
          value={get('seal')}
          options={[
            ['', 'Any'],
            ['broken', 'Broken'],
            ['intact', 'Intact'],
          ]}
          onChange={(v) => onChange({ seal: v })}
        />
        <FilterChoice
          id="filter-reefer"
          label="Reefer"
          value={get('reefer')}
          options={YES_NO_OPTIONS}
          onChange={(v) => onChange({ reefer: v })}
        />
        <FilterChoice
          id="filter-alarm"
          label="Alarm"
          value={get('alarm')}
          options={YES_NO_OPTIONS}
          onChange={(v) => onChange({ alarm: v })}
        />
        <FilterChoice
          id="filter-dg"
          label="DG"
          value={get('dg')}
          options={YES_NO_OPTIONS}
          onChange={(v) => onChange({ dg: v })}
        />
        <FilterChoice
          id="filter-state"
          label="State"
          value={get('state')}
          options={codeOptions(PHYSICAL_STATES)}
          onChange={(v) => onChange({ state: v })}
        />
        <FilterChoice
          id="filter-customs"
          label="Customs"
          value={get('customs')}
          options={codeOptions(CUSTOMS_STATUSES, 'Any status')}
          onChange={(v) => onChange({ customs: v })}
        />
        <CodeInput
          id="filter-pod"
          label="POD"
          placeholder="USLAX"
          value={get('pod')}
          clean={(v) => v.toUpperCase().replace(/[^A-Z0-9]/g, '')}
          complete={(v) => /^[A-Z]{2}[A-Z2-9]{3}$/.test(v)}
          maxLength={5}
          onCommit={(v) => onChange({ pod: v })}
        />
        <CodeInput
          id="filter-bay"
          label="Bay"
          placeholder="012"
          value={get('bay')}
          clean={(v) => v.replace(/\D/g, '')}
          complete={(v) => v.length === 3}
          maxLength={3}
          onCommit={(v) => onChange({ bay: v })}
        />
        <label className="tly-check shore-list__conflict">
          <input
            type="checkbox"
            checked={get('conflict') === 'true'}
            onChange={(e) => onChange({ conflict: e.target.checked ? 'true' : '' })}
            data-testid="filter-conflict"
          />
          Only with conflicts
        </label>
      </div>
    </form>
  )
}
