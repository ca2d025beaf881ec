/**
 * The seeded booking list: what the shore posts to `POST /api/vessels/:imo/containers` before
 * departure. Boxes come in shipments (one booking and bill of lading for 1–8 boxes of one kind), so
 * parties, ports and commodities repeat the way they do on a real manifest.
 */
import { withCheckDigit, validators } from '@tally/manifest'
import type { Cargo, DangerousGoods } from '@tally/manifest'
import { rngFor } from './prng.ts'
import type { Rng } from './prng.ts'
import * as R from './reference-data.ts'
import { StowagePlanner } from './stowage.ts'

/** One entry of the booking list, exactly as the relay's create endpoint takes it. */
export interface BookingEntry {
  containerId: string
  isoType: string
  voyage: string
  cargo: Cargo
  customs: { status: 'PENDING'; hsCodes: string[] }
  physical: { state: 'PLANNED'; stowage: string }
}

export interface SeedManifestOptions {
  seed: number
  /** IMO number of the vessel (the booking list itself does not repeat it). Default IMO9811000. */
  vessel?: string
  /** Default 024E. */
  voyage?: string
  /** Number of boxes. Default 2,000 (the standard workload). */
  containers?: number
}

export const DEFAULT_VESSEL = 'IMO9811000'
export const DEFAULT_VOYAGE = '024E'
export const STANDARD_CONTAINERS = 2_000
/** The standard workload's shares of reefers and dangerous-goods boxes (docs/benchmarks.md). */
export const REEFER_SHARE = 0.1
export const DG_SHARE = 0.03
/** The most boxes the simulated ship's bays can stow. */
export const MAX_CONTAINERS = 4_000

type Kind = 'reefer' | 'dg' | 'tank' | 'dry'

const SHIPMENT_SIZES = [
  [1, 35],
  [2, 25],
  [3, 15],
  [4, 10],
  [5, 6],
  [6, 4],
  [8, 5],
] as const

function containerIdFactory(rng: Rng): (owners: readonly string[]) => string {
  const used = new Set<string>()
  return (owners) => {
    for (;;) {
      const id = withCheckDigit(rng.pick(owners) + rng.digits(6))
      if (!used.has(id)) {
        used.add(id)
        return id
      }
    }
  }
}

const lengthOf = (isoType: string): 20 | 40 => (isoType.startsWith('2') ? 20 : 40)

/** Verified gross mass: tare by type plus a payload drawn for the kind of cargo, to the nearest 10 kg. */
function vgmFor(rng: Rng, isoType: string, kind: Kind): number {
  const tare = isoType === '22G1' ? 2_200 : isoType === '22T6' ? 3_650 : isoType === '45R1' ? 4_800 : 3_850
  const payload =
    kind === 'reefer'
      ? rng.int(12_000, 26_000)
      : kind === 'tank' || isoType === '22T6'
        ? rng.int(15_000, 24_000)
        : rng.int(3_000, lengthOf(isoType) === 20 ? 24_000 : 22_000)
  return Math.round((tare + payload) / 10) * 10
}

/**
 * The booking list for one voyage, deterministic for a seed: exactly 10 % reefers (45R1) and 3 %
 * dangerous goods, every value valid for the field catalog, every box in its own stowage slot.
 */
