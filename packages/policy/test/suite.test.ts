/** Runs the authority acceptance suite against `validate` itself, with an in-memory store. */
import * as A from '@automerge/automerge'
import type { ContainerDoc } from '@tally/manifest'
import { MemoryActorRegistry, validate } from '../src/index.ts'
import { runAuthoritySuite } from '../src/suite.ts'
import type { AuthorityIngest } from '../src/suite.ts'

function directIngest(): AuthorityIngest {
  const registry = new MemoryActorRegistry()
  const stored = new Map<string, A.Doc<ContainerDoc>>()
  return {
    bind: (actor, principal) => registry.bind(actor, principal),
    async submit(sender, before, changes) {
      const decoded = changes.map((c) => A.decodeChange(c))
      const id = before.containerId ? String(before.containerId) : String(decoded[0]?.hash)
      let doc = A.merge(stored.get(id) ?? A.init<ContainerDoc>(), A.clone(before))
      const decisions = validate(doc, decoded, registry, sender)
      const accepted = changes.filter((_, i) => decisions[i]!.accepted)
      ;[doc] = A.applyChanges(doc, accepted)
      stored.set(id, doc)
      return {
        accepted: decisions.filter((d) => d.accepted).map((d) => d.hash),
        refused: decisions
          .filter((d) => !d.accepted)
          .map((d) => ({ hash: d.hash, reason: d.reason ?? '', ...(d.field ? { field: d.field } : {}) })),
      }
    },
  }
}

runAuthoritySuite('validate', directIngest)
