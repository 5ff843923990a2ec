/**
 * Placement: which peers hold each chunk of a distributed file. Pure — it
 * takes the file's geometry, the candidate peers and a strategy, and returns
 * the holders of every chunk; no I/O, no clock, no randomness, so every peer
 * computing it on the same inputs gets the same answer, and it is simulated
 * with thousands of peers (test/distribute, bench/placement-sim.ts).
 *
 * Two strategies:
 * - `round-robin` (the first sketch's, seed 000): the peers in a fixed order
 *   (the local node first — it counts as one peer and keeps its share — then
 *   the others by peer ID); chunk i's first copy goes to peer i mod P and its
 *   further replicas to the next peers round the ring. Without quota limits
 *   every peer is first holder of ⌊C/P⌋ or ⌈C/P⌉ chunks and holds N times
 *   that, give or take N − 1 (exactly C·N/P copies when P divides C).
 * - `weighted`: weighted rendezvous hashing (hrw.ts) with weight
 *   `placementWeight(peer)` = √(free bytes × bandwidth), the geometric mean
 *   of the two capacities, so a peer with much room but a thin uplink (or the
 *   reverse) is not flooded. A chunk's holders are its N best-ranked peers;
 *   a peer joining or leaving moves only the copies it gains or held.
 *
 * Both: the N holders of a chunk are distinct peers; asking for more
 * replicas than there are peers able to take a chunk is ERR_DISTRIBUTION_REQUIRED,
 * fewer than one ERR_INVALID_ARGUMENT. Quotas are respected: chunks are
 * placed in index order against each peer's remaining free bytes, and a peer
 * that cannot take a chunk is passed over for the next-ranked one (so its
 * surplus goes there). When no peer is left for a copy the placement fails
 * with ERR_QUOTA_EXCEEDED — nothing is placed half-way.
 */
import { ShoalError } from '../errors.js'
import { chunkKey, chunkState, pairUniform, peerKey } from './hrw.js'

/** How chunks are spread: dealt in turn, or by capacity with churn-stable hashing. */
export type PlacementStrategy = 'round-robin' | 'weighted'

/** Every strategy, for validation and help texts. */
export const PLACEMENT_STRATEGIES: readonly PlacementStrategy[] = Object.freeze(['round-robin', 'weighted'])

/** True when `strategy` is a known placement strategy. */
export function isPlacementStrategy (strategy: unknown): strategy is PlacementStrategy {
  return PLACEMENT_STRATEGIES.includes(strategy as PlacementStrategy)
}

/** A candidate holder. */
export interface PlacementPeer {
  /** The peer's libp2p ID string. */
  readonly peerId: string
  /** Bytes of chunk quota it has left (for this file's chunks). */
  readonly freeBytes: number
  /** Measured upload bandwidth in bytes/s; when unknown, the median of the known ones is assumed. */
  readonly bandwidthBytesPerSec?: number
  /**
   * True for the node doing the placement (the uploader): `round-robin` puts
   * it first in the ring, so it keeps its share; `weighted` ranks it like any
   * other candidate (leave it out to push every copy away).
   */
  readonly local?: boolean
}

/** A file's chunk geometry, as placement needs it. */
export interface ChunkGeometry {
  /** The file ID: keys the hashing, so files are placed independently. */
  readonly fileId: string
  readonly chunkCount: number
  readonly chunkSizeBytes: number
  /** Size of the last chunk (default `chunkSizeBytes`). */
  readonly lastChunkSizeBytes?: number
}

/** What `placeChunks` needs. */
export interface PlacementRequest extends ChunkGeometry {
  /** Copies of each chunk, on distinct peers. */
  readonly replicas: number
  readonly strategy: PlacementStrategy
  readonly peers: readonly PlacementPeer[]
}

/** The result: the holders of every chunk (best-ranked first) and each peer's copy count. */
export interface Placement {
  readonly holders: ReadonlyArray<readonly string[]>
  readonly counts: ReadonlyMap<string, number>
}

