/**
 * Scheduler benchmark: the real Scheduler driven by the discrete-event
 * simulator (`src/transfer/simulate.ts`), against the targets of the issue:
 *
 * 1. three seeders capped at 10, 30 and 60 Mbit/s (RTT 1 ms), a 200 MiB file
 *    of 1 MiB chunks: ≥ 85 % of the 100 Mbit/s sum, and each seeder's share of
 *    the bytes within ±10 points of its share of the bandwidth;
 * 2. endgame: four peers at 80–110 Mbit/s plus one at 1 Mbit/s, against the four
 *    alone: the slow peer must not hold up the end (the last 1 % of the chunks
 *    takes no longer than without it, give or take one fast chunk);
 * 3. 1,000 peers of log-uniform random speeds (1–100 Mbit/s, RTT 1–100 ms),
 *    32,000 chunks of 1 MiB: ≥ 90 % of the sum of their bandwidths, with the
 *    scheduler's CPU ≤ 1 % of the simulated transfer time.
 *
 * Runs are seeded, so the transfer figures are reproducible; the CPU figure
 * is the time measured inside Scheduler calls and depends on the machine.
 *
 * Run: `npx tsx bench/scheduler-sim.ts [--peers N] [--chunks N] [--seed N]`.
 */
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { mbitps, randomPeers, simulate, type SimPeerSpec, type SimResult } from '../src/transfer/simulate.js'

/** Options of {@link runSchedulerSim}. */
export interface SchedulerSimOptions {
  /** Peers of the large scenario; default 1,000. */
  peers?: number
  /** Chunks (1 MiB) of the large scenario; default 32,000. */
  chunks?: number
  seed?: number
}

/** The figures of one scenario. */
export interface ScenarioFigures {
  name: string
  peers: number
  chunks: number
  simMs: number
  aggregateRatio: number
  cpuRatio: number
  cpuMs: number
  duplicateMiB: number
  tailMs: number
  /** Whether the issue's targets for this scenario are met. */
  pass: boolean
}

/** What the benchmark measured. */
export interface SchedulerSimResult {
  threeSeeders: ScenarioFigures & { shares: Array<{ id: string, mbitps: number, bandwidthShare: number, byteShare: number }> }
  slowPeer: ScenarioFigures & { fastOnlyMs: number, fastOnlyTailMs: number }
  manyPeers: ScenarioFigures
}

const MiB = 1024 * 1024
const AGGREGATE_TARGET = { threeSeeders: 0.85, manyPeers: 0.9 }
const SHARE_TOLERANCE = 0.10
const CPU_TARGET = 0.01

const peer = (mbit: number, rttMs: number): SimPeerSpec => ({ uploadBytesPerSecond: mbitps(mbit), rttMs })

function figures (name: string, r: SimResult, chunks: number, pass: boolean): ScenarioFigures {
  return {
    name,
    peers: r.peers.length,
    chunks,
    simMs: Math.round(r.simMs),
    aggregateRatio: r.aggregateRatio,
    cpuRatio: r.cpuRatio,
    cpuMs: Math.round(r.cpuMs),
    duplicateMiB: Math.round(r.duplicateBytes / MiB),
    tailMs: Math.round(r.tailMs),
    pass: r.outcome === 'complete' && pass
  }
}

/** Runs the three scenarios and returns their figures. */
export async function runSchedulerSim (opts: SchedulerSimOptions = {}): Promise<SchedulerSimResult> {
  const { peers = 1000, chunks = 32_000, seed = 1 } = opts

  const three = simulate({ peers: [peer(10, 1), peer(30, 1), peer(60, 1)], chunkCount: 200, chunkSize: MiB, seed })
  const shares = three.peers.map(p => ({ id: p.id, mbitps: p.uploadBytesPerSecond * 8 / 1e6, bandwidthShare: p.bandwidthShare, byteShare: p.byteShare }))
  const sharesOk = shares.every(s => Math.abs(s.byteShare - s.bandwidthShare) <= SHARE_TOLERANCE)

  const fast = [peer(80, 10), peer(90, 20), peer(100, 30), peer(110, 40)]
  const fastOnly = simulate({ peers: fast, chunkCount: 200, chunkSize: MiB, seed })
  const slow = simulate({ peers: [...fast, peer(1, 20)], chunkCount: 200, chunkSize: MiB, seed })
  const fastChunkMs = MiB * 1000 / mbitps(80)

  const many = simulate({ peers: randomPeers(peers, seed * 7, [mbitps(1), mbitps(100)], [1, 100]), chunkCount: chunks, chunkSize: MiB, seed })

  return {
    threeSeeders: { ...figures('3 seeders 10/30/60 Mbit/s', three, 200, three.aggregateRatio >= AGGREGATE_TARGET.threeSeeders && sharesOk), shares },
    slowPeer: {
      ...figures('4 fast + 1 × 1 Mbit/s', slow, 200, slow.tailMs <= fastOnly.tailMs + fastChunkMs && slow.simMs <= fastOnly.simMs + fastChunkMs),
      fastOnlyMs: Math.round(fastOnly.simMs),
      fastOnlyTailMs: Math.round(fastOnly.tailMs)
    },
    manyPeers: figures(`${peers} peers 1–100 Mbit/s`, many, chunks, many.aggregateRatio >= AGGREGATE_TARGET.manyPeers && many.cpuRatio <= CPU_TARGET)
  }
}

function printTable (r: SchedulerSimResult): void {
  const pct = (x: number, digits = 1): string => `${(100 * x).toFixed(digits)} %`
  console.log('scenario                    peers  chunks   sim ms  aggregate  sched CPU  dup MiB  last 1 % ms  targets')
  for (const s of [r.threeSeeders, r.slowPeer, r.manyPeers]) {
    console.log(`${s.name.padEnd(26)}${String(s.peers).padStart(7)}${String(s.chunks).padStart(8)}${String(s.simMs).padStart(9)}` +
      `${pct(s.aggregateRatio).padStart(11)}${pct(s.cpuRatio, 2).padStart(11)}${String(s.duplicateMiB).padStart(9)}${String(s.tailMs).padStart(13)}  ${s.pass ? 'met' : 'NOT MET'}`)
  }
  console.log(`shares (bytes vs bandwidth): ${r.threeSeeders.shares.map(s => `${s.mbitps} Mbit/s ${pct(s.byteShare)} vs ${pct(s.bandwidthShare)}`).join(', ')}`)
  console.log(`endgame: ${r.slowPeer.simMs} ms with the slow peer (last 1 %: ${r.slowPeer.tailMs} ms), ` +
    `${r.slowPeer.fastOnlyMs} ms without (last 1 %: ${r.slowPeer.fastOnlyTailMs} ms)`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { peers: { type: 'string' }, chunks: { type: 'string' }, seed: { type: 'string' } } })
  const result = await runSchedulerSim({
    ...(values.peers !== undefined ? { peers: Number(values.peers) } : {}),
    ...(values.chunks !== undefined ? { chunks: Number(values.chunks) } : {}),
    ...(values.seed !== undefined ? { seed: Number(values.seed) } : {})
  })
  printTable(result)
  console.log(JSON.stringify(result, null, 2))
}
