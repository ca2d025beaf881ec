/**
 * Badges for the states people must not miss: damage, a broken seal, a reefer alarm, a customs hold,
 * dangerous goods, an unresolved conflict. Each badge has a symbol and words, never colour alone.
 */
import type { ContainerView } from '@tally/manifest'

export type BadgeKind =
  | 'damaged'
  | 'seal-broken'
  | 'alarm'
  | 'held'
  | 'inspection'
  | 'dg'
  | 'dg-incident'
  | 'conflict'
  | 'proposal'
  | 'reefer'

export type BadgeTone = 'critical' | 'warning' | 'info' | 'neutral'

export interface BadgeInfo {
  kind: BadgeKind
  label: string
  tone: BadgeTone
  /** A longer description for assistive technology and tooltips. */
  title: string
}

const SYMBOL: Record<BadgeTone, string> = { critical: '!', warning: '▲', info: 'i', neutral: '' }

/** The badges a container deserves, most urgent first. */
export function badgesOf(view: ContainerView): BadgeInfo[] {
  const out: BadgeInfo[] = []
  const { physical, reefer, customs, cargo } = view
  if (physical.condition === 'DAMAGED')
    out.push({
      kind: 'damaged',
      label: 'Damaged',
      tone: 'critical',
      title: physical.damage ? `Damaged: ${physical.damage}` : 'Damaged',
    })
  if (physical.sealIntact === false)
    out.push({
      kind: 'seal-broken',
      label: 'Seal broken',
      tone: 'critical',
      title: physical.observedSeal ? `Seal broken; observed seal ${physical.observedSeal}` : 'Seal broken',
    })
  if (reefer?.alarm)
    out.push({
      kind: 'alarm',
      label: 'Reefer alarm',
      tone: 'critical',
      title: `Reefer alarm ${reefer.alarm.code}${reefer.alarm.note ? `: ${reefer.alarm.note}` : ''}`,
    })
  if (physical.dgIncident)
    out.push({ kind: 'dg-incident', label: 'DG incident', tone: 'critical', title: physical.dgIncident })
  if (customs.status === 'HELD')
    out.push({
      kind: 'held',
      label: 'Customs HELD',
      tone: 'critical',
      title: customs.holdReason ? `Customs hold: ${customs.holdReason}` : 'Customs hold',
    })
  if (customs.status === 'INSPECTION')
    out.push({ kind: 'inspection', label: 'Inspection', tone: 'warning', title: 'Customs inspection' })
  if (view.conflicts.length > 0)
    out.push({
      kind: 'conflict',
      label: view.conflicts.length === 1 ? 'Conflict' : `${view.conflicts.length} conflicts`,
      tone: 'warning',
      title: `Concurrent values for ${view.conflicts.map((c) => c.field).join(', ')}`,
    })
  if (cargo.dg)
    out.push({
      kind: 'dg',
      label: `DG ${cargo.dg.imoClass}`,
      tone: 'warning',
      title: `Dangerous goods UN ${cargo.dg.unNumber}, IMDG class ${cargo.dg.imoClass}`,
    })
  const open = view.proposals.filter((p) => p.status === 'OPEN').length
  if (open > 0)
    out.push({
      kind: 'proposal',
      label: open === 1 ? 'Proposal' : `${open} proposals`,
      tone: 'info',
      title: `${open} open proposal${open === 1 ? '' : 's'}`,
    })
  if (reefer) out.push({ kind: 'reefer', label: 'Reefer', tone: 'neutral', title: 'Refrigerated container' })
  return out
}

export function Badge({ info }: { info: BadgeInfo }) {
  return (
    <span
      className={`tly-badge tly-badge--${info.tone}`}
      title={info.title}
      data-testid={`badge-${info.kind}`}
    >
      {SYMBOL[info.tone] && (
        <span className="tly-badge__symbol" aria-hidden="true">
          {SYMBOL[info.tone]}
        </span>
      )}
      {info.label}
    </span>
  )
}

/** The badges of a container, or nothing. `only` limits them to the given kinds. */
export function ContainerBadges({ view, only }: { view: ContainerView; only?: BadgeKind[] }) {
  const badges = badgesOf(view).filter((b) => !only || only.includes(b.kind))
  if (badges.length === 0) return null
  return (
    <span className="tly-badges">
      {badges.map((b) => (
        <Badge key={b.kind} info={b} />
      ))}
    </span>
  )
}
