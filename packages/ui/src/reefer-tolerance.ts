/**
 * How far a reefer's air may stray from its set point before the crew should look: a reading more
 * than {@link REEFER_TOLERANCE_C} off is flagged on entry, and the chart shades the band around the
 * set point. The set point is the controller's when the crew has recorded it, else the ordered one.
 */
import type { ContainerView } from '@tally/manifest'

/** Degrees either side of the set point that count as normal running. */
export const REEFER_TOLERANCE_C = 3

/** The set point readings are judged against, or null when neither is known. */
export function referenceSetpoint(view: Pick<ContainerView, 'reefer' | 'cargo'>): number | null {
  return view.reefer?.actualSetpointC ?? view.cargo.reeferSetpointC ?? null
}

/** `4 °C`, `−1.5 °C`: one decimal at most, and a true minus sign, as people write temperatures. */
export function formatDegrees(c: number): string {
  const rounded = Math.round(c * 10) / 10
  const text = String(Math.abs(rounded))
  return `${rounded < 0 ? '−' : ''}${text} °C`
}

/** A reading's air against the set point, when it is out of the band. */
export interface Deviation {
  which: 'Supply' | 'Return'
  valueC: number
  setpointC: number
  /** Signed: positive when warmer than the set point. */
  offC: number
  sentence: string
}

/**
 * The first of supply and return that is more than the tolerance off the set point, in words:
 * "Supply 2.5 °C is 4 °C above the setpoint −1.5 °C — raise an alarm?".
 */
export function readingDeviation(
  reading: { supplyC: number; returnC: number },
  setpointC: number | null,
): Deviation | null {
  if (setpointC === null) return null
  for (const [which, valueC] of [
    ['Supply', reading.supplyC],
    ['Return', reading.returnC],
  ] as const) {
    if (!Number.isFinite(valueC)) continue
    const offC = Math.round((valueC - setpointC) * 10) / 10
    if (Math.abs(offC) <= REEFER_TOLERANCE_C) continue
    const sentence = `${which} ${formatDegrees(valueC)} is ${formatDegrees(Math.abs(offC))} ${
      offC > 0 ? 'above' : 'below'
    } the setpoint ${formatDegrees(setpointC)} — raise an alarm?`
    return { which, valueC, setpointC, offC, sentence }
  }
  return null
}
