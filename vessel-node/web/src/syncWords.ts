/**
 * The sync engine's states and refusals in the crew's words (docs/architecture.md: IDLE → CHECKING →
 * PREPARING → PUSHING → PROCESSING → COMPLETE, with RETRYING and FAILED).
 */
import { formatBytes, formatCount, formatTime, labelOf } from '@tally/ui'
import type { DeadLetter, SyncStatus } from './api.ts'

export type Tone = 'ok' | 'busy' | 'warning' | 'critical' | 'idle'

const STATES: Record<string, { label: string; detail: string; tone: Tone }> = {
  IDLE: { label: 'Idle', detail: 'Waiting for the next sync window.', tone: 'idle' },
  CHECKING: { label: 'Checking', detail: 'Asking the relay what it already has.', tone: 'busy' },
  PREPARING: { label: 'Preparing', detail: 'Packing and compressing changes.', tone: 'busy' },
  PUSHING: { label: 'Sending', detail: 'Sending changes to shore, most urgent first.', tone: 'busy' },
  PROCESSING: { label: 'Receiving', detail: 'Applying changes from shore.', tone: 'busy' },
  COMPLETE: { label: 'Complete', detail: 'Everything sent was acknowledged by shore.', tone: 'ok' },
  RETRYING: { label: 'Retrying', detail: 'The last attempt failed; trying again shortly.', tone: 'warning' },
  FAILED: {
    label: 'Failed',
    detail:
      'Sync gave up after repeated failures. Press “Sync now” to try again, or tell the officer on watch.',
    tone: 'critical',
  },
}

export function describeState(state: string): { label: string; detail: string; tone: Tone } {
  return STATES[state] ?? { label: state, detail: '', tone: 'idle' }
}

export function isSyncing(state: string): boolean {
  return describeState(state).tone === 'busy'
}

/** The last error as one sentence. */
export function errorWords(error: SyncStatus['lastError']): string | null {
  if (!error) return null
  const text = typeof error === 'string' ? error : (error.message ?? '')
  return text.split('\n')[0] || 'The last sync failed.'
}

/** A dead letter as a sentence: "The relay refused your change to customs.status: owned by shore". */
export function deadLetterWords(letter: DeadLetter): string {
  const what = letter.field ? `${letter.field} (${labelOf(letter.field)})` : 'a change'
  const where = letter.containerId ? ` on ${letter.containerId}` : ''
  const reason = letter.reason.split('\n')[0]
  return `The relay refused your change to ${what}${where}: ${reason}`
}

export function retryWords(sync: SyncStatus): string | null {
  if (sync.state !== 'RETRYING' || !sync.nextRetryAt) return null
  return `Attempt ${sync.attempt ?? '?'} failed; next try ${formatTime(sync.nextRetryAt)}.`
}

/**
 * The daily byte budget in words, or null without one. Once it is spent the link still carries
 * critical changes (damage, seals, alarms, DG, holds); everything else waits for 00:00 UTC.
 */
export function budgetWords(
  budget: SyncStatus['budget'],
): { headline: string; detail: string; limited: boolean } | null {
  if (!budget) return null
  const left =
    budget.remainingBytes > 0 ? `${formatBytes(budget.remainingBytes)} left today.` : 'Nothing left today.'
  if (!budget.limited) return { headline: `Daily budget: ${left}`, detail: '', limited: false }
  const { normal, routine } = budget.heldBack
  const held = [
    normal > 0 ? `${formatCount(normal)} normal` : '',
    routine > 0 ? `${formatCount(routine)} routine` : '',
  ].filter(Boolean)
  const heldWords =
    held.length > 0
      ? ` The last sync held back ${held.join(' and ')} change${normal + routine === 1 ? '' : 's'}; they go after 00:00 UTC (or when shore raises the budget).`
      : ''
  return {
    headline: 'Daily budget spent — only critical changes are sent until 00:00 UTC',
    detail: `${left}${heldWords}`,
    limited: true,
  }
}
