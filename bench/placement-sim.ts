/**
 * Placement benchmark (the `distribute` section's simulation figures, issue 10):
 *
 * 1. `weighted` placement of 50,000 chunks × 2 replicas over 1,000 peers of
 *    log-uniform random quota (10 GiB–1 TiB) and bandwidth (1–100 Mbit/s):
 *    capacity shares within ±5 %, judged per capacity bin of equal expected
 *    copies (src/distribute/simulate.ts explains why per bin), with the
 *    per-peer spread for reference;
 * 2. churn: the peer with the most copies leaves, and one peer joins; the
 *    copies moved over the copies that peer held or gained (target ≤ 1.1),
 *    and the copies moved elsewhere (target 0);
 * 3. repair plan on the multi-host scenario's swarm (5 holders, the
 *    uploader offline, 256 chunks of 1 MiB, N = 2, one holder gone): the
 *    time the planned copies take when
 *    every survivor sends at its uplink, over the bytes to re-copy ÷ the
 *    survivors' aggregate uplink (1.0 = the plan uses every uplink fully).
 *
 * Pure and seeded: the figures are the same on every machine (only `ms` is not).
 *
 * Used by bench/run.ts (`runPlacementSim()`).
 */
import { simulateWeightedPlacement, type PlacementSimResult } from '../src/distribute/simulate.js'
import { placeChunks, type PlacementPeer } from '../src/distribute/placement.js'
import { planRepair } from '../src/distribute/repair.js'
import { seededRandom } from '../src/transfer/simulate.js'

/** The targets. */
const SHARE_TOLERANCE = 0.05
const MOVED_RATIO_MAX = 1.1

const MIB = 1024 * 1024

/** Options; the defaults are the scenario. */
export interface PlacementSimBenchOptions {
  peers?: number
  chunks?: number
  replicas?: number
  bins?: number
  seed?: number
}

/** The section's figures. */
export interface PlacementSimBenchResult {
  peers: number
  chunks: number
  replicas: number
  shares: { binErrorMax: number, binErrorMedian: number, peerErrorMedian: number, peerZMax: number, ok: boolean }
  leave: PlacementSimResult['leave'] & { movedRatio: number, ok: boolean }
  join: PlacementSimResult['join'] & { movedRatio: number, ok: boolean }
  repair: { orders: number, senders: number, plannedOverIdeal: number }
  ms: number
}

/** Runs the placement simulation and the repair-plan figure. */
export async function runPlacementSim (opts: PlacementSimBenchOptions = {}): Promise<PlacementSimBenchResult> {
  const { peers = 1000, chunks = 50_000, replicas = 2, bins = 10, seed = 1 } = opts
  const started = performance.now()
  const r = simulateWeightedPlacement({ peers, chunks, replicas, bins, random: seededRandom(seed) })
  const ratio = (moved: number, own: number): number => own === 0 ? 0 : moved / own
  const leaveRatio = ratio(r.leave.moved, r.leave.own)
  const joinRatio = ratio(r.join.moved, r.join.own)
  return {
    peers,
    chunks,
    replicas,
    shares: {
      binErrorMax: r.binErrorMax,
      binErrorMedian: r.binErrorMedian,
      peerErrorMedian: r.peerErrorMedian,
      peerZMax: r.peerZMax,
      ok: r.binErrorMax <= SHARE_TOLERANCE
    },
    leave: { ...r.leave, movedRatio: leaveRatio, ok: leaveRatio <= MOVED_RATIO_MAX && r.leave.movedElsewhere === 0 },
    join: { ...r.join, movedRatio: joinRatio, ok: joinRatio <= MOVED_RATIO_MAX && r.join.movedElsewhere === 0 },
    repair: repairFigure(),
    ms: Math.round(performance.now() - started)
  }
}

/**
 * The multi-host scenario after the uploader went offline: 256 × 1 MiB, N = 2
 * on hosts 2–6 (100 Mbit/s each); host 3 leaves for good. A chunk that had
 * one copy on host 3 has exactly one survivor, which must send it: the
 * figure shows how evenly the placement left those sources.
 */
function repairFigure (): PlacementSimBenchResult['repair'] {
  const hosts: PlacementPeer[] = Array.from({ length: 5 }, (_, i) => ({
    peerId: `host-${i + 2}`,
    freeBytes: 1024 * MIB,
    bandwidthBytesPerSec: 100e6 / 8
  }))
  const geometry = { fileId: 'bench-file', chunkCount: 256, chunkSizeBytes: MIB, replicas: 2, strategy: 'weighted' as const }
  const { holders } = placeChunks({ ...geometry, peers: hosts })
  const survivors = hosts.filter((h) => h.peerId !== 'host-3')
  const plan = planRepair({ ...geometry, holders, peers: survivors })
  const sent = new Map<string, number>()
  for (const o of plan.orders) sent.set(o.from, (sent.get(o.from) ?? 0) + MIB)
  const bandwidth = (id: string): number => survivors.find((h) => h.peerId === id)?.bandwidthBytesPerSec ?? 1
  const plannedSeconds = Math.max(0, ...[...sent].map(([id, bytes]) => bytes / bandwidth(id)))
  const idealSeconds = plan.orders.length * MIB / survivors.reduce((s, h) => s + (h.bandwidthBytesPerSec ?? 0), 0)
  return { orders: plan.orders.length, senders: sent.size, plannedOverIdeal: idealSeconds === 0 ? 0 : plannedSeconds / idealSeconds }
}
