/**
 * The crew's frequent physical facts, one tap away: record damage, check a seal, check lashing,
 * raise or clear a reefer alarm, add a reading. Each builds a partial view, validates it with the
 * catalog (as the server will) and sends it; refusals are shown in words naming the field.
 */
import { useEffect, useRef, useState } from 'react'
import type { ContainerPatch, ContainerView } from '@tally/manifest'
import { Dialog, formatTime, problemOf, referenceSetpoint, validatePatch } from '@tally/ui'
import type { CrewApi } from './api.ts'
import { AlarmForm, Confirm, DamageForm, ReadingForm, SealForm } from './QuickActionForms.tsx'

type ActionName = 'damage' | 'seal' | 'alarm' | 'clear-alarm' | 'reading'

export interface QuickActionsProps {
  view: ContainerView
  api: CrewApi
  /** Receives the updated view after each action. */
  onView: (view: ContainerView) => void
}

const nowIso = (): string => new Date().toISOString()
/** How long a one-tap lashing check waits, undoable, before it is sent. */
export const LASHING_UNDO_MS = 5_000

export function QuickActions({ view, api, onView }: QuickActionsProps) {
  const [open, setOpen] = useState<ActionName | null>(null)
  const [status, setStatus] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [alarmPrefill, setAlarmPrefill] = useState<{ code: string; note: string } | undefined>()
  const lashing = usePendingLashing(async (at) => {
    await send({ physical: { lashingCheckedAt: at } }, `Lashing check recorded at ${formatTime(at)}.`)
  })

  /** Validates and sends a patch; returns whether it was saved. */
  async function send(patch: ContainerPatch, done: string): Promise<boolean> {
    const refused = validatePatch(view, patch, 'vessel')
    if (refused) {
      setError(`${refused.label} ${refused.problem}`)
      return false
    }
    return run(() => api.patch(view.containerId, patch), done)
  }

  async function run(call: () => Promise<ContainerView>, done: string): Promise<boolean> {
    setBusy(true)
    setError(null)
    try {
      onView(await call())
      setStatus(done)
      setOpen(null)
      return true
    } catch (err) {
      setError(problemOf(err).message)
      return false
    } finally {
      setBusy(false)
    }
  }

  /** A dialog's close event arrives after the next one may have opened: close only its own. */
  const closeOnly = (name: ActionName) => () => setOpen((o) => (o === name ? null : o))
  const openAction = (name: ActionName) => {
    setAlarmPrefill(undefined)
    setError(null)
    setStatus('')
    setOpen(name)
  }
  const { physical, reefer, cargo } = view

  return (
    <div className="quick" data-testid="quick-actions">
      <div className="quick__buttons">
        <button
          type="button"
          className="tly-button tly-button--secondary"
          onClick={() => openAction('damage')}
          data-testid="action-damage"
        >
          {physical.condition === 'DAMAGED' ? 'Update damage' : 'Record damage'}
        </button>
        <button
          type="button"
          className="tly-button tly-button--secondary"
          onClick={() => openAction('seal')}
          data-testid="action-seal"
        >
          Check seal
        </button>
        <button
          type="button"
          className="tly-button tly-button--secondary"
          disabled={busy || lashing.pending !== null}
          onClick={() => {
            setError(null)
            setStatus('')
            lashing.start(nowIso())
          }}
          data-testid="action-lashing"
        >
          Lashing checked
        </button>
        {reefer &&
          (reefer.alarm ? (
            <button
              type="button"
              className="tly-button tly-button--danger"
              onClick={() => openAction('clear-alarm')}
              data-testid="action-clear-alarm"
            >
              Clear alarm
            </button>
          ) : (
            <button
              type="button"
              className="tly-button tly-button--secondary"
              onClick={() => openAction('alarm')}
              data-testid="action-alarm"
            >
              Raise alarm
            </button>
          ))}
        {reefer && (
          <button
            type="button"
            className="tly-button tly-button--secondary"
            onClick={() => openAction('reading')}
            data-testid="action-reading"
          >
            Add reading
          </button>
        )}
      </div>
      {lashing.pending !== null ? (
        <p className="tly-status quick__status quick__undo" role="status" data-testid="lashing-undo">
          Lashing check at {formatTime(lashing.pending)}: recording in a few seconds.{' '}
          <button
            type="button"
            className="tly-button tly-button--ghost"
            onClick={() => {
              lashing.undo()
              setStatus('Lashing check undone; nothing was recorded.')
            }}
            data-testid="lashing-undo-button"
          >
            Undo
          </button>
        </p>
      ) : (
        <p className="tly-status quick__status" role="status" aria-live="polite" data-testid="action-status">
          {status}
        </p>
      )}
      {error && open === null && (
        <p className="tly-alert tly-alert--error" role="alert" data-testid="action-error">
          {error}
        </p>
      )}

      <Dialog
        open={open === 'damage'}
        title="Record damage"
        onClose={closeOnly('damage')}
        testId="dialog-damage"
      >
        <DamageForm
          initial={physical.damage ?? ''}
          damaged={physical.condition === 'DAMAGED'}
          busy={busy}
          error={error}
          onRecord={async (damage) => {
            if (!damage) {
              setError('Describe the damage (what and where) before recording it.')
              return false
            }
            return send(
              { physical: { condition: 'DAMAGED', damage, lastInspectedAt: nowIso() } },
              'Damage recorded. It goes to shore first at the next sync.',
            )
          }}
          onRepaired={() => send({ physical: { condition: 'OK' } }, 'Condition set to OK.')}
        />
      </Dialog>

      <Dialog open={open === 'seal'} title="Check seal" onClose={closeOnly('seal')} testId="dialog-seal">
        <SealForm
          declared={cargo.declaredSeal}
          observed={physical.observedSeal}
          busy={busy}
          error={error}
          onCheck={(intact, observedSeal) =>
            send(
              { physical: { sealIntact: intact, observedSeal, lastInspectedAt: nowIso() } },
              intact
                ? 'Seal check recorded: intact.'
                : 'Broken seal recorded. It goes to shore first at the next sync.',
            )
          }
        />
      </Dialog>

      <Dialog
        open={open === 'alarm'}
        title="Raise reefer alarm"
        onClose={closeOnly('alarm')}
        testId="dialog-alarm"
      >
        <AlarmForm
          key={alarmPrefill ? `${alarmPrefill.code}:${alarmPrefill.note}` : 'blank'}
          initial={alarmPrefill}
          busy={busy}
          error={error}
          onRaise={(code, note) =>
            send({ reefer: { alarm: { code, at: nowIso(), note } } }, `Alarm ${code} raised.`)
          }
        />
      </Dialog>

      <Dialog
        open={open === 'clear-alarm'}
        title="Clear reefer alarm"
        onClose={closeOnly('clear-alarm')}
        testId="dialog-clear-alarm"
      >
        {reefer?.alarm && (
          <Confirm
            busy={busy}
            error={error}
            label="Clear alarm"
            onConfirm={() => send({ reefer: { alarm: null } }, `Alarm ${reefer.alarm!.code} cleared.`)}
          >
            <p>
              Clear alarm <strong>{reefer.alarm.code}</strong>, raised {formatTime(reefer.alarm.at)}
              {reefer.alarm.note ? ` (${reefer.alarm.note})` : ''}? Do this once the unit runs normally again.
            </p>
          </Confirm>
        )}
      </Dialog>

      <Dialog
        open={open === 'reading'}
        title="Add reefer reading"
        onClose={closeOnly('reading')}
        testId="dialog-reading"
      >
        <ReadingForm
          busy={busy}
          error={error}
          setpointC={referenceSetpoint(view)}
          onAdd={(reading) => run(() => api.addReading(view.containerId, reading), 'Reading added.')}
          onAddAndRaise={async (reading, deviation) => {
            if (!(await run(() => api.addReading(view.containerId, reading), 'Reading added.'))) return
            setAlarmPrefill({
              code: deviation.offC > 0 ? 'HIGH_TEMP' : 'LOW_TEMP',
              note: deviation.sentence.replace(/ — raise an alarm\?$/, '.'),
            })
            setOpen('alarm')
          }}
          onInvalid={setError}
        />
      </Dialog>
    </div>
  )
}

/**
 * A lashing check waits {@link LASHING_UNDO_MS} before it is sent, so a mistaken tap can be undone
 * without a second edit in the history. Leaving the page sends it at once rather than losing it.
 */
function usePendingLashing(send: (at: string) => Promise<void>) {
  const [pending, setPending] = useState<string | null>(null)
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const pendingRef = useRef<string | null>(null)
  const sendRef = useRef(send)
  useEffect(() => {
    sendRef.current = send
  })
  const fire = () => {
    const at = pendingRef.current
    if (timer.current) clearTimeout(timer.current)
    timer.current = null
    pendingRef.current = null
    setPending(null)
    if (at) void sendRef.current(at)
  }
  useEffect(
    () => () => {
      // Unmounting (another container, another page): the check was meant, so it is sent.
      if (pendingRef.current) fire()
    },
    [],
  )
  return {
    pending,
    start(at: string) {
      pendingRef.current = at
      setPending(at)
      timer.current = setTimeout(fire, LASHING_UNDO_MS)
    },
    undo() {
      if (timer.current) clearTimeout(timer.current)
      timer.current = null
      pendingRef.current = null
      setPending(null)
    },
  }
}
