/**
 * The components rendered to HTML with React's server renderer: what each shows for a role, its
 * labels and accessible names. Interaction is covered by the Chromium end-to-end tests.
 */
import { createElement as h } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import {
  ConflictList,
  ContainerSummaryRow,
  HistoryList,
  ProposalList,
  ReeferChart,
  SectionView,
} from '../src/index.ts'
import { makeView } from './fixtures.ts'

const save = async () => {}

function labelsAndInputs(html: string): { labels: string[]; ids: string[] } {
  const labels = [...html.matchAll(/<label[^>]*\sfor="([^"]+)"/g)].map((m) => m[1]!)
  const ids = [...html.matchAll(/<(?:input|select|textarea)[^>]*\sid="([^"]+)"/g)].map((m) => m[1]!)
  return { labels, ids }
}

describe('SectionView', () => {
  it('gives the crew labelled inputs for the physical section', () => {
    const html = renderToStaticMarkup(
      h(SectionView, { view: makeView(), section: 'physical', role: 'vessel', onSave: save }),
    )
    expect(html).toContain('Owned by vessel · you can edit')
    expect(html).toContain('data-testid="input-physical.stowage"')
    expect(html).toContain('value="012 04 82"')
    const { labels, ids } = labelsAndInputs(html)
    expect(ids.length).toBeGreaterThanOrEqual(9)
    for (const id of ids.filter((i) => !i.includes('-alarm-'))) expect(labels).toContain(id)
  })

  it('shows cargo read-only to the crew, owned by shore, with the last editor', () => {
    const html = renderToStaticMarkup(
      h(SectionView, {
        view: makeView(),
        section: 'cargo',
        role: 'vessel',
        onSave: save,
        lastEditor: { principal: 'user:alice', at: '2026-11-20T00:00:00Z' },
      }),
    )
    expect(html).toContain('Owned by shore')
    expect(html).not.toContain('you can edit')
    expect(html).toContain('Last edited by alice')
    expect(html).not.toMatch(/<input|<select|<textarea/)
    expect(html).toContain('data-testid="value-cargo.pod">USLAX<')
  })

  it('lets shore edit customs with the same component', () => {
    const html = renderToStaticMarkup(
      h(SectionView, { view: makeView(), section: 'customs', role: 'customs', onSave: save }),
    )
    expect(html).toContain('data-testid="input-customs.status"')
    expect(html).toContain('Owned by shore · you can edit')
  })

  it('says when a container is not a reefer', () => {
    const html = renderToStaticMarkup(
      h(SectionView, { view: makeView({ reefer: null }), section: 'reefer', role: 'vessel', onSave: save }),
    )
    expect(html).toContain('not a reefer')
    expect(html).not.toContain('<input')
  })
})

describe('ReeferChart', () => {
  it('draws an accessible chart with the set point and alarm markers', () => {
    const view = makeView()
    const html = renderToStaticMarkup(
      h(ReeferChart, {
        readings: view.reefer!.readings,
        orderedSetpointC: -18,
        actualSetpointC: -15,
        alarms: [{ at: '2026-11-20T01:30:00Z', code: 'HIGH_TEMP', note: null, clearedAt: null }],
      }),
    )
    expect(html).toMatch(/<svg[^>]*role="img"[^>]*aria-labelledby="[^"]+"/)
    expect(html).toMatch(/<title id="[^"]+">Reefer temperatures<\/title>/)
    expect(html).toContain('3 readings from 20 Nov 00:00 UTC to 20 Nov 02:00 UTC')
    expect(html).toContain('HIGH_TEMP at 20 Nov 01:30 UTC, active')
    expect(html).toContain('data-testid="reefer-chart-setpoint"')
    expect(html).toContain('Controller set point')
    expect(html.match(/data-testid="reefer-chart-alarm"/g)).toHaveLength(1)
    expect(html).toMatch(/data-testid="reefer-chart-supply"|d="M[\d.]+,[\d.]+L/)
  })

  it('breaks the line where readings are hours apart and says when there are none', () => {
    const readings = [
      { at: '2026-11-20T00:00:00Z', supplyC: -18, returnC: -16 },
      { at: '2026-11-20T01:00:00Z', supplyC: -18, returnC: -16 },
      { at: '2026-11-20T09:00:00Z', supplyC: -18, returnC: -16 },
    ]
    const html = renderToStaticMarkup(
      h(ReeferChart, { readings, orderedSetpointC: -18, actualSetpointC: -18 }),
    )
    const supply = /class="tly-chart__line tly-chart__line--supply" d="([^"]+)"/.exec(html)![1]!
    expect(supply.match(/M/g)).toHaveLength(2)
    const empty = renderToStaticMarkup(
      h(ReeferChart, { readings: [], orderedSetpointC: null, actualSetpointC: null }),
    )
    expect(empty).toContain('No readings yet')
  })
})

