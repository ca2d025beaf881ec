/**
 * Who wrote with which Automerge actor, for naming the authors of conflicting values. The relay
 * keeps the actor registry; the app asks it over `/sync` (an ephemeral `{tally: {type: 'who'}}`
 * message on the document, answered with `{tally: {type: 'actors'}}`, see docs/shore-sync.md) and
 * remembers the answers in localStorage, so names still show offline.
 */
import type { DocHandle } from '@automerge/automerge-repo'

export interface ActorInfo {
  principal: string
  name: string
  role: string | null
}

const MAX_REMEMBERED = 2_000

export class ActorDirectory {
  private readonly known: Map<string, ActorInfo>
  /** Actors asked about since the last (re)connection, so a question is not repeated. */
  private readonly asked = new Set<string>()
  private readonly listeners = new Set<() => void>()
  private version = 0

  constructor(private readonly storageKey: string) {
    this.known = new Map(load(storageKey))
  }

  /** The principal behind an actor, if the relay has told us. */
  principalOf = (actor: string): string | undefined => this.known.get(actor)?.principal

  /** Records the relay's answer. */
  learn(actors: Record<string, ActorInfo>): void {
    let changed = false
    for (const [actor, info] of Object.entries(actors)) {
      if (typeof info?.principal !== 'string') continue
      this.known.set(actor, { principal: info.principal, name: String(info.name), role: info.role ?? null })
      changed = true
    }
    if (!changed) return
    while (this.known.size > MAX_REMEMBERED) this.known.delete(this.known.keys().next().value!)
    try {
      localStorage.setItem(this.storageKey, JSON.stringify([...this.known]))
    } catch {
      // Storage full or disabled: names last until the page reloads.
    }
    this.version++
    for (const listener of this.listeners) listener()
  }

  /** Asks the relay about actors not known yet (through the document's handle). */
  ask(handle: DocHandle<unknown>, actors: Iterable<string>): void {
    const unknown = [...actors].filter((a) => !this.known.has(a) && !this.asked.has(a))
    if (unknown.length === 0) return
    for (const a of unknown) this.asked.add(a)
    handle.broadcast({ tally: { type: 'who', actors: unknown } })
  }

  /** After a reconnection, unanswered questions may be asked again. */
  forgetQuestions(): void {
    this.asked.clear()
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  getVersion = (): number => this.version
}

function load(key: string): [string, ActorInfo][] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(key) ?? '[]')
    return Array.isArray(parsed) ? (parsed as [string, ActorInfo][]) : []
  } catch {
    return []
  }
}
