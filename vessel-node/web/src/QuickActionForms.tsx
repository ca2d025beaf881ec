/**
 * The small forms behind the quick actions: damage, seal check, alarm, reading, confirmation. Each
 * collects what the crew saw and hands it back; QuickActions validates and sends it.
 */
import { useState } from 'react'
import type { FormEvent, ReactNode } from 'react'
import { validators } from '@tally/manifest'
import { isoToTimeInput, readingDeviation, TIME_INPUT_HINT, timeInputToIso } from '@tally/ui'
import type { Deviation } from '@tally/ui'

export const ALARM_CODES = [
  'HIGH_TEMP',
  'LOW_TEMP',
  'POWER_LOSS',
  'SENSOR_FAULT',
  'DEFROST',
  'COMPRESSOR',
] as const

export function FormFooter({
  busy,
  error,
  label,
  children,
}: {
  busy: boolean
  error: string | null
  label: string
  children?: ReactNode
}) {
  return (
    <>
      {error && (
        <p className="tly-alert tly-alert--error" role="alert" data-testid="dialog-error">
          {error}
        </p>
      )}
      <div className="tly-actions">
        <button
          type="submit"
          className="tly-button tly-button--primary"
          disabled={busy}
          data-testid="dialog-submit"
        >
          {busy ? 'Saving…' : label}
        </button>
        {children}
      </div>
    </>
  )
}

/** A submit handler that keeps the page from reloading. */
export const submitting = (handler: () => unknown) => (e: FormEvent) => {
  e.preventDefault()
  handler()
}

export function DamageForm(props: {
  initial: string
  damaged: boolean
  busy: boolean
  error: string | null
  onRecord: (damage: string) => Promise<boolean>
  onRepaired: () => Promise<boolean>
}) {
  const [damage, setDamage] = useState(props.initial)
  return (
    <form className="tly-form" noValidate onSubmit={submitting(() => props.onRecord(damage.trim()))}>
      <div className="tly-field">
        <label htmlFor="damage-text">What is damaged?</label>
        <textarea
          id="damage-text"
          className="tly-input tly-textarea"
          rows={3}
          maxLength={2000}
          required
          value={damage}
          onChange={(e) => setDamage(e.target.value)}
          placeholder="e.g. Dent in left side panel, 30 cm, no leak"
          data-testid="damage-text"
          autoFocus
        />
      </div>
      <FormFooter busy={props.busy} error={props.error} label="Record damage">
        {props.damaged && (
          <button
            type="button"
            className="tly-button tly-button--secondary"
            disabled={props.busy}
            onClick={() => void props.onRepaired()}
          >
            Condition is OK again
          </button>
        )}
      </FormFooter>
    </form>
  )
}

export function SealForm(props: {
  declared: string | null
  observed: string | null
  busy: boolean
  error: string | null
  onCheck: (intact: boolean, observedSeal: string | null) => Promise<boolean>
}) {
  const [intact, setIntact] = useState(true)
  const [seal, setSeal] = useState(props.observed ?? props.declared ?? '')
  const differs =
    !!props.declared && seal.trim() !== '' && seal.trim().toUpperCase() !== props.declared.toUpperCase()
  return (
    <form
      className="tly-form"
      noValidate
      onSubmit={submitting(() => props.onCheck(intact, seal.trim() || null))}
    >
      <fieldset className="choice">
        <legend>Seal</legend>
        <label className="tly-check">
          <input
            type="radio"
            name="seal"
            checked={intact}
            onChange={() => setIntact(true)}
            data-testid="seal-intact"
          />{' '}
          Intact
        </label>
        <label className="tly-check">
          <input
            type="radio"
            name="seal"
            checked={!intact}
            onChange={() => setIntact(false)}
            data-testid="seal-broken"
          />{' '}
          Broken or missing
        </label>
      </fieldset>
      <div className="tly-field">
        <label htmlFor="seal-number">Seal number on the door</label>
        <input
          id="seal-number"
          className="tly-input tly-mono"
          autoComplete="off"
          value={seal}
          onChange={(e) => setSeal(e.target.value)}
          aria-describedby="seal-declared"
          data-testid="seal-number"
        />
        <p id="seal-declared" className={differs ? 'tly-field__error' : 'tly-muted'}>
          {props.declared
            ? `Declared seal: ${props.declared}${differs ? ' — the number differs' : ''}`
            : 'No declared seal.'}
        </p>
      </div>
      <FormFooter busy={props.busy} error={props.error} label="Record seal check" />
    </form>
  )
}

