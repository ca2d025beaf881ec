/**
 * Edits to a container document, validated against the field catalog before anything is written.
 * Every refusal is a TallyError naming the field: INVALID for bad values and unknown fields,
 * FORBIDDEN_FIELD for a field the author's role does not own.
 */
import * as A from '@automerge/automerge'
import { z } from 'zod'
import { fieldSpec, HOLD_NEEDS_REASON, isHoldReason, roleMayWrite, READING_SHAPE } from './catalog.ts'
import type { Role } from './catalog.ts'
import { invalid, TallyError } from './errors.ts'
import { toPlain, toStored, sameValue } from './plain.ts'
import { objectOf } from './validators.ts'
import type { ContainerDoc, ContainerPatch, Proposal, ReeferReading } from './schema.ts'

export interface FieldWrite {
  path: string
  section: 'cargo' | 'customs' | 'physical' | 'reefer'
  key: string
  value: unknown
  /** Write even when the value is unchanged (a hold's reason travels with the hold). */
  force?: boolean
}

const EDITABLE_SECTIONS = ['cargo', 'customs', 'physical', 'reefer'] as const
const IDENTITY = ['containerId', 'vessel', 'voyage', 'isoType', 'documentUrl', 'heads', 'schema']
/** View keys that PATCH tolerates and ignores, so a client can send back a whole view. */
const IGNORED = ['conflicts', 'proposals', 'photos', 'evidence']

function refuseForRole(path: string, role: Role, owner: string): TallyError {
  return new TallyError(
    'FORBIDDEN_FIELD',
    `${path} is owned by ${owner}; the ${role} role cannot write it`,
    path,
  )
}

/**
 * Validates a partial view for `role` and returns the field writes it implies. Fields whose value
 * is unchanged are kept: writing a field again is how a conflict is resolved.
 */
export function planPatch(
  doc: A.Doc<ContainerDoc>,
  patch: unknown,
  role: Role,
): { writes: FieldWrite[]; notes?: string } {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
    throw invalid('body', 'must be a JSON object')
  const writes: FieldWrite[] = []
  let notes: string | undefined
  for (const [top, value] of Object.entries(patch as ContainerPatch)) {
    if (IDENTITY.includes(top)) {
      if (sameValue(toPlain((doc as any)[top]), value) || top === 'documentUrl' || top === 'heads') continue
      throw new TallyError('FORBIDDEN_FIELD', `${top} is fixed at creation`, top)
    }
    if (IGNORED.includes(top)) continue
    if (top === 'notes') {
      const problem = fieldSpec('notes')!.validate(value)
      if (problem) throw invalid('notes', problem)
      if (value === String(doc.notes ?? '')) continue
      if (!roleMayWrite(role, 'notes')) throw refuseForRole('notes', role, 'vessel and shore')
      notes = value as string
      continue
    }
    if (!(EDITABLE_SECTIONS as readonly string[]).includes(top)) throw invalid(top, 'is not a known field')
    const section = top as FieldWrite['section']
    const current = (doc as any)[section]
    // A whole view sent back carries `reefer: null` for a dry container.
    if (value === null && current === null) continue
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw invalid(section, 'must be an object')
    for (const [key, fieldValue] of Object.entries(value)) {
      const path = `${section}.${key}`
      const spec = fieldSpec(path)
      if (!spec || spec.path !== path) throw invalid(path, 'is not a known field')
      // Values sent back unchanged are not writes, so a whole view passes for any role; a field the
      // role owns is still planned, because writing it again is how a conflict is resolved.
      const unchanged = current !== null && sameValue(toPlain(current[key]), fieldValue)
      if (path === 'reefer.readings') {
        if (unchanged) continue
        throw new TallyError('FORBIDDEN_FIELD', 'reefer.readings is append-only; add a reading instead', path)
      }
      if (!roleMayWrite(role, spec.section)) {
        if (unchanged) continue
        throw refuseForRole(path, role, spec.owner)
      }
      if (section === 'reefer' && (doc as any).reefer === null)
        throw invalid(path, 'this container is not a reefer')
      const problem = spec.validate(fieldValue)
      if (problem) throw invalid(path, problem.startsWith(path) ? problem.slice(path.length + 1) : problem)
      writes.push({ path, section, key, value: fieldValue })
    }
  }
  requireHoldReason(doc, writes)
  return { writes, notes }
}

