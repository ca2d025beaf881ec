import { afterEach, describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import { applyPatch, documentIdFor, TallyError } from '@tally/manifest'
import { startTestRelay, VESSEL, VOYAGE, containerNo } from './helpers.ts'
import type { TestRelay } from './helpers.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function relayWithContainer(): Promise<{ t: TestRelay; docId: string }> {
  const t = await startTestRelay()
  cleanups.push(() => t.close())
  const key = { vessel: VESSEL, voyage: VOYAGE, containerId: containerNo(1) }
  t.relay.store.create(key, '22G1')
  return { t, docId: documentIdFor(key) }
}

describe('ContainerEditor', () => {
  it('lets policy refuse a change the edit function let through, keeps it as a dead letter, and stays usable', async () => {
    const { t, docId } = await relayWithContainer()
    const { editor, deadLetters } = t.relay.context
    const user = t.relay.authenticateUser(t.tokens.shore)!
    // A first edit makes the cached document carry the user's actor.
    editor.asUser(docId, user, (d) => applyPatch(d, { cargo: { pod: 'USLAX' } }, 'shore'))
    const heads = A.getHeads(t.relay.store.load(docId)!)
    // Bypasses the manifest's role check, as a buggy route might: policy must still refuse it.
    const forge = () =>
      editor.asUser(docId, user, (d) =>
        A.change(d, (x) => {
          x.physical.condition = new A.ImmutableString('DAMAGED') as never
        }),
      )
    expect(forge).toThrow(TallyError)
    try {
      forge()
    } catch (err) {
      expect((err as TallyError).code).toMatch(/^FORBIDDEN/)
    }
    expect(A.getHeads(t.relay.store.load(docId)!)).toEqual(heads)
    expect(t.relay.store.view(docId)!.physical.condition).toBe('OK')
    expect(deadLetters.list({ principal: user.principal }).length).toBeGreaterThan(0)
    // The cached document was not outdated by the refused edit.
    editor.asUser(docId, user, (d) => applyPatch(d, { cargo: { pod: 'NLRTM' } }, 'shore'))
    expect(t.relay.store.view(docId)!.cargo.pod).toBe('NLRTM')
  })

  it('binds each user actor and the planning actor to one principal', async () => {
    const { t, docId } = await relayWithContainer()
    const { editor, registry } = t.relay.context
    const user = t.relay.authenticateUser(t.tokens.customs)!
    editor.asUser(docId, user, (d) =>
      applyPatch(d, { customs: { status: 'HELD', holdReason: 'exam ordered' } }, 'customs'),
    )
    editor.asPlanning(docId, VESSEL, (d) => applyPatch(d, { physical: { stowage: '0120482' } }, 'vessel'))
    const doc = t.relay.store.load(docId)!
    const authors = A.getAllChanges(doc)
      .map((c) => A.decodeChange(c).actor)
      .slice(1)
      .map((actor) => registry.get(actor))
    expect(authors.map((b) => [b?.principal, b?.role, b?.name])).toEqual([
      ['user:carl', 'customs', 'carl'],
      [VESSEL, 'vessel', 'planning@relay'],
    ])
  })
})
