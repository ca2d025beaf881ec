/** The list filter both apps use: its options in the app's words and the select's ids. */
import { createElement as h } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { codeOptions, FilterChoice, YES_NO_OPTIONS } from '../src/index.ts'

describe('FilterChoice', () => {
  it('offers Any, then each code in the app’s words, with the chosen one selected', () => {
    expect(codeOptions(['DAMAGED', 'OK'], 'Any condition')).toEqual([
      ['', 'Any condition'],
      ['DAMAGED', 'Damaged'],
      ['OK', 'OK'],
    ])
    const html = renderToStaticMarkup(
      h(FilterChoice, {
        id: 'filter-dg',
        label: 'DG',
        value: 'true',
        options: YES_NO_OPTIONS,
        onChange: () => {},
        className: 'filter',
      }),
    )
    expect(html).toContain('<div class="filter"><label for="filter-dg">DG</label>')
    expect(html).toContain('id="filter-dg"')
    expect(html).toContain('data-testid="filter-dg"')
    expect(html).toMatch(/<option value="true" selected="">Yes<\/option>/)
    expect(html).toContain('<option value="">Any</option>')
  })
})