/**
 * HELD needs a reason ({@link HOLD_NEEDS_REASON}). Policy judges each change on its own, so an edit
 * that sets HELD carries the reason too: the one the patch gives, else the stored one written again.
 * An edit that clears the reason of a held container is refused.
 */
function requireHoldReason(doc: A.Doc<ContainerDoc>, writes: FieldWrite[]): void {
  const status = writes.find((w) => w.path === 'customs.status')
  const reason = writes.find((w) => w.path === 'customs.holdReason')
  const stored = toPlain((doc as any).customs?.holdReason)
  if (status?.value === 'HELD') {
    if (reason) {
      if (!isHoldReason(reason.value)) throw invalid(HOLD_NEEDS_REASON.field, HOLD_NEEDS_REASON.message)
    } else if (isHoldReason(stored)) {
      writes.push({
        path: 'customs.holdReason',
        section: 'customs',
        key: 'holdReason',
        value: stored,
        force: true,
      })
    } else throw invalid(HOLD_NEEDS_REASON.field, HOLD_NEEDS_REASON.message)
  } else if (
    reason &&
    !isHoldReason(reason.value) &&
    !status &&
    toPlain((doc as any).customs?.status) === 'HELD'
  )
    throw invalid(HOLD_NEEDS_REASON.field, 'a held container keeps its hold reason; release it first')
}

/** Applies a validated plan inside an Automerge change callback. */
function writePlan(d: ContainerDoc, plan: { writes: FieldWrite[]; notes?: string }): void {
  for (const w of plan.writes) {
    const target = (d as any)[w.section]
    const hasConflict = A.getConflicts(target, w.key) !== undefined
    if (!hasConflict && !w.force && sameValue(toPlain(target[w.key]), w.value)) continue
    // Regression: rewriting a conflicted field with the value that currently wins leaves both values
    // standing (Automerge 3.5). Writing a different one of the conflicting values first, then the
    // chosen one, supersedes them all; a delete would too, but policy rightly refuses deletes.
    if (hasConflict && sameValue(toPlain(target[w.key]), w.value)) {
      const other = Object.values(A.getConflicts(target, w.key) ?? {}).find(
        (v) => !sameValue(toPlain(v), w.value),
      )
      if (other !== undefined) target[w.key] = toStored(toPlain(other))
    }
    // Automerge records nothing for a value assigned again, so a forced write passes through null.
    if (w.force && !hasConflict && sameValue(toPlain(target[w.key]), w.value)) target[w.key] = null
    target[w.key] = toStored(w.value)
  }
  if (plan.notes !== undefined && plan.notes !== d.notes) A.updateText(d, ['notes'], plan.notes)
}

/** Validates and applies a partial view as one change. Returns the document unchanged for a no-op. */
export function applyPatch(
  doc: A.Doc<ContainerDoc>,
  patch: unknown,
  role: Role,
  time?: number,
): A.Doc<ContainerDoc> {
  const plan = planPatch(doc, patch, role)
  return A.change(doc, time === undefined ? {} : { time }, (d) => writePlan(d, plan))
}

const readingProblem = objectOf(READING_SHAPE, 'reading')

/** Appends a reefer reading; readings are never edited or removed. */
export function appendReading(doc: A.Doc<ContainerDoc>, reading: unknown, role: Role): A.Doc<ContainerDoc> {
  if (!roleMayWrite(role, 'reefer')) throw refuseForRole('reefer.readings', role, 'vessel')
  if (doc.reefer === null) throw invalid('reefer.readings', 'this container is not a reefer')
  const problem = readingProblem(reading)
  if (problem) {
    const field = /^reading\.(\w+)/.exec(problem)?.[1]
    throw invalid(field ? `reefer.readings.${field}` : 'reefer.readings', problem)
  }
  const r = reading as ReeferReading
  return A.change(doc, (d) => {
    d.reefer!.readings.push(toStored({ at: r.at, supplyC: r.supplyC, returnC: r.returnC }))
  })
}