/** Places every chunk; see the module comment for the rules and errors. */
export function placeChunks (request: PlacementRequest): Placement {
  const ranker = createRanker(request)
  assertReplicas(request.replicas, ranker.eligible(request))
  const remaining = new Map(request.peers.map((p) => [p.peerId, p.freeBytes]))
  const counts = new Map<string, number>()
  const holders: string[][] = []
  for (let chunk = 0; chunk < request.chunkCount; chunk++) {
    const size = chunkBytes(request, chunk)
    const chosen = ranker.pick(chunk, request.replicas, (peer) => (remaining.get(peer) ?? 0) >= size)
    if (chosen.length < request.replicas) {
      throw new ShoalError('ERR_QUOTA_EXCEEDED', `no quota left for ${request.replicas} copies of chunk ${chunk} (${chosen.length} found)`, { chunk, placed: chosen.length })
    }
    for (const peer of chosen) {
      remaining.set(peer, (remaining.get(peer) ?? 0) - size)
      counts.set(peer, (counts.get(peer) ?? 0) + 1)
    }
    holders.push(chosen)
  }
  return { holders, counts }
}

/**
 * Every candidate in order of preference for one chunk (the pusher walks on
 * down this list when a holder refuses a copy). Peers in `exclude` are left out.
 */
export function rankPeers (request: PlacementRequest, chunk: number, exclude: ReadonlySet<string> = new Set()): string[] {
  return createRanker(request).pick(chunk, request.peers.length, (peer) => !exclude.has(peer))
}

/** A strategy's ordering of the peers for each chunk. */
export interface Ranker {
  /** Up to `count` peers for `chunk`, best first, skipping those `accept` refuses. */
  pick (chunk: number, count: number, accept: (peerId: string) => boolean): string[]
  /** Peers able to take at least the smallest chunk. */
  eligible (geometry: ChunkGeometry): number
}

/** Builds the ranker of `request.strategy` over `request.peers` (validated). */
export function createRanker (request: Omit<PlacementRequest, 'replicas'>): Ranker {
  assertPlacementInput(request, request.peers)
  const eligible = (geometry: ChunkGeometry): number => {
    const smallest = geometry.chunkCount === 0 ? 0 : Math.min(chunkBytes(geometry, 0), chunkBytes(geometry, geometry.chunkCount - 1))
    return request.peers.filter((p) => p.freeBytes >= smallest).length
  }
  switch (request.strategy) {
    case 'round-robin': return { pick: roundRobinPicker(request.peers), eligible }
    case 'weighted': return { pick: hrwPicker(request.fileId, request.peers, placementWeights(request.peers)), eligible }
    default: throw new ShoalError('ERR_INVALID_ARGUMENT', `unknown placement strategy: ${String(request.strategy)}`, { strategy: request.strategy })
  }
}

/**
 * HRW picker with explicit weights (repair uses equal weights for
 * `round-robin` files, whose ring would shift when the peer set changes).
 */
export function hrwPicker (fileId: string, peers: readonly PlacementPeer[], weights: readonly number[]): Ranker['pick'] {
  const his = new Int32Array(peers.length)
  const los = new Int32Array(peers.length)
  peers.forEach((p, i) => {
    const key = peerKey(p.peerId)
    his[i] = key.hi
    los[i] = key.lo
  })
  const ids = peers.map((p) => p.peerId)
  const scores = new Float64Array(peers.length)
  return (chunk, count, accept) => {
    // The rank key -ln(u)/w (hrw.ts header) over typed arrays: this loop is
    // the whole cost of placing a chunk (P peers per chunk).
    const state = chunkState(chunkKey(fileId, chunk))
    for (let i = 0; i < scores.length; i++) {
      const w = weights[i] as number
      scores[i] = w > 0 ? -Math.log(pairUniform(state, his[i] as number, los[i] as number)) / w : Infinity
    }
    const chosen: string[] = []
    // Selection by repeated minimum: N is small, and a refused peer costs one more pass.
    while (chosen.length < count) {
      let best = -1
      for (let i = 0; i < scores.length; i++) {
        const s = scores[i] as number
        if (s === Infinity || Number.isNaN(s)) continue
        if (best < 0 || s < (scores[best] as number) || (s === scores[best] && (ids[i] as string) < (ids[best] as string))) best = i
      }
      if (best < 0) break
      scores[best] = NaN
      const id = ids[best] as string
      if (accept(id)) chosen.push(id)
    }
    return chosen
  }
}

