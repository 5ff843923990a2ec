/**
 * Repair planning: given a distribution map, the peers alive now and N,
 * which copies restore N holders per chunk, and who makes each one. Pure and
 * deterministic, so it needs no coordinator: every surviving holder runs it
 * on the same inputs, gets the same orders, and carries out those whose
 * `from` is itself.
 *
 * "The same inputs" is the caller's part: the signed map (the newest valid
 * version, record-chain.ts), the live peers (the map's holders minus those
 * unreachable for longer than the repair delay, plus any agreed candidates),
 * and for each the quota and bandwidth it announces — not what each survivor
 * happens to measure, which differs from one to the next. Peer order does not
 * matter. If two survivors still disagree (one saw a peer a moment longer),
 * their signed updates conflict and `preferRecord` keeps one everywhere; the
 * other's copies are surplus, which holders may drop.
 *
 * Moving as little as possible: a chunk's surviving copies stay where they
 * are, and only its missing copies are made — one copy order per departed
 * holder. New holders are the chunk's best-ranked live peers by weighted
 * rendezvous hashing (hrw.ts) that do not hold it yet and have quota left, so
 * the choice for one chunk does not depend on which other peers came or went.
 * `weighted` files rank by `placementWeights`; `round-robin` files by equal
 * weights (a ring would shift when its peer set changes, moving everything).
 *
 * Spreading the uplink: each order is assigned to the surviving holder of that
 * chunk that would finish it first — least bytes already assigned divided by
 * its bandwidth — so a repair is sent from all survivors at once instead of
 * from one.
 */
import { assertPlacementInput, chunkBytes, compareIds, hrwPicker, peerBandwidths, placementWeights, type ChunkGeometry, type PlacementPeer, type PlacementStrategy } from './placement.js'
import { ShoalError } from '../errors.js'

/** What `planRepair` needs. */
export interface RepairRequest extends ChunkGeometry {
  readonly replicas: number
  readonly strategy: PlacementStrategy
  /** The current map: holders of each chunk (`chunkCount` entries). */
  readonly holders: ReadonlyArray<readonly string[]>
  /** The live peers: surviving holders and possible new ones, with quota and bandwidth. A holder not listed is departed. */
  readonly peers: readonly PlacementPeer[]
}

/** One copy to make: chunk `chunk`, read from holder `from`, stored on `to`. */
export interface CopyOrder {
  readonly chunk: number
  readonly from: string
  readonly to: string
}

/** The plan: the copies, the map after them, and what could not be repaired. */
export interface RepairPlan {
  /** Copy orders, by chunk then by the replaced holder's position. */
  readonly orders: readonly CopyOrder[]
  /** The new map: each departed holder replaced in place by its order's `to`; the rest unchanged. */
  readonly holders: ReadonlyArray<readonly string[]>
  /** Holders of the old map that are not live (sorted). */
  readonly departed: readonly string[]
  /** Chunks with no live holder left: nothing to copy from. */
  readonly lost: readonly number[]
  /** Chunks that still have fewer than N live holders after the plan (no peer with room was left). */
  readonly underReplicated: readonly number[]
}

/** Plans the copies that bring every chunk back to N live holders. */
export function planRepair (request: RepairRequest): RepairPlan {
  assertPlacementInput(request, request.peers)
  if (!Number.isSafeInteger(request.replicas) || request.replicas < 1) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `replicas must be an integer ≥ 1, got ${String(request.replicas)}`, { replicas: request.replicas })
  }
  if (request.holders.length !== request.chunkCount) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `the map has ${request.holders.length} chunks, expected ${request.chunkCount}`)
  }
  const live = new Set(request.peers.map((p) => p.peerId))
  const bandwidths = peerBandwidths(request.peers)
  const bandwidth = new Map(request.peers.map((p, i) => [p.peerId, bandwidths[i] as number]))
  const weights = request.strategy === 'weighted' ? placementWeights(request.peers) : request.peers.map(() => 1)
  const pick = hrwPicker(request.fileId, request.peers, weights)
  const remaining = new Map(request.peers.map((p) => [p.peerId, p.freeBytes]))
  const sending = new Map<string, number>()
  const orders: CopyOrder[] = []
  const holders: string[][] = []
  const departed = new Set<string>()
  const lost: number[] = []
  const underReplicated: number[] = []

  for (let chunk = 0; chunk < request.chunkCount; chunk++) {
    const current = request.holders[chunk] as readonly string[]
    const survivors = current.filter((h) => live.has(h))
    for (const h of current) if (!live.has(h)) departed.add(h)
    const next = [...current]
    holders.push(next)
    if (survivors.length >= request.replicas || survivors.length === current.length) continue
    if (survivors.length === 0) {
      lost.push(chunk)
      continue
    }
    const size = chunkBytes(request, chunk)
    const want = Math.min(request.replicas, current.length) - survivors.length
    const taken = new Set(current)
    const targets = pick(chunk, want, (peer) => !taken.has(peer) && (remaining.get(peer) ?? 0) >= size)
    if (targets.length < want) underReplicated.push(chunk)
    let t = 0
    for (let slot = 0; slot < next.length && t < targets.length; slot++) {
      if (live.has(next[slot] as string)) continue
      const to = targets[t++] as string
      const from = cheapestSender(survivors, size, sending, bandwidth)
      sending.set(from, (sending.get(from) ?? 0) + size)
      remaining.set(to, (remaining.get(to) ?? 0) - size)
      next[slot] = to
      orders.push({ chunk, from, to })
    }
  }
  return { orders, holders, departed: [...departed].sort(compareIds), lost, underReplicated }
}

/** The survivor that would finish sending one more chunk first (ties by peer ID). */
function cheapestSender (survivors: readonly string[], size: number, sending: ReadonlyMap<string, number>, bandwidth: ReadonlyMap<string, number>): string {
  let best = survivors[0] as string
  let bestTime = Infinity
  for (const peer of survivors) {
    const time = ((sending.get(peer) ?? 0) + size) / (bandwidth.get(peer) ?? 1)
    if (time < bestTime || (time === bestTime && compareIds(peer, best) < 0)) {
      best = peer
      bestTime = time
    }
  }
  return best
}

/**
 * A peer's announced free bytes as repair plans it: in steps of about 1/10
 * to 1/20 of the figure, never above it. Survivors ask for capacities a moment apart,
 * while the first copies of the repair are landing; exact figures would give
 * them different plans (and maps) over a few megabytes, coarse ones the same
 * plan unless a copy happens to cross a step. The steps' edges sit halfway
 * between round numbers, so a fresh node's round quota (1 GiB free, then a
 * copy lands) is mid-step, not on an edge.
 */
export function coarseCapacity (bytes: number): number {
  if (!(bytes > 0)) return 0
  // The step doubles where 1.5 × bytes is a power of two: away from round figures too.
  const step = 2 ** Math.max(1, Math.floor(Math.log2(1.5 * bytes)) - 4)
  return Math.floor((bytes + step / 2) / step) * step - step / 2
}

/** The orders a given holder carries out. */
export function ordersFrom (plan: RepairPlan, peerId: string): CopyOrder[] {
  return plan.orders.filter((o) => o.from === peerId)
}