export interface ProposalInput {
  field: string
  value: unknown
  reason?: string | null
}

const FIELD_HINT = 'must name a cargo, customs, physical or reefer field'

/**
 * The body of `POST …/proposals`, parsed with the prefix `proposal` (fields `proposal.field`,
 * `proposal.reason`). Which fields may be proposed, and the value's own check, are
 * {@link addProposal}'s: they depend on the proposer's role.
 */
export const proposalBodySchema = z
  .object(
    {
      field: z.string({ error: FIELD_HINT }).max(100, FIELD_HINT).meta({ example: 'physical.stowage' }),
      value: z.unknown().meta({ description: 'The proposed value, checked as the field’s own' }),
      reason: z
        .string({ error: 'must be text up to 2000 characters' })
        .max(2000, 'must be text up to 2000 characters')
        .nullable()
        .optional(),
    },
    { error: 'must be a JSON object' },
  )
  .meta({ id: 'ProposalRequest' })

/** The body of `POST …/proposals/:proposalId`. */
export const decisionBodySchema = z
  .object(
    { decision: z.enum(['ACCEPTED', 'DECLINED'], { error: 'must be ACCEPTED or DECLINED' }) },
    { error: 'must be a JSON object' },
  )
  .meta({ id: 'ProposalDecision' })

/** Proposes a value for a field the proposer's side does not own; the owner accepts or declines. */
export function addProposal(
  doc: A.Doc<ContainerDoc>,
  input: ProposalInput,
  by: string,
  role: Role,
  now: string,
  id: string,
): A.Doc<ContainerDoc> {
  const spec = typeof input?.field === 'string' ? fieldSpec(input.field) : undefined
  if (
    !spec ||
    spec.path !== input.field ||
    spec.owner === 'fixed' ||
    spec.owner === 'both' ||
    spec.path === 'reefer.readings'
  )
    throw invalid('proposal.field', 'must name a cargo, customs, physical or reefer field')
  if (roleMayWrite(role, spec.section))
    throw invalid('proposal.field', `${spec.path} is yours to edit directly`)
  const problem = spec.validate(input.value)
  if (problem) throw invalid(`proposal.value`, `${spec.path} ${problem}`)
  const reason = input.reason ?? null
  if (reason !== null && (typeof reason !== 'string' || reason.length > 2000))
    throw invalid('proposal.reason', 'must be text up to 2000 characters')
  const proposal: Proposal = {
    id,
    at: now,
    by,
    field: spec.path,
    value: input.value,
    reason,
    status: 'OPEN',
    resolvedBy: null,
    resolvedAt: null,
  }
  return A.change(doc, (d) => {
    d.proposals.push(toStored(proposal))
  })
}

/** Accepts (writing the proposed value) or declines an open proposal, as the field's owner. */
export function resolveProposal(
  doc: A.Doc<ContainerDoc>,
  id: string,
  decision: 'ACCEPTED' | 'DECLINED',
  by: string,
  role: Role,
  now: string,
): A.Doc<ContainerDoc> {
  const index = doc.proposals.findIndex((p) => toPlain(p.id) === id)
  if (index < 0) throw new TallyError('NOT_FOUND', `no proposal ${id}`, 'proposal.id')
  const proposal = toPlain(doc.proposals[index]) as Proposal
  if (proposal.status !== 'OPEN')
    throw new TallyError('CONFLICT', `proposal ${id} is already ${proposal.status}`, 'proposal.status')
  const spec = fieldSpec(proposal.field)!
  if (!roleMayWrite(role, spec.section)) throw refuseForRole(proposal.field, role, spec.owner)
  if (decision !== 'ACCEPTED' && decision !== 'DECLINED')
    throw invalid('decision', 'must be ACCEPTED or DECLINED')
  const [section, key] = proposal.field.split('.') as [FieldWrite['section'], string]
  return A.change(doc, (d) => {
    if (decision === 'ACCEPTED') (d as any)[section][key] = toStored(proposal.value)
    const p = d.proposals[index]!
    p.status = toStored(decision)
    p.resolvedBy = toStored(by)
    p.resolvedAt = toStored(now)
  })
}
