/**
 * Change validation (docs/architecture.md): decides, per change and in causal order, whether a change may enter
 * a replica. It runs wherever changes arrive (the vessel's REST and link ingest, the relay's link,
 * /sync and REST) and reads only the changes and a per-document {@link ObjectIndex}, so its cost
 * per change does not grow with the document.
 */
import * as A from '@automerge/automerge'
import {
  appendixChange,
  genesisActor,
  genesisHash,
  ObjectIndex,
  priorityOfOps,
  roleMayWrite,
  TallyError,
  toPlain,
  touchedOps,
} from '@tally/manifest'
import type { ContainerDoc, ContainerKey, PriorityClass, Role, Section } from '@tally/manifest'
import { CreatedValues } from './created.ts'
import { GENESIS_PRINCIPAL } from './principals.ts'
import type { Principal } from './principals.ts'
import type { ActorRegistry } from './registry.ts'
import { checkOps } from './rules.ts'
import type { OpRules, Refusal, RefusalCode } from './rules.ts'

export type ContainerIdentity = ContainerKey & { isoType: string }

/** The verdict on one change. Refusals carry the reason and, where one is to blame, the field. */
export interface Decision {
  hash: string
  accepted: boolean
  /** Who wrote it, when known: the principal its actor is bound to. */
  principal?: Principal
  reason?: string
  field?: string
  code?: RefusalCode
  priority: PriorityClass
}

/** What policy keeps per document between batches; {@link policyStateFromDoc} builds it once. */
export interface DocumentPolicyState {
  key: ContainerIdentity
  /** Object IDs → logical paths; learns accepted changes, forgets refused ones. */
  index: ObjectIndex
  /** Proposal object ID → the field it proposes; learns proposals from accepted changes. */
  proposals: Map<string, string>
  /** Hashes refused so far; a change that depends on one is refused too. */
  refused: Set<string>
}

export interface ValidateContext {
  index: ObjectIndex
  key: ContainerIdentity
  registry: ActorRegistry
  /** The authenticated principal that delivered the changes (a system sender forwards others'). */
  sender: Principal
  /** True when the replica already stores this exact change: a replay, accepted as is. */
  alreadyStored?: (hash: string) => boolean
  /** The field of a stored proposal, for proposals not in `proposals`. */
  proposalField?: (objId: string) => string | undefined
  proposals?: Map<string, string>
  refused?: Set<string>
  /** When the container's voyage was closed: its documents are read-only from then on. */
  voyageClosedAt?: string
}

/** Sections a system principal (the relay creating a container) may set in its initial-values change. */
const INITIAL_SECTIONS: ReadonlySet<Section> = new Set(['cargo', 'customs', 'physical'])

const genesisCache = new Map<string, { actor: string; hash: string; appendix?: string }>()
/** Genesis actor and hash of a container, cached: computing them builds the genesis document. */
export function genesisOf(key: ContainerIdentity): { actor: string; hash: string } {
  const id = `${key.vessel}\n${key.voyage}\n${key.containerId}\n${key.isoType}`
  let found = genesisCache.get(id)
  if (!found) {
    if (genesisCache.size >= 100_000) genesisCache.clear()
    found = { actor: genesisActor(key), hash: genesisHash(key, key.isoType) }
    genesisCache.set(id, found)
  }
  return found
}

/** The hash of the deterministic change that adds the photos and evidence lists (manifest photos.ts). */
function appendixHashOf(key: ContainerIdentity): string {
  const found = genesisOf(key) as { actor: string; hash: string; appendix?: string }
  return (found.appendix ??= appendixChange(key, key.isoType).hash)
}

const short = (hex: string) => `${hex.slice(0, 8)}…`

/**
 * Why a change to a closed voyage's document is refused. Every ingest path (link, /sync, both REST
 * APIs, dead-letter retry) gives this same reason.
 */
export function closedVoyageRefusal(key: { vessel: string; voyage: string }, closedAt: string): Refusal {
  return {
    code: 'FORBIDDEN',
    reason: `voyage ${key.voyage} of ${key.vessel} was closed at ${closedAt}; its documents are read-only`,
  }
}

/**
 * Decides each change of a batch for one document, in the order given (which must be causal).
 * Accepted changes are learned by `ctx.index`; refused ones are forgotten and added to `ctx.refused`.
 */
export function validateChanges(ctx: ValidateContext, changes: A.DecodedChange[]): Decision[] {
  const batch = new Batch(ctx)
  const decided = new Map<string, Decision>()
  const out: Decision[] = []
  for (const change of changes) {
    const earlier = decided.get(change.hash)
    const decision = earlier ? { ...earlier } : batch.decide(change)
    if (!earlier) decided.set(change.hash, decision)
    out.push(decision)
  }
  return out
}

