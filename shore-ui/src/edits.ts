/**
 * Edits in the browser go into the Automerge document through the manifest's own edit functions
 * (`applyPatch`, which validates with `planPatch` first, `addProposal`, `resolveProposal`), exactly
 * as the relay's REST API makes them, so the catalog and the role's authority are checked before
 * anything is written. The relay checks again with policy when the change arrives.
 */
import * as A from '@automerge/automerge'
import type { DocHandle } from '@automerge/automerge-repo'
import {
  addProposal,
  applyPatch,
  planPatch,
  resolveProposal,
  sameValue,
  toPlain,
  toStored,
} from '@tally/manifest'
import type { ContainerDoc, ContainerPatch, EditableSection, ProposalInput, Role } from '@tally/manifest'

type Edit = (doc: A.Doc<ContainerDoc>) => A.Doc<ContainerDoc>

/**
 * Runs a manifest edit on the handle's document. A refusal (TallyError naming the field) is thrown
 * to the caller after the handle is left untouched: the edit function never throws inside the
 * handle's update.
 */
export function editDocument(handle: DocHandle<ContainerDoc>, edit: Edit): void {
  let refusal: unknown = null
  handle.update((doc) => {
    try {
      return edit(doc)
    } catch (err) {
      refusal = err
      return doc
    }
  })
  if (refusal) throw refusal
}

/**
 * Resolves a conflict by keeping one of its values (the owner's decision, checked by `planPatch`).
 *
 * Regression: assigning the value that already shows makes Automerge write a *deletion* of the other
 * value, which policy refuses ("a field is set to null, never deleted") and which carries no patch,
 * so the Repo would not even send it. Writing another of the conflicting values first and then the
 * kept one gives two ordinary writes in one change: valid, visible, and synced like any edit.
 */
export function keepConflictValue(
  handle: DocHandle<ContainerDoc>,
  field: string,
  value: unknown,
  role: Role,
): void {
  const [section, key] = field.split('.') as [EditableSection, string]
  editDocument(handle, (doc) => {
    // The plan may add writes the catalog ties to this one (a hold carries its reason).
    const tied = planPatch(doc, { [section]: { [key]: value } }, role).writes.filter((w) => w.force)
    const parent = (doc as any)[section]
    const others = Object.values(A.getConflicts(parent, key) ?? {})
      .map((v) => toPlain(v))
      .filter((v) => !sameValue(v, value))
    return A.change(doc, (d) => {
      const target = (d as any)[section]
      if (sameValue(toPlain(parent[key]), value) && others.length > 0) target[key] = toStored(others[0])
      target[key] = toStored(value)
      for (const w of tied) {
        // Automerge records nothing for a value assigned again: pass through null.
        ;(d as any)[w.section][w.key] = null
        ;(d as any)[w.section][w.key] = toStored(w.value)
      }
    })
  })
}

export const patchDocument = (handle: DocHandle<ContainerDoc>, patch: ContainerPatch, role: Role): void =>
  editDocument(handle, (doc) => applyPatch(doc, patch, role))

export const proposeChange = (
  handle: DocHandle<ContainerDoc>,
  input: ProposalInput,
  principal: string,
  role: Role,
): void =>
  editDocument(handle, (doc) =>
    addProposal(doc, input, principal, role, new Date().toISOString(), crypto.randomUUID()),
  )

export const decideProposal = (
  handle: DocHandle<ContainerDoc>,
  id: string,
  decision: 'ACCEPTED' | 'DECLINED',
  principal: string,
  role: Role,
): void =>
  editDocument(handle, (doc) => resolveProposal(doc, id, decision, principal, role, new Date().toISOString()))
