/** The demo's log after the banner is one readable line per event, not JSON. */
import { describe, expect, it } from 'vitest'
import { PassThrough } from 'node:stream'
import { demoLogger } from '../scripts/demo-log.ts'

describe('the demo log', () => {
  it('prints time, level, name and the message in words', () => {
    const out = new PassThrough()
    let text = ''
    out.on('data', (d: Buffer) => (text += d.toString()))
    const log = demoLogger(out)
    log.info('satellite link UP')
    log.info({ reason: 'schedule' }, 'satellite link DOWN')
    const lines = text.trim().split('\n')
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO \(demo\): satellite link UP$/)
    expect(lines[1]).toMatch(
      /^\[\d\d:\d\d:\d\d\] INFO \(demo\): satellite link DOWN \{"reason":"schedule"\}$/,
    )
    for (const line of lines) expect(() => JSON.parse(line)).toThrow()
  })
})