/**
 * One batch's decisions. A class rather than closures: validation runs per change at link speed,
 * and a closure per change is measurable garbage (and, under esbuild's keepNames, a defineProperty).
 */
class Batch {
  /** The genesis actor is cheap to derive; its hash means building the genesis, so it waits until asked. */
  private readonly genesisActor: string
  private genesisHashValue: string | undefined
  private readonly refused: Set<string>
  private readonly proposals: Map<string, string>
  private readonly proposalField: (id: string) => string | undefined
  private readonly initialRules: Omit<OpRules, 'authority'>
  private readonly roleRules = new Map<string, OpRules>()

  constructor(private readonly ctx: ValidateContext) {
    this.genesisActor = genesisActor(ctx.key)
    this.refused = ctx.refused ?? new Set<string>()
    this.proposals = ctx.proposals ?? new Map<string, string>()
    const proposals = this.proposals
    this.proposalField = (id) => proposals.get(id) ?? ctx.proposalField?.(id)
    this.initialRules = { mayWrite: (s) => INITIAL_SECTIONS.has(s), proposalField: this.proposalField }
  }

  private get genesisHash(): string {
    return (this.genesisHashValue ??= genesisOf(this.ctx.key).hash)
  }

  decide(change: A.DecodedChange): Decision {
    const { index, registry, sender } = this.ctx
    // A change whose objects already resolve was learned before (a duplicate): never forget those.
    let wasLearned = false
    for (let i = 0; i < change.ops.length && !wasLearned; i++)
      wasLearned =
        change.ops[i]!.action.startsWith('make') &&
        index.resolve(`${change.startOp + i}@${change.actor}`) !== undefined
    index.learn(change)
    const touched = touchedOps(change, index)
    const priority = priorityOfOps(touched)
    // A closed voyage is history: replays of what the replica holds pass, nothing new does.
    if (this.ctx.voyageClosedAt !== undefined && !this.ctx.alreadyStored?.(change.hash))
      return this.refuse(
        change,
        wasLearned,
        priority,
        closedVoyageRefusal(this.ctx.key, this.ctx.voyageClosedAt),
      )

    if (change.actor === this.genesisActor) {
      if (change.hash === this.genesisHash || change.hash === appendixHashOf(this.ctx.key))
        return accepted(change, GENESIS_PRINCIPAL, priority)
      return this.refuse(change, wasLearned, priority, {
        code: 'FORBIDDEN',
        reason: `the genesis actor ${short(change.actor)} writes only the genesis change and the photo lists`,
      })
    }
    for (const dep of change.deps)
      if (this.refused.has(dep))
        return this.refuse(change, wasLearned, priority, {
          code: 'INVALID',
          reason: `depends on refused change ${short(dep)}`,
        })
    const bound = registry.lookup(change.actor)
    // A change the replica already stores is a replay, harmless whoever sends it. Asked only when
    // the binding fails, because answering may mean loading the document.
    const misbound = !bound || (sender.kind !== 'system' && bound.id !== sender.id)
    if (misbound && this.ctx.alreadyStored?.(change.hash)) return accepted(change, bound, priority)
    if (!bound)
      return this.refuse(change, wasLearned, priority, {
        code: 'FORBIDDEN',
        reason: `actor not bound: ${short(change.actor)} belongs to no principal`,
      })
    if (sender.kind !== 'system' && bound.id !== sender.id)
      return this.refuse(
        change,
        wasLearned,
        priority,
        {
          code: 'FORBIDDEN',
          reason: `actor ${short(change.actor)} is bound to ${bound.name}, not to ${sender.name}`,
        },
        bound,
      )

    let rules: OpRules
    if (bound.kind === 'system') {
      // Tally itself writes a container's initial values (planned stowage, booking data) right after
      // the genesis, and nothing else.
      if (change.deps.length !== 1 || change.deps[0] !== this.genesisHash)
        return this.refuse(
          change,
          wasLearned,
          priority,
          { code: 'FORBIDDEN', reason: `${bound.name} may only set a container's initial values` },
          bound,
        )
      rules = { ...this.initialRules, authority: bound.name }
    } else {
      // An authenticated sender's current role counts; a forwarding system sender vouches only for
      // the registry, so the author's own role counts.
      rules = this.rulesFor(sender.kind === 'system' ? bound.role : sender.role, bound.id)
    }
    const created = new CreatedValues(change)
    const refusal = checkOps(change, touched, rules, created)
    if (refusal) return this.refuse(change, wasLearned, priority, refusal, bound)
    for (let i = 0; i < touched.length; i++) {
      const op = touched[i]!
      if (op.path?.length !== 2 || op.path[0] !== 'proposals' || op.action !== 'makeMap') continue
      const field = (created.valueOf(created.opId(i)) as { field?: unknown }).field
      if (typeof field === 'string') this.proposals.set(created.opId(i), field)
    }
    return accepted(change, bound, priority)
  }