describe('lists', () => {
  it('lets the crew keep a value of a physical conflict but not of a cargo conflict', () => {
    const conflicts = [
      {
        field: 'physical.stowage',
        values: [
          { value: '0120482', principal: 'IMO9811000', at: '2026-11-21T08:10:00Z', winner: true },
          { value: '0120484', principal: 'crew:bosun', at: '2026-11-21T08:11:00Z', winner: false },
        ],
      },
      { field: 'cargo.pod', values: [{ value: 'USLAX', principal: 'user:alice', at: null, winner: true }] },
    ]
    const html = renderToStaticMarkup(h(ConflictList, { conflicts, role: 'vessel', onKeep: save }))
    expect(html.match(/Keep this value/g)).toHaveLength(2)
    expect(html).toContain('The shore side resolves this.')
    expect(html).toContain('Shown now (winner)')
    expect(html).toContain('by crew:bosun, 21 Nov 08:11 UTC')
  })

  it('offers accept and decline only to the owner of the field', () => {
    const proposal = {
      id: 'p1',
      at: '2026-11-21T07:00:00Z',
      by: 'user:alice',
      field: 'physical.stowage',
      value: '0140082',
      reason: 'restow',
      status: 'OPEN' as const,
      resolvedBy: null,
      resolvedAt: null,
    }
    const crew = renderToStaticMarkup(
      h(ProposalList, { proposals: [proposal], role: 'vessel', onDecide: save }),
    )
    expect(crew).toContain('data-testid="proposal-accept"')
    const shore = renderToStaticMarkup(
      h(ProposalList, { proposals: [proposal], role: 'shore', onDecide: save }),
    )
    expect(shore).not.toContain('proposal-accept')
    expect(shore).toContain('Waiting for the vessel side')
  })

  it('lists history newest first, leaving readings out by default', () => {
    const entries = [
      {
        at: '2026-11-19T10:00:00Z',
        principal: 'user:alice',
        role: 'shore',
        field: 'customs.status',
        from: null,
        to: 'PENDING',
      },
      {
        at: '2026-11-20T10:00:00Z',
        principal: 'IMO9811000',
        role: 'vessel',
        field: 'reefer.readings',
        from: null,
        to: {},
      },
      {
        at: '2026-11-21T10:00:00Z',
        principal: 'IMO9811000',
        role: 'vessel',
        field: 'physical.condition',
        from: 'OK',
        to: 'DAMAGED',
      },
    ]
    const html = renderToStaticMarkup(h(HistoryList, { entries }))
    const rows = html.match(/data-testid="history-entry"/g)
    expect(rows).toHaveLength(2)
    expect(html.indexOf('Damaged')).toBeLessThan(html.indexOf('Pending'))
    expect(html).toContain('alice')
  })

  it('renders a summary row as one labelled link', () => {
    const html = renderToStaticMarkup(
      h(ContainerSummaryRow, { view: makeView(), href: '#/containers/CSQU3054383' }),
    )
    expect(html).toContain('href="#/containers/CSQU3054383"')
    expect(html).toContain('aria-label="CSQU3054383, 45R1, stowage 012 04 82, On board, customs Pending"')
  })
})
