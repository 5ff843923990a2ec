/**
 * Latency benchmark (issue 13, items 2 and 4): what a small command costs,
 * spawn to exit, every download verified by SHA-256. Runs interleave the
 * compared commands so that drift in the machine's load falls on both;
 * figures are medians.
 *
 * Loopback:
 * - `shoal get` of a 4 KiB file with a node of its own (no node runs in its
 *   data dir), from one `shoal start` seeder given with --peer;
 * - `shoal ls`, `status` and `share` through a running node ÷ the same
 *   command with no node (on a data dir holding the same catalogue).
 *
 * Three LAN hosts (network namespaces; needs root): seeders s10, s30, s60 and
 * a downloader host running a node; `shoal get` of a fresh 1 MiB file from
 * all three through that node, with no caps, then with the seeders' uploads
 * capped at 10, 30 and 60 Mbit/s.
 *
 * Run alone: `npx tsx bench/latency.ts [--runs N] [--no-hosts]`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { sha256File } from './lib/files.js'
import { machineInfo, describeMachine } from './lib/machine.js'
import { runShoal, share, startSeeders, stopAll, timedDownload } from './lib/shoal.js'
import { KiB, median, ratio, round } from './lib/stats.js'
import { runLanGets, type LanGetResult } from './lib/lan-get.js'

/** The small file of the fixed-cost figure. */
export const LATENCY_SMALL_BYTES = 4 * KiB
/** Timed runs of each command: more than the transfer's 3, as each takes well under a second. */
export const LATENCY_RUNS = 7
const COMMAND_TIMEOUT_MS = 60_000

/** Medians of one command through a running node and with none. */
export interface CommandPair {
  command: string
  throughNodeMs: number[]
  offlineMs: number[]
  medianThroughNodeMs: number
  medianOfflineMs: number
  /** Through the node ÷ offline. */
  ratio: number
}

/** What the latency section measured. */
export interface LatencyResult {
  cpu: string
  runs: number
  smallGet: { runsMs: number[], medianMs: number }
  commands: CommandPair[]
  /** Absent when skipped (no root, or --no-hosts); the error when it failed. */
  lan?: LanGetResult
  lanError?: string
}

/** Runs the loopback figures, then the LAN ones unless `hosts` is false. */
export async function runLatencyBench (o: { workDir: string, runs: number, hosts: boolean, log: (line: string) => void, signal?: AbortSignal }): Promise<LatencyResult> {
  const machine = await machineInfo(o.workDir)
  const dir = await mkdtemp(join(o.workDir, 'latency-'))
  try {
    const smallGet = await smallGets(dir, o.runs, o.log, o.signal)
    const commands = await commandPairs(dir, o.runs, o.log, o.signal)
    let lan: LanGetResult | undefined
    let lanError: string | undefined
    if (o.hosts) {
      try {
        lan = await runLanGets({ dir, runs: o.runs, log: o.log })
      } catch (err) {
        lanError = (err as Error).message
        o.log(`latency: LAN hosts FAILED: ${(err as Error).stack ?? lanError}`)
      }
    }
    return { cpu: machine.cpu, runs: o.runs, smallGet, commands, lan, lanError }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function smallGets (dir: string, runs: number, log: (line: string) => void, signal?: AbortSignal): Promise<LatencyResult['smallGet']> {
  const file = join(dir, 'small.bin')
  await writeFile(file, randomBytes(LATENCY_SMALL_BYTES))
  const sha256 = await sha256File(file)
  const seeders = await startSeeders(1, dir, { signal })
  try {
    const seeder = seeders[0]!
    const { link } = await share(seeder, file, LATENCY_SMALL_BYTES, { signal })
    const runsMs: number[] = []
    for (let i = 0; i < runs; i++) {
      const r = await timedDownload({ link, peers: [seeder.addr], size: LATENCY_SMALL_BYTES, sha256, scratchDir: dir, signal })
      runsMs.push(round(r.ms, 1))
      log(`  latency: get 4 KiB (own node) ${(r.ms / 1000).toFixed(3)} s`)
    }
    return { runsMs, medianMs: median(runsMs) }
  } finally {
    await stopAll(seeders)
  }
}

/**
 * `ls`, `status` and `share` through a running node and with none. Both data
 * dirs hold the same small catalogue (one file shared); `share` re-shares a
 * 64 KiB file already catalogued, so both sides do the same work.
 */
async function commandPairs (dir: string, runs: number, log: (line: string) => void, signal?: AbortSignal): Promise<CommandPair[]> {
  const file = join(dir, 'listed.bin')
  await writeFile(file, randomBytes(64 * KiB))
  const offlineDir = join(dir, 'offline')
  await mkdir(offlineDir, { recursive: true })
  const seeders = await startSeeders(1, dir, { signal })
  try {
    const node = seeders[0]!
    await share(node, file, 64 * KiB, { signal })
    await timed(['share', file, '--data-dir', offlineDir, '--json'], signal)
    const commands: Array<[string, (dataDir: string) => string[]]> = [
      ['ls', d => ['ls', '--data-dir', d]],
      ['status', d => ['status', '--data-dir', d]],
      ['share', d => ['share', file, '--data-dir', d, '--json']]
    ]
    const out: CommandPair[] = []
    for (const [command, args] of commands) {
      const throughNodeMs: number[] = []
      const offlineMs: number[] = []
      for (let i = 0; i < runs; i++) {
        throughNodeMs.push(await timed(args(node.dataDir), signal))
        offlineMs.push(await timed(args(offlineDir), signal))
      }
      const pair = { command, throughNodeMs, offlineMs, medianThroughNodeMs: median(throughNodeMs), medianOfflineMs: median(offlineMs), ratio: ratio(median(throughNodeMs), median(offlineMs)) }
      log(`  latency: ${command} through a node ${(pair.medianThroughNodeMs / 1000).toFixed(3)} s, offline ${(pair.medianOfflineMs / 1000).toFixed(3)} s`)
      out.push(pair)
    }
    return out
  } finally {
    await stopAll(seeders)
  }
}

async function timed (args: string[], signal?: AbortSignal): Promise<number> {
  return round((await runShoal(args, { timeoutMs: COMMAND_TIMEOUT_MS, signal })).ms, 1)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, 'no-hosts': { type: 'boolean' } } })
  const workDir = await mkdtemp(join(tmpdir(), 'shoal-bench-latency-'))
  try {
    const log = (line: string): void => { process.stderr.write(`${line}\n`) }
    const result = await runLatencyBench({ workDir, runs: Number(values.runs ?? LATENCY_RUNS), hosts: values['no-hosts'] !== true, log })
    process.stdout.write(`${JSON.stringify(result, null, 2)}\nMachine: ${describeMachine(await machineInfo(workDir))}\n`)
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}
