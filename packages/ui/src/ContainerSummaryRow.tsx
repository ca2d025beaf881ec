/**
 * One container in a list: number, type, stowage, state, customs, discharge port and badges. The
 * whole row is one link, so it is a single large touch target and a single Tab stop.
 */
import type { ContainerView } from '@tally/manifest'
import { ContainerBadges } from './Badges.tsx'
import { formatState, formatStowage } from './format.ts'

export interface ContainerSummaryRowProps {
  view: ContainerView
  /** Where the row links to (e.g. `#/containers/CSQU3054383`). */
  href: string
  /** Called instead of following the link on a plain click (client-side routing). */
  onOpen?: (containerId: string) => void
}

/** The column headings matching {@link ContainerSummaryRow}, hidden at phone width. */
export function ContainerSummaryHeader() {
  return (
    <div className="tly-row tly-row--header" aria-hidden="true">
      <span>Container</span>
      <span>Stowage</span>
      <span>State</span>
      <span>Customs</span>
      <span>POD</span>
      <span>Status</span>
    </div>
  )
}

export function ContainerSummaryRow({ view, href, onOpen }: ContainerSummaryRowProps) {
  const { physical, customs, cargo } = view
  const stowage = formatStowage(physical.stowage)
  return (
    <li className="tly-row-item" data-testid="container-row" data-container-id={view.containerId}>
      <a
        className="tly-row"
        href={href}
        aria-label={`${view.containerId}, ${view.isoType}, stowage ${stowage}, ${formatState(physical.state)}, customs ${formatState(customs.status)}`}
        onClick={(e) => {
          if (!onOpen || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return
          e.preventDefault()
          onOpen(view.containerId)
        }}
      >
        <span className="tly-row__id">
          <span className="tly-mono">{view.containerId}</span>
          <span className="tly-muted"> {view.isoType}</span>
        </span>
        <span className="tly-row__stowage tly-mono" data-label="Stowage">
          {stowage}
        </span>
        <span className="tly-row__state" data-label="State">
          {formatState(physical.state)}
        </span>
        <span className="tly-row__customs" data-label="Customs">
          {formatState(customs.status)}
        </span>
        <span className="tly-row__pod tly-mono" data-label="POD">
          {cargo.pod ?? '—'}
        </span>
        <span className="tly-row__badges">
          <ContainerBadges view={view} />
        </span>
      </a>
    </li>
  )
}
