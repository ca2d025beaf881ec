/**
 * Structured logs: every relay log line about a vessel's link session carries the vessel and the
 * session ID (so one grep follows one window), and the operator tools log their actions with the
 * vessel and the operator. Lines are read from a real relay's pino output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { applyPatch, documentIdFor } from '@tally/manifest'
import { createRelay } from '../src/app.ts'
import type { Relay } from '../src/app.ts'
import { keyOf, seedRelay, syncOnce, tempDir, VESSEL, vesselSide } from '../../test/link/fixtures.ts'

const lines: Record<string, any>[] = []
let relay: Relay
let dir: string

beforeAll(async () => {
  dir = tempDir()
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line))
      done()
    },
  })
  relay = await createRelay({
    dataDir: path.join(dir, 'relay'),
    port: 0,
    logger: pino({ level: 'debug' }, sink),
  })
})
afterAll(async () => {
  await relay?.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('relay logs', { timeout: 60_000 }, () => {
  it('name the vessel and the session on every link-session line, and the operator on ops actions', async () => {
    const ctx = relay.context
    const token = ctx.tokens.issue('vessel', VESSEL, 'vessel')
    const ops = ctx.tokens.issue('user', 'olga', 'ops')
    seedRelay(ctx, 10, randomBytes(16).toString('hex'))
    const vessel = vesselSide(path.join(dir))
    const url = relay.url.replace(/^http/, 'ws') + '/link'
    try {
      await syncOnce(vessel, url, token)
      vessel.store.edit(documentIdFor(keyOf(2)), vessel.actor, (d) =>
        applyPatch(d, { customs: { status: 'RELEASED' } }, 'shore'),
      )
      await syncOnce(vessel, url, token)
    } finally {
      vessel.db.close()
    }
    const [letter] = ctx.deadLetters.list()
    const res = await fetch(`${relay.url}/api/ops/dead-letters/${letter!.id}/discard`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ops}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'crew write to a shore field' }),
    })
    expect(res.status).toBe(200)

    const session = lines.filter((l) => l.component === 'link' && /session/.test(l.msg))
    expect(session.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['link session started', 'link session ended']),
    )
    for (const l of session) expect(l).toMatchObject({ vessel: VESSEL, session: expect.any(String) })
    // The session's ingest (policy refusals, cursors) logs through the same child logger.
    const ids = new Set(session.map((l) => l.session))
    expect(ids.size).toBe(2)
    const discard = lines.find((l) => l.msg === 'dead letter discarded')
    expect(discard).toMatchObject({
      component: 'ops',
      vessel: VESSEL,
      user: 'user:olga',
      deadLetter: letter!.id,
    })
  })
})