export function seedManifest(options: SeedManifestOptions): BookingEntry[] {
  const { seed } = options
  const voyage = options.voyage ?? DEFAULT_VOYAGE
  const n = options.containers ?? STANDARD_CONTAINERS
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONTAINERS)
    throw new RangeError(`containers must be an integer from 1 to ${MAX_CONTAINERS}`)
  const voyageProblem = validators.string(10, /^[A-Z0-9]{1,10}$/)(voyage)
  if (voyageProblem) throw new RangeError(`voyage ${voyageProblem}`)

  const rng = rngFor(seed, 'manifest')
  const newId = containerIdFactory(rngFor(seed, 'container-ids'))
  const planner = new StowagePlanner(rngFor(seed, 'stowage'))

  const reefers = Math.round(n * REEFER_SHARE)
  const dg = Math.round(n * DG_SHARE)
  const tanks = Math.round((n - reefers - dg) * R.TANK_SHARE)
  const remaining: Record<Kind, number> = { reefer: reefers, dg, tank: tanks, dry: n - reefers - dg - tanks }

  const entries: BookingEntry[] = []
  while (entries.length < n) {
    const kind = rng.weighted((Object.entries(remaining) as [Kind, number][]).filter(([, left]) => left > 0))
    const size = Math.min(remaining[kind], kind === 'dg' ? rng.int(1, 3) : rng.weighted(SHIPMENT_SIZES))
    remaining[kind] -= size
    entries.push(...shipment(rng, kind, size, voyage, newId, planner))
  }
  return entries
}

/** The boxes of one shipment: one booking, one B/L, one commodity. */
function shipment(
  rng: Rng,
  kind: Kind,
  size: number,
  voyage: string,
  newId: (owners: readonly string[]) => string,
  planner: StowagePlanner,
): BookingEntry[] {
  const carrier = rng.pick(R.CARRIERS)
  const booking = carrier.booking + rng.digits(9)
  const billOfLading = carrier.scac + rng.digits(10)
  const shipper = rng.pick(R.SHIPPERS)
  const consignee = rng.pick(R.CONSIGNEES)
  const pol = rng.weighted(R.LOAD_PORTS)
  const pod = rng.weighted(R.DISCHARGE_PORTS)
  const sealPrefix = rng.pick(R.SEAL_PREFIXES)
  let dg: DangerousGoods | null = null
  let hsCodes: string[]
  let isoType: string
  let owners: readonly string[]
  let reeferSetpointC: number | null = null
  if (kind === 'reefer') {
    isoType = R.REEFER_TYPE
    owners = R.REEFER_OWNERS
    reeferSetpointC = rng.pick(R.REEFER_SETPOINTS)
    hsCodes = [rng.pick(R.REEFER_HS_CODES)]
  } else if (kind === 'dg') {
    const entry = rng.pick(R.DANGEROUS_GOODS)
    dg = { ...entry.dg }
    hsCodes = [entry.hsCode]
    const inTank = entry.dg.imoClass === '3' || entry.dg.imoClass === '8' ? rng.chance(0.3) : false
    isoType = inTank ? R.TANK_TYPE : rng.chance(0.5) ? '22G1' : '42G1'
    owners = inTank ? R.TANK_OWNERS : R.DRY_OWNERS
  } else if (kind === 'tank') {
    isoType = R.TANK_TYPE
    owners = R.TANK_OWNERS
    hsCodes = [rng.pick(R.TANK_HS_CODES)]
  } else {
    isoType = rng.weighted(R.DRY_TYPES)
    owners = R.DRY_OWNERS
    hsCodes = rng.chance(0.2) ? rng.sample(R.DRY_HS_CODES.length, 2).map((i) => R.DRY_HS_CODES[i]!) : []
    if (hsCodes.length === 0) hsCodes = [rng.pick(R.DRY_HS_CODES)]
  }
  const out: BookingEntry[] = []
  for (let i = 0; i < size; i++) {
    out.push({
      containerId: newId(owners),
      isoType,
      voyage,
      cargo: {
        booking,
        billOfLading,
        shipper,
        consignee,
        pol,
        pod,
        vgmKg: vgmFor(rng, isoType, kind),
        declaredSeal: sealPrefix + rng.digits(7),
        dg: dg ? { ...dg } : null,
        reeferSetpointC,
      },
      customs: { status: 'PENDING', hsCodes: [...hsCodes] },
      physical: { state: 'PLANNED', stowage: planner.assign(lengthOf(isoType), kind === 'reefer') },
    })
  }
  return out
}
