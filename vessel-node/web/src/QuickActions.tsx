/**
 * The crew's frequent physical facts, one tap away: record damage, check a seal, check lashing,
 * raise or clear a reefer alarm, add a reading. Each builds a partial view, validates it with the
 * catalog (as the server will) and sends it; refusals are shown in words naming the field.
 */
import { useState } from 'react'
import type { ContainerPatch, ContainerView } from '@tally/manifest'
import { Dialog, formatTime, problemOf, validatePatch } from '@tally/ui'
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

export function QuickActions({ view, api, onView }: QuickActionsProps) {
  const [open, setOpen] = useState<ActionName | null>(null)
  const [status, setStatus] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

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

  const openAction = (name: ActionName) => {
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
          disabled={busy}
          onClick={() => {
            const at = nowIso()
            void send({ physical: { lashingCheckedAt: at } }, `Lashing check recorded at ${formatTime(at)}.`)
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
      <p className="tly-status quick__status" role="status" aria-live="polite" data-testid="action-status">
        {status}
      </p>
      {error && open === null && (
        <p className="tly-alert tly-alert--error" role="alert" data-testid="action-error">
          {error}
        </p>
      )}

      <Dialog
        open={open === 'damage'}
        title="Record damage"
        onClose={() => setOpen(null)}
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

      <Dialog open={open === 'seal'} title="Check seal" onClose={() => setOpen(null)} testId="dialog-seal">
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
        onClose={() => setOpen(null)}
        testId="dialog-alarm"
      >
        <AlarmForm
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
        onClose={() => setOpen(null)}
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
        onClose={() => setOpen(null)}
        testId="dialog-reading"
      >
        <ReadingForm
          busy={busy}
          error={error}
          onAdd={(reading) => run(() => api.addReading(view.containerId, reading), 'Reading added.')}
          onInvalid={setError}
        />
      </Dialog>
    </div>
  )
}
