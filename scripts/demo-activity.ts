/**
 * Life aboard and ashore for the demo: every few seconds the crew log reefer readings and checks
 * through the vessel node's REST API, and the shore updates customs through the relay's, so each
 * link window has something to carry both ways.
 */
import type { Logger } from 'pino'
import type { Service } from '../test/support/processes.ts'

const TICK_MS = 15_000

interface Options {
  relay: Service
  vessel: Service
  tokens: { crew: string; customs: string }
  vesselImo: string
  log: Logger
}

async function call(url: string, token: string, method = 'GET', body?: unknown): Promise<any> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`)
  return res.status === 204 ? undefined : res.json()
}

export function startActivity(o: Options): { stop: () => void } {
  let tick = 0
  let busy = false
  const timer = setInterval(() => {
    if (busy) return
    busy = true
    void step(o, tick++)
      .catch((err) => o.log.debug({ err: (err as Error).message }, 'demo activity skipped a beat'))
      .finally(() => (busy = false))
  }, TICK_MS)
  return { stop: () => clearInterval(timer) }
}

async function step(o: Options, tick: number): Promise<void> {
  const now = new Date().toISOString()
  const reefers = await call(
    `${o.vessel.url}/api/containers?reefer=true&limit=20&offset=${(tick * 20) % 200}`,
    o.tokens.crew,
  )
  for (const c of reefers.items as { containerId: string; cargo: { reeferSetpointC: number | null } }[]) {
    const setpoint = c.cargo.reeferSetpointC ?? 4
    const drift = Math.round((Math.random() - 0.5) * 10) / 10
    await call(`${o.vessel.url}/api/containers/${c.containerId}/readings`, o.tokens.crew, 'POST', {
      at: now,
      supplyC: Math.round((setpoint + drift) * 10) / 10,
      returnC: Math.round((setpoint + 1.5 + drift) * 10) / 10,
    })
  }
  const boxes = await call(
    `${o.vessel.url}/api/containers?limit=5&offset=${(tick * 37) % 1900}`,
    o.tokens.crew,
  )
  for (const c of boxes.items as { containerId: string }[])
    await call(`${o.vessel.url}/api/containers/${c.containerId}`, o.tokens.crew, 'PATCH', {
      physical: { lashingCheckedAt: now },
    })
  if (tick % 4 === 0 && boxes.items.length > 0) {
    const id = boxes.items[0].containerId
    const status = ['RELEASED', 'INSPECTION', 'HELD', 'RELEASED'][tick % 4 === 0 ? (tick / 4) % 4 : 0]
    await call(`${o.relay.url}/api/vessels/${o.vesselImo}/containers/${id}`, o.tokens.customs, 'PATCH', {
      customs: { status, ...(status === 'HELD' ? { holdReason: 'Documents under review' } : {}) },
    })
  }
}