  private rulesFor(role: Role, principal: string): OpRules {
    const id = `${role}\n${principal}`
    let rules = this.roleRules.get(id)
    if (!rules) {
      rules = {
        mayWrite: (s) => roleMayWrite(role, s),
        authority: `the ${role} role`,
        proposalField: this.proposalField,
        principal,
      }
      this.roleRules.set(id, rules)
    }
    return rules
  }

  private refuse(
    change: A.DecodedChange,
    wasLearned: boolean,
    priority: PriorityClass,
    refusal: Refusal,
    principal?: Principal,
  ): Decision {
    this.refused.add(change.hash)
    if (!wasLearned) this.ctx.index.forget(change)
    return { hash: change.hash, accepted: false, ...(principal ? { principal } : {}), ...refusal, priority }
  }
}

function accepted(
  change: A.DecodedChange,
  principal: Principal | undefined,
  priority: PriorityClass,
): Decision {
  return principal
    ? { hash: change.hash, accepted: true, principal, priority }
    : { hash: change.hash, accepted: true, priority }
}

/** The identity of a container document, or undefined for an empty document. */
export function identityOf(doc: A.Doc<ContainerDoc>): ContainerIdentity | undefined {
  if (doc.containerId === undefined || doc.isoType === undefined) return undefined
  const plain = toPlain({
    vessel: doc.vessel,
    voyage: doc.voyage,
    containerId: doc.containerId,
    isoType: doc.isoType,
  })
  return plain as ContainerIdentity
}

/** The identity a change creates, when it is that container's exact genesis change. */
export function identityFromGenesis(change: A.DecodedChange): ContainerIdentity | undefined {
  const root = (key: string) => change.ops.find((op) => op.obj === '_root' && op.key === key)?.value
  const [vessel, voyage, containerId, isoType] = ['vessel', 'voyage', 'containerId', 'isoType'].map(root)
  if ([vessel, voyage, containerId, isoType].some((v) => typeof v !== 'string')) return undefined
  const key = { vessel, voyage, containerId, isoType } as ContainerIdentity
  try {
    const genesis = genesisOf(key)
    return genesis.hash === change.hash && genesis.actor === change.actor ? key : undefined
  } catch {
    return undefined
  }
}

/** Builds the per-document policy state once; afterwards it learns from each validated batch. */
export function policyStateFromDoc(doc: A.Doc<ContainerDoc>, key?: ContainerIdentity): DocumentPolicyState {
  const identity = key ?? identityOf(doc)
  if (!identity) throw new Error('an empty document needs its container key')
  const proposals = new Map<string, string>()
  for (const p of doc.proposals ?? []) {
    const id = A.getObjectId(p)
    const field = toPlain(p.field)
    if (id && typeof field === 'string') proposals.set(id, field)
  }
  return { key: identity, index: ObjectIndex.fromDoc(doc), proposals, refused: new Set() }
}

/**
 * Decides each change for a stored document: the convenience form of {@link validateChanges}. A
 * change the document already holds counts as stored. An empty document takes its identity from
 * a genesis change at the head of the batch.
 */
export function validate(
  doc: A.Doc<ContainerDoc>,
  changes: A.DecodedChange[],
  registry: ActorRegistry,
  sender: Principal,
  options: { alreadyStored?: (hash: string) => boolean } = {},
): Decision[] {
  const key = identityOf(doc) ?? (changes[0] ? identityFromGenesis(changes[0]) : undefined)
  if (!key)
    return changes.map((change) => ({
      hash: change.hash,
      accepted: false,
      code: 'INVALID',
      reason: 'unknown container: the document is empty and the batch does not start with its genesis',
      priority: 'normal',
    }))
  const state = policyStateFromDoc(doc, key)
  const stored = (hash: string) => A.hasHeads(doc, [hash])
  return validateChanges(
    { ...state, registry, sender, alreadyStored: options.alreadyStored ?? stored },
    changes,
  )
}

/** A refused decision as the error the HTTP contract returns (`{error: {code, field, message}}`). */
export function decisionError(decision: Decision): TallyError | undefined {
  if (decision.accepted) return undefined
  return new TallyError(decision.code ?? 'FORBIDDEN', decision.reason ?? 'refused', decision.field)
}
