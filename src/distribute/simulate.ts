/**
 * Placement simulation: `weighted` placement over many peers of random
 * capacities, measured against what it promises — shares proportional to
 * capacity, and churn that moves only the copies of the peer that joins or
 * leaves. Pure and seeded; used by test/distribute and bench/placement-sim.ts.
 *
 * How shares are judged. A peer's expected share of the C·N copies is
 * N·w/Σw (its inclusion probability per chunk; exact for N = 1, and for N > 1
 * with the small weights of many peers the without-replacement correction is
 * of the order of w/Σw, under 0.5 % here). HRW is a hash, so a peer's count
 * is a random draw around that expectation with a standard deviation of about
 * √expected: a peer expecting 100 copies lands within ±10 % only most of the
 * time, whatever the algorithm. So the ±5 % is judged on capacity bins: the
 * peers sorted by weight and cut into `bins` groups that each expect the same
 * number of copies (many small peers pooled in one bin, a few big ones in
 * another), each group's copies against its expected copies (relative error).
 * Each bin then expects thousands of copies and the sampling noise is ~1 %, so
 * a ±5 % miss means a real bias (e.g. big peers under-served), not luck. Per peer, the result
 * also gives the largest deviation in standard deviations (`peerZMax`): a
 * few peers at 3–4σ are expected among a thousand, a biased weight is not.
 */
import { placeChunks, placementWeights, type Placement, type PlacementPeer } from './placement.js'

/** Simulation parameters. */
export interface PlacementSimOptions {
  readonly peers: number
  readonly chunks: number
  readonly replicas: number
  /** Number of capacity bins shares are judged on. */
  readonly bins: number
  /** A seeded generator of numbers in [0, 1). */
  readonly random: () => number
}

/** Churn figures: copies (chunk, holder) that changed. */
export interface ChurnFigures {
  /** Copies the leaving peer held, or the joining peer gained. */
  readonly own: number
  /** Copies whose holder changed. */
  readonly moved: number
  /** Moved copies not explained by the peer: in chunks it did not hold (leave), or going to another peer (join). */
  readonly movedElsewhere: number
}

/** The figures. */
export interface PlacementSimResult {
  readonly binErrorMax: number
  readonly binErrorMedian: number
  readonly peerErrorMedian: number
  readonly peerZMax: number
  readonly leave: ChurnFigures
  readonly join: ChurnFigures
}

const MIB = 1024 * 1024
const GIB = 1024 * MIB

/** Peers with log-uniform free quota (10 GiB–1 TiB) and bandwidth (1–100 Mbit/s). */
export function randomPlacementPeers (count: number, random: () => number, prefix = 'peer'): PlacementPeer[] {
  const logUniform = (lo: number, hi: number): number => Math.exp(Math.log(lo) + random() * (Math.log(hi) - Math.log(lo)))
  return Array.from({ length: count }, (_, i) => ({
    peerId: `${prefix}-${i}`,
    freeBytes: Math.round(logUniform(10 * GIB, 1024 * GIB)),
    bandwidthBytesPerSec: Math.round(logUniform(1e6 / 8, 100e6 / 8))
  }))
}

/** Runs the simulation: one placement, the same without its biggest holder, the same with one more peer. */
export function simulateWeightedPlacement (opts: PlacementSimOptions): PlacementSimResult {
  const peers = randomPlacementPeers(opts.peers, opts.random)
  const base = { fileId: 'sim-file', chunkCount: opts.chunks, chunkSizeBytes: MIB, replicas: opts.replicas, strategy: 'weighted' as const }
  const placement = placeChunks({ ...base, peers })
  const weights = placementWeights(peers)
  const totalWeight = weights.reduce((a, b) => a + b, 0)
  const expected = weights.map((w) => opts.chunks * opts.replicas * w / totalWeight)
  const actual = peers.map((p) => placement.counts.get(p.peerId) ?? 0)

  const order = peers.map((_, i) => i).sort((a, b) => (weights[a] as number) - (weights[b] as number))
  // Bins of equal expected copies (not of equal peer counts): the small peers
  // are pooled until their bin expects as much as one of the big peers' bins.
  const totalExpected = opts.chunks * opts.replicas
  const binErrors: number[] = []
  let got = 0
  let want = 0
  for (const i of order) {
    got += actual[i] as number
    want += expected[i] as number
    if (want >= totalExpected / opts.bins * (1 - 1e-9) || i === order[order.length - 1]) {
      binErrors.push(Math.abs(got / want - 1))
      got = 0
      want = 0
    }
  }
  const peerErrors = peers.map((_, i) => Math.abs((actual[i] as number) / (expected[i] as number) - 1))
  const peerZ = peers.map((_, i) => Math.abs((actual[i] as number) - (expected[i] as number)) / Math.sqrt(expected[i] as number))

  // The peer with the most copies leaves: the largest move to account for.
  const leaver = peers[actual.indexOf(Math.max(...actual))] as PlacementPeer
  const without = placeChunks({ ...base, peers: peers.filter((p) => p !== leaver) })
  const joiner = randomPlacementPeers(1, opts.random, 'joiner')[0] as PlacementPeer
  const withJoiner = placeChunks({ ...base, peers: [...peers, joiner] })

  return {
    binErrorMax: Math.max(...binErrors),
    binErrorMedian: median(binErrors),
    peerErrorMedian: median(peerErrors),
    peerZMax: Math.max(...peerZ),
    leave: churn(placement, without, leaver.peerId, 'leave'),
    join: churn(placement, withJoiner, joiner.peerId, 'join')
  }
}

/** Counts copies whose holder changed between two placements of the same chunks. */
export function churn (before: Placement, after: Placement, peerId: string, kind: 'leave' | 'join'): ChurnFigures {
  let moved = 0
  let movedElsewhere = 0
  for (let c = 0; c < before.holders.length; c++) {
    const old = before.holders[c] as readonly string[]
    const now = after.holders[c] as readonly string[]
    for (const p of now) {
      if (old.includes(p)) continue
      moved++
      if (kind === 'leave' ? !old.includes(peerId) : p !== peerId) movedElsewhere++
    }
  }
  const own = kind === 'leave' ? before.counts.get(peerId) ?? 0 : after.counts.get(peerId) ?? 0
  return { own, moved, movedElsewhere }
}

function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}
