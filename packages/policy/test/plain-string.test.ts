import { describe, expect, it } from 'vitest'
import { validate } from '../src/index.ts'
import { ALICE, ALICE_ACTOR, edit, genesis, registry, s } from './helpers.ts'

describe('a plain string where an ImmutableString belongs', () => {
  it('is refused with exactly that, and how to write it', () => {
    const before = genesis()
    // A stock client assigning a JS string: Automerge 3 makes it collaborative text.
    const { changes } = edit(before, ALICE_ACTOR, (d) => void (d.customs.declaration = 'DEC-1' as never))
    const [decision] = validate(before, changes, registry(), ALICE)
    expect(decision).toMatchObject({ accepted: false, field: 'customs.declaration' })
    expect(decision!.reason).toContain('was written as a plain string')
    expect(decision!.reason).toContain('d.customs.declaration = new ImmutableString("…")')
    expect(decision!.reason).toContain('from "@automerge/automerge"')
  })

  it('accepts the same value written as an ImmutableString', () => {
    const before = genesis()
    const ok = edit(before, ALICE_ACTOR, (d) => void (d.customs.declaration = s('DEC-1')))
    expect(validate(before, ok.changes, registry(), ALICE)[0]).toMatchObject({ accepted: true })
  })
})