/** The weight of a peer in `weighted` placement: √(free bytes × bandwidth), with unknown bandwidths at the median of the known ones. */
export function placementWeights (peers: readonly PlacementPeer[]): number[] {
  const bandwidths = peerBandwidths(peers)
  return peers.map((p, i) => Math.sqrt(p.freeBytes * (bandwidths[i] as number)))
}

/** Each peer's bandwidth in bytes/s, unknown ones at the median of the known ones (1 if none is known). */
export function peerBandwidths (peers: readonly PlacementPeer[]): number[] {
  const known = peers.map((p) => p.bandwidthBytesPerSec).filter((b): b is number => b !== undefined).sort((a, b) => a - b)
  const fallback = known.length === 0 ? 1 : known[Math.floor(known.length / 2)] as number
  return peers.map((p) => p.bandwidthBytesPerSec ?? fallback)
}

function roundRobinPicker (peers: readonly PlacementPeer[]): Ranker['pick'] {
  const ring = [...peers]
    .sort((a, b) => Number(b.local === true) - Number(a.local === true) || compareIds(a.peerId, b.peerId))
    .map((p) => p.peerId)
  return (chunk, count, accept) => {
    const chosen: string[] = []
    for (let k = 0; k < ring.length && chosen.length < count; k++) {
      const id = ring[(chunk + k) % ring.length] as string
      if (accept(id)) chosen.push(id)
    }
    return chosen
  }
}

/** Size in bytes of chunk `index`. */
export function chunkBytes (geometry: ChunkGeometry, index: number): number {
  return index === geometry.chunkCount - 1 ? (geometry.lastChunkSizeBytes ?? geometry.chunkSizeBytes) : geometry.chunkSizeBytes
}

/** Refuses a replica count below 1 (ERR_INVALID_ARGUMENT) or above the peers able to hold a copy (ERR_DISTRIBUTION_REQUIRED). */
export function assertReplicas (replicas: number, peers: number): void {
  if (!Number.isSafeInteger(replicas) || replicas < 1) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `replicas must be an integer ≥ 1, got ${String(replicas)}`, { replicas })
  }
  if (replicas > peers) {
    throw new ShoalError('ERR_DISTRIBUTION_REQUIRED', `${replicas} replicas need ${replicas} distinct peers able to hold a chunk; ${peers} available`, { replicas, availablePeers: peers })
  }
}

/** Validates a geometry and a peer list; throws ERR_INVALID_ARGUMENT. */
export function assertPlacementInput (geometry: ChunkGeometry, peers: readonly PlacementPeer[]): void {
  assertGeometry(geometry)
  assertPeers(peers)
}

function assertGeometry (g: ChunkGeometry): void {
  const ok = typeof g.fileId === 'string' && g.fileId !== '' &&
    Number.isSafeInteger(g.chunkCount) && g.chunkCount >= 0 &&
    Number.isSafeInteger(g.chunkSizeBytes) && g.chunkSizeBytes > 0 &&
    (g.lastChunkSizeBytes === undefined || (Number.isSafeInteger(g.lastChunkSizeBytes) && g.lastChunkSizeBytes > 0 && g.lastChunkSizeBytes <= g.chunkSizeBytes))
  if (!ok) throw new ShoalError('ERR_INVALID_ARGUMENT', 'invalid chunk geometry for placement', { chunkCount: g.chunkCount, chunkSizeBytes: g.chunkSizeBytes })
}

function assertPeers (peers: readonly PlacementPeer[]): void {
  const seen = new Set<string>()
  for (const p of peers) {
    if (typeof p.peerId !== 'string' || p.peerId === '' || seen.has(p.peerId)) {
      throw new ShoalError('ERR_INVALID_ARGUMENT', `placement peers need distinct, non-empty IDs: ${String(p.peerId)}`, { peerId: p.peerId })
    }
    seen.add(p.peerId)
    const bw = p.bandwidthBytesPerSec
    if (!(Number.isFinite(p.freeBytes) && p.freeBytes >= 0) || (bw !== undefined && !(Number.isFinite(bw) && bw > 0))) {
      throw new ShoalError('ERR_INVALID_ARGUMENT', `invalid quota or bandwidth for peer ${p.peerId}`, { peerId: p.peerId })
    }
  }
}

/** Code-unit order, the same everywhere (localeCompare is not). */
export function compareIds (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