export function AlarmForm(props: {
  busy: boolean
  error: string | null
  onRaise: (code: string, note: string | null) => Promise<boolean>
  /** Filled in when the alarm follows a reading out of the band. */
  initial?: { code: string; note: string }
}) {
  const [code, setCode] = useState<string>(props.initial?.code ?? ALARM_CODES[0])
  const [note, setNote] = useState(props.initial?.note ?? '')
  return (
    <form
      className="tly-form"
      noValidate
      onSubmit={submitting(() => props.onRaise(code.trim(), note.trim() || null))}
    >
      <div className="tly-field">
        <label htmlFor="alarm-code">Alarm code</label>
        <input
          id="alarm-code"
          className="tly-input tly-mono"
          list="alarm-codes"
          autoComplete="off"
          value={code}
          onChange={(e) => setCode(e.target.value.toUpperCase())}
          data-testid="alarm-code"
        />
        <datalist id="alarm-codes">
          {ALARM_CODES.map((c) => (
            <option key={c} value={c} />
          ))}
        </datalist>
      </div>
      <div className="tly-field">
        <label htmlFor="alarm-note">
          Note <span className="tly-muted">(optional)</span>
        </label>
        <textarea
          id="alarm-note"
          className="tly-input tly-textarea"
          rows={2}
          maxLength={2000}
          value={note}
          onChange={(e) => setNote(e.target.value)}
          data-testid="alarm-note"
        />
      </div>
      <FormFooter busy={props.busy} error={props.error} label="Raise alarm" />
    </form>
  )
}

export function ReadingForm(props: {
  busy: boolean
  error: string | null
  /** The set point readings are judged against; null when none is known. */
  setpointC: number | null
  onAdd: (reading: { at: string; supplyC: number; returnC: number }) => Promise<boolean>
  /** Adds the reading, then opens the alarm form for the deviation. */
  onAddAndRaise: (reading: { at: string; supplyC: number; returnC: number }, deviation: Deviation) => unknown
  onInvalid: (message: string) => void
}) {
  const [at, setAt] = useState(() => isoToTimeInput(new Date().toISOString()))
  const [supply, setSupply] = useState('')
  const [ret, setRet] = useState('')
  const typed = {
    supplyC: supply.trim() === '' ? NaN : Number(supply.replace(',', '.')),
    returnC: ret.trim() === '' ? NaN : Number(ret.replace(',', '.')),
  }
  // Flagged as it is typed, before anything is sent: the crew decides whether it is an alarm.
  const deviation = readingDeviation(typed, props.setpointC)
  const submit = (raise = false) => {
    const reading = {
      at: timeInputToIso(at) ?? '',
      supplyC: Number(supply.replace(',', '.')),
      returnC: Number(ret.replace(',', '.')),
    }
    const checks: [string, string, string | null][] = [
      ['Time', at, validators.isoTime(reading.at)],
      [
        'Supply air',
        supply,
        supply.trim() === '' ? 'is required' : validators.airTemperatureC(reading.supplyC),
      ],
      ['Return air', ret, ret.trim() === '' ? 'is required' : validators.airTemperatureC(reading.returnC)],
    ]
    const bad = checks.find(([, , problem]) => problem)
    if (bad) return props.onInvalid(`${bad[0]} ${bad[2]}`)
    if (raise && deviation) return props.onAddAndRaise(reading, deviation)
    return props.onAdd(reading)
  }
  return (
    <form className="tly-form" noValidate onSubmit={submitting(() => submit())}>
      <div className="tly-fields">
        <div className="tly-field">
          <label htmlFor="reading-supply">Supply air (°C)</label>
          <input
            id="reading-supply"
            className="tly-input"
            inputMode="decimal"
            autoComplete="off"
            value={supply}
            onChange={(e) => setSupply(e.target.value)}
            data-testid="reading-supply"
            autoFocus
          />
        </div>
        <div className="tly-field">
          <label htmlFor="reading-return">Return air (°C)</label>
          <input
            id="reading-return"
            className="tly-input"
            inputMode="decimal"
            autoComplete="off"
            value={ret}
            onChange={(e) => setRet(e.target.value)}
            data-testid="reading-return"
          />
        </div>
        <div className="tly-field tly-field--wide">
          <label htmlFor="reading-at">Time (UTC)</label>
          <input
            id="reading-at"
            className="tly-input"
            type="text"
            autoComplete="off"
            placeholder={TIME_INPUT_HINT}
            value={at}
            onChange={(e) => setAt(e.target.value)}
          />
        </div>
      </div>
      {deviation && (
        <p className="tly-alert tly-alert--warning" role="status" data-testid="reading-deviation">
          {deviation.sentence}
        </p>
      )}
      <FormFooter busy={props.busy} error={props.error} label="Add reading">
        {deviation && (
          <button
            type="button"
            className="tly-button tly-button--danger"
            disabled={props.busy}
            onClick={() => submit(true)}
            data-testid="reading-raise-alarm"
          >
            Add reading and raise alarm
          </button>
        )}
      </FormFooter>
    </form>
  )
}

export function Confirm(props: {
  busy: boolean
  error: string | null
  label: string
  onConfirm: () => Promise<boolean>
  children: ReactNode
}) {
  return (
    <form className="tly-form" noValidate onSubmit={submitting(props.onConfirm)}>
      {props.children}
      <FormFooter busy={props.busy} error={props.error} label={props.label} />
    </form>
  )
}
