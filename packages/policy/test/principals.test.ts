import { describe, expect, it } from 'vitest'
import {
  crewPrincipal,
  GENESIS_PRINCIPAL,
  MemoryActorRegistry,
  principalNameOf,
  samePrincipal,
  systemPrincipal,
  userPrincipal,
  vesselPrincipal,
} from '../src/index.ts'

describe('principals', () => {
  it('names vessels by IMO, crew as people of the vessel, users by name with a role', () => {
    expect(vesselPrincipal('IMO9811000')).toEqual({
      id: 'IMO9811000',
      kind: 'vessel',
      role: 'vessel',
      name: 'IMO9811000',
    })
    expect(crewPrincipal('IMO9811000', 'bosun')).toEqual({
      id: 'IMO9811000',
      kind: 'vessel',
      role: 'vessel',
      name: 'bosun@IMO9811000',
    })
    expect(userPrincipal('alice', 'customs')).toEqual({
      id: 'user:alice',
      kind: 'user',
      role: 'customs',
      name: 'alice',
    })
    expect(systemPrincipal('relay')).toMatchObject({ id: 'system:relay', kind: 'system', role: 'ops' })
    expect(GENESIS_PRINCIPAL.kind).toBe('system')
  })

  it('refuses malformed IMO numbers, names and roles', () => {
    expect(() => vesselPrincipal('9811000')).toThrow(/IMO/)
    expect(() => crewPrincipal('IMO9811000', 'bo sun')).toThrow(/user/)
    expect(() => userPrincipal('', 'shore')).toThrow()
    expect(() => userPrincipal('alice', 'vessel' as never)).toThrow(/role/)
  })

  it('compares identity, not role', () => {
    expect(samePrincipal(userPrincipal('alice', 'shore'), userPrincipal('alice', 'customs'))).toBe(true)
    expect(samePrincipal(crewPrincipal('IMO9811000', 'bosun'), crewPrincipal('IMO9811000', 'mate'))).toBe(
      false,
    )
    expect(samePrincipal(vesselPrincipal('IMO9811000'), crewPrincipal('IMO9811000', 'bosun'))).toBe(false)
  })
})

describe('MemoryActorRegistry', () => {
  const actor = 'ab'.repeat(16)

  it('binds and looks up actors', () => {
    const registry = new MemoryActorRegistry()
    expect(registry.lookup(actor)).toBeUndefined()
    registry.bind(actor, userPrincipal('alice', 'shore'))
    expect(registry.lookup(actor)).toEqual(userPrincipal('alice', 'shore'))
    expect(principalNameOf(registry)(actor)).toBe('alice')
    expect(registry.size).toBe(1)
  })

  it('binding again to the same principal is a no-op that may update the role', () => {
    const registry = new MemoryActorRegistry([[actor, userPrincipal('alice', 'shore')]])
    registry.bind(actor, userPrincipal('alice', 'customs'))
    expect(registry.lookup(actor)!.role).toBe('customs')
  })

  it('binding an actor to a different principal throws (forgery)', () => {
    const registry = new MemoryActorRegistry([[actor, userPrincipal('alice', 'shore')]])
    expect(() => registry.bind(actor, userPrincipal('mallory', 'shore'))).toThrow(/bound to alice/)
    expect(() => registry.bind(actor, vesselPrincipal('IMO9811000'))).toThrow()
    expect(registry.lookup(actor)!.name).toBe('alice')
  })

  it('refuses something that is not an actor ID', () => {
    expect(() => new MemoryActorRegistry().bind('not hex', userPrincipal('alice', 'shore'))).toThrow(/actor/)
  })

  it('hands out frozen principals and copies, so callers cannot rebind by mutation', () => {
    const registry = new MemoryActorRegistry([[actor, userPrincipal('alice', 'shore')]])
    expect(() => {
      registry.lookup(actor)!.id = 'user:mallory'
    }).toThrow()
    ;(registry.entries()[0]![1] as { id: string }).id = 'user:mallory'
    expect(registry.lookup(actor)!.id).toBe('user:alice')
  })
})
