/**
 * Stowage planning for the seeded manifest: every box gets a distinct, valid BBBRRTT slot (ISO 9711).
 * A 40-foot box sits in the even bay between two odd 20-foot bays, so a cell (bay pair, row, tier)
 * holds either one 40-foot box or two 20-foot boxes. Reefers go on deck, where the plugs are.
 */
import type { Rng } from './prng.ts'

/** Bay pairs 1..22 give 40-foot bays 002..086 and 20-foot bays 001..087. */
const BAY_PAIRS = 22
const HOLD_ROWS = 15
const DECK_ROWS = 17
const HOLD_TIERS = [2, 4, 6, 8, 10, 12, 14]
const DECK_TIERS = [82, 84, 86, 88, 90]

interface Cell {
  pair: number
  row: number
  tier: number
  /** Height in the stack, so lower tiers fill first in the hold and on deck. */
  level: number
  deck: boolean
}

const pad = (n: number, width: number) => String(n).padStart(width, '0')

function slot(bay: number, row: number, tier: number): string {
  return pad(bay, 3) + pad(row, 2) + pad(tier, 2)
}

/** Hands out stowage slots; each call returns a slot no other box has. */
export class StowagePlanner {
  private readonly hold: Cell[]
  private readonly deck: Cell[]
  /** A cell with one 20-foot box in its forward bay, waiting for a second one aft. */
  private halfCell: Cell | undefined

  constructor(rng: Rng) {
    const cells: Cell[] = []
    for (let pair = 1; pair <= BAY_PAIRS; pair++) {
      for (let row = 0; row < HOLD_ROWS; row++)
        HOLD_TIERS.forEach((tier, level) => cells.push({ pair, row, tier, level, deck: false }))
      for (let row = 0; row < DECK_ROWS; row++)
        DECK_TIERS.forEach((tier, level) => cells.push({ pair, row, tier, level, deck: true }))
    }
    // Shuffle, then order by level: boxes spread over bays and rows while stacks grow from the bottom.
    const ordered = rng.shuffle(cells).sort((a, b) => a.level - b.level)
    this.deck = ordered.filter((c) => c.deck)
    this.hold = ordered.filter((c) => !c.deck)
  }

  /** The next free cell, deck first for reefers, otherwise whichever region has the lower stack. */
  private takeCell(onDeck: boolean): Cell {
    let source: Cell[]
    if (onDeck) source = this.deck.length > 0 ? this.deck : this.hold
    else if (this.hold.length === 0) source = this.deck
    else if (this.deck.length === 0) source = this.hold
    else source = this.hold[0]!.level <= this.deck[0]!.level ? this.hold : this.deck
    const cell = source.shift()
    if (!cell) throw new Error('the vessel is full: no stowage slot left')
    return cell
  }

  /** A slot for a box of the given length (20 or 40 feet). */
  assign(lengthFeet: 20 | 40, onDeck = false): string {
    if (lengthFeet === 40) {
      const cell = this.takeCell(onDeck)
      return slot(cell.pair * 4 - 2, cell.row, cell.tier)
    }
    if (this.halfCell) {
      const cell = this.halfCell
      this.halfCell = undefined
      return slot(cell.pair * 4 - 1, cell.row, cell.tier)
    }
    const cell = this.takeCell(onDeck)
    this.halfCell = cell
    return slot(cell.pair * 4 - 3, cell.row, cell.tier)
  }
}

/** The bay, row and tier of a stowage string. */
export function parseStowage(stowage: string): { bay: number; row: number; tier: number } {
  return {
    bay: Number(stowage.slice(0, 3)),
    row: Number(stowage.slice(3, 5)),
    tier: Number(stowage.slice(5, 7)),
  }
}
