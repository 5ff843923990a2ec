/**
 * Distribution benchmark (issue 10): six namespace hosts (netns.ts), the
 * uploader's upload capped at 50 Mbit/s and the others' at 100, a real
 * `shoal start` node on each, all connected (distribute-hosts.ts: a mesh,
 * no mDNS, no DHT). Needs root (it fails with the harness's message
 * otherwise). The placement simulation's figures are the `placement`
 * section's (placement-sim.ts); they are not repeated here.
 *
 * Push. `shoal share F --distribute --replicas N --strategy weighted`, timed
 * spawn to exit on the uploader's host, for N = 3 and N = 1, a fresh random
 * file each time, `runs` rounds (the order of the two alternates between
 * rounds). Weighted placement leaves the uploader out (pusher.ts), so one
 * copy is the whole file through its 50 Mbit/s uplink: the bottleneck. Push
 * time is the share's time less the median of a plain `shoal share` of a
 * same-size file on the same node (hashing, cataloguing, the CLI starting),
 * measured in the same rounds. Figure: push(3) ÷ push(1), target ≤ 1.2 —
 * with receivers forwarding the further replicas, ~1.
 *
 * Repair. On a fresh network each run: the file pushed with 2 replicas, a
 * 5 s repair delay, the holder with the most copies killed (-9) for good.
 * Every other node's events are followed from inside its host; the nodes
 * report when a survivor decided a repair and when it finished its copies
 * (the repairer's events). Figure: from the first decision to the last
 * finish ÷ (bytes of the lost copies ÷ the survivors' aggregate uplink),
 * target ≤ 1.3; the survivors are the holders of the lost chunks' other
 * copies, their uplink their caps less Ethernet framing (LINK_EFFICIENCY).
 * A run counts only once every copy of the repaired map is on its holder's
 * disk. Also reported: from the kill to a whole map on a survivor, and the floor
 * the sources impose (with 2 replicas a lost chunk has one other copy, so
 * the busiest source's bytes ÷ its uplink bound the time from below).
 *
 * Run alone: `npx tsx bench/distribute.ts [--runs N] [--repair-runs N] [--size 256MiB]`.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { assertNetnsAvailable, type HostSpec } from '../test/helpers/netns.js'
import { writeRandomFile } from '../test/helpers/cli.js'
import type { HostNode } from '../test/helpers/host-nodes.js'
import { LINK_EFFICIENCY, onNetwork } from '../test/helpers/swarm-scenarios.js'
import {
  busiest, chunkHashes, followEvents, health, jsonOf, mapOn, shareDistributed, startMesh, timedShoal, waitForMap, waitOnDisk,
  type DistributedShare, type DistributionMap, type StampedEvent
} from '../test/helpers/distribute-hosts.js'
import { chunkRange, chunkSizeFor } from '../src/content/chunk-size.js'
import { inTempDir } from './multi-host.js'
import { MiB, median, parseSize } from './lib/stats.js'

/** The setting: the uploader's uplink is the bottleneck. */
export const UPLOADER_MBIT = 50
export const OTHERS_MBIT = 100
const HOSTS = ['up', 'h2', 'h3', 'h4', 'h5', 'h6']
const STRATEGY = 'weighted'
const PUSH_REPLICAS = [1, 3] as const
const REPAIR_REPLICAS = 2
const REPAIR_DELAY_S = 5
/**
 * The node's repair events (`/api/events`, node/repair-driver.ts): a survivor
 * decided to repair a file (`{ id, departed }`), and finished its round of it
 * (`{ id, version, copies, failed }`; `copies` 0 when the plan gave it none).
 */
export const REPAIR_DECIDED_EVENT = 'repair:started'
export const REPAIR_DONE_EVENT = 'repair:done'
/** From the kill to a whole map, at most: far beyond a healthy repair. */
const REPAIR_TIMEOUT_MS = 300_000
/** A repaired map may name a copy another survivor is still making (test/helpers/distribute-hosts.ts waitOnDisk). */
const COPIES_LAND_MS = 30_000
/** Events of a finish may reach the followers a little after the map is whole. */
const EVENT_GRACE_MS = 2000

/** What the push rounds measured. */
export interface PushFigures {
  strategy: string
  /** Plain `shoal share` times (the fixed cost), ms. */
  plainShareMs: number[]
  /** `share --distribute` times by replica count, ms, in round order. */
  distributeMs: Record<number, number[]>
  /** Median share time less the median plain share, seconds. */
  pushSeconds: Record<number, number>
  /** pushSeconds[3] ÷ pushSeconds[1]; NaN when either never succeeded. */
  ratio: number
  /** Pushes that failed, with their error: a figure too (the section goes on without them). */
  failures: Array<{ round: number, replicas: number, error: string }>
  /** File payload ÷ pushSeconds[1]: what the uploader's uplink carried. */
  oneCopyMbit: number
}

/** What one repair run measured. */
export interface RepairFigures {
  replicas: number
  repairDelaySeconds: number
  lostCopies: number
  bytesToCopy: number
  /** The holders of the lost chunks' other copies, with their caps and the bytes they hold of them. */
  sources: Array<{ host: string, capMbit: number, bytes: number }>
  /** Their caps' payload rate together. */
  aggregateMbit: number
  /** bytesToCopy ÷ aggregateMbit. */
  idealSeconds: number
  /** The busiest source's bytes ÷ its own uplink (a floor when each lost chunk has one other copy). */
  sourceFloorSeconds: number
  /** From the first survivor's decision to the last one's finish, per the nodes' events. */
  decisionToDoneSeconds: number
  /** From the kill to the first whole map read on a survivor (polled every 0.5 s). */
  killToMapSeconds: number
  /** decisionToDoneSeconds ÷ idealSeconds. */
  ratio: number
  /** Survivors that reported a decision, and copies made. */
  deciders: number
  finishers: number
}

/** What the section measured. */
export interface DistributeBenchResult {
  fileBytes: number
  uploaderMbit: number
  othersMbit: number
  runs: number
  push: PushFigures
  /** Repair runs that measured (the median is over these). */
  repairRuns: number
  /** Repair runs that failed, with their error. */
  repairFailures: string[]
  /** The run with the median ratio. */
  repair: RepairFigures
}

const specs = (): HostSpec[] => HOSTS.map((name, i) => ({ name, uploadMbit: i === 0 ? UPLOADER_MBIT : OTHERS_MBIT }))
const capOf = (node: HostNode): number => node.host.name === HOSTS[0] ? UPLOADER_MBIT : OTHERS_MBIT
const payloadMbit = (capMbit: number): number => capMbit * LINK_EFFICIENCY

/** Writes a fresh random file (its own ID) of `bytes` under `dir`. */
async function freshFile (dir: string, name: string, bytes: number): Promise<string> {
  const path = join(dir, `${name}.bin`)
  await writeRandomFile(path, bytes)
  return path
}

/** Pushes `path` from `up` and checks the answer: N copies, none kept by the uploader. */
async function push (up: HostNode, path: string, replicas: number): Promise<{ share: DistributedShare, ms: number }> {
  const r = await shareDistributed(up, path, { replicas, strategy: STRATEGY })
  const share = jsonOf<DistributedShare>(r, `share --distribute --replicas ${replicas}`)
  const copies = Object.values(share.distribution.holders).reduce((a, b) => a + b, 0)
  if (share.distribution.replicas !== replicas || copies !== share.chunks * replicas) throw new Error(`share --distribute --replicas ${replicas} reported ${JSON.stringify(share.distribution)}`)
  if (share.distribution.holders[up.peerId] !== undefined) throw new Error('weighted placement kept copies on the uploader: one copy is not the whole file through its uplink')
  return { share, ms: r.ms }
}

/** The push rounds, on one network. */
async function pushRounds (dir: string, o: { runs: number, fileBytes: number, log: (line: string) => void }): Promise<PushFigures> {
  return await onNetwork(specs(), async (net, nodes) => {
    const [up] = await startMesh(net.hosts, dir, nodes) as [HostNode]
    const plainShareMs: number[] = []
    const distributeMs: Record<number, number[]> = Object.fromEntries(PUSH_REPLICAS.map(n => [n, []]))
    const failures: PushFigures['failures'] = []
    for (let round = 0; round < o.runs; round++) {
      o.log(`distribute: push round ${round + 1} of ${o.runs}…`)
      const plain = await timedShoal(up, ['share', await freshFile(dir, `plain-${round}`, o.fileBytes), '--json'])
      jsonOf(plain, 'plain share')
      plainShareMs.push(plain.ms)
      const order = round % 2 === 0 ? PUSH_REPLICAS : [...PUSH_REPLICAS].reverse()
      for (const replicas of order) {
        try {
          const { ms } = await push(up, await freshFile(dir, `push-${round}-${replicas}`, o.fileBytes), replicas)
          distributeMs[replicas]?.push(ms)
          o.log(`distribute: --replicas ${replicas}: ${(ms / 1000).toFixed(1)} s`)
        } catch (err) {
          failures.push({ round, replicas, error: `${(err as Error).message} [${health(nodes)}]` })
          o.log(`distribute: --replicas ${replicas} FAILED: ${(err as Error).message}`)
        }
      }
    }
    const fixedMs = median(plainShareMs)
    const pushSeconds = Object.fromEntries(PUSH_REPLICAS.map(n => {
      const times = distributeMs[n] ?? []
      return [n, times.length === 0 ? Number.NaN : (median(times) - fixedMs) / 1000]
    }))
    const one = pushSeconds[1] as number
    return { strategy: STRATEGY, plainShareMs, distributeMs, pushSeconds, ratio: (pushSeconds[3] as number) / one, failures, oneCopyMbit: o.fileBytes * 8 / one / 1e6 }
  })
}

/** Bytes of chunk `index` of a `fileBytes` file. */
const chunkBytes = (fileBytes: number, index: number): number => chunkRange(fileBytes, chunkSizeFor(fileBytes), index).length

interface RepairEventData { id?: string, copies?: number, failed?: number }

/** When `events` show a survivor decided to repair `fileId` (its first decision), or undefined. */
function decidedAt (events: readonly StampedEvent[], fileId: string): number | undefined {
  const times = events.filter(e => e.event === REPAIR_DECIDED_EVENT && (e.data as RepairEventData).id === fileId).map(e => e.t)
  return times.length === 0 ? undefined : Math.min(...times)
}

/** When `events` show a survivor finished its last round of `fileId` that made copies, all of them; undefined if none. */
function copiedAt (events: readonly StampedEvent[], fileId: string): number | undefined {
  const times = events.filter(e => {
    const d = e.data as RepairEventData
    return e.event === REPAIR_DONE_EVENT && d.id === fileId && (d.copies ?? 0) > 0 && d.failed === 0
  }).map(e => e.t)
  return times.length === 0 ? undefined : Math.max(...times)
}

/** One repair run, on a network of its own. */
async function repairRun (dir: string, o: { fileBytes: number, log: (line: string) => void }): Promise<RepairFigures> {
  const env = { SHOAL_DISTRIBUTION_REPAIR_DELAY_SECONDS: String(REPAIR_DELAY_S) }
  return await onNetwork(specs(), async (net, nodes) => {
    const mesh = await startMesh(net.hosts, dir, nodes, { env })
    const up = mesh[0] as HostNode
    const path = await freshFile(dir, 'repair', o.fileBytes)
    const { share } = await push(up, path, REPAIR_REPLICAS).catch((err: Error) => { throw new Error(`${err.message} [${health(nodes)}]`) })
    const before: DistributionMap = await mapOn(mesh[1] as HostNode, share.id)
    const victim = busiest(before, mesh.slice(1))
    const survivors = mesh.filter(n => n !== victim)
    const lost = before.chunks.filter(c => c.holders.includes(victim.peerId))
    const bytesToCopy = lost.reduce((sum, c) => sum + chunkBytes(o.fileBytes, c.index), 0)
    const sourceBytes = new Map<HostNode, number>()
    for (const c of lost) {
      const others = survivors.filter(n => c.holders.includes(n.peerId))
      for (const n of others) sourceBytes.set(n, (sourceBytes.get(n) ?? 0) + chunkBytes(o.fileBytes, c.index) / others.length)
    }
    const sources = [...sourceBytes].map(([n, bytes]) => ({ host: n.host.name, capMbit: capOf(n), bytes }))
    const aggregateMbit = sources.reduce((sum, s) => sum + payloadMbit(s.capMbit), 0)
    const followers = await Promise.all(survivors.map(async n => await followEvents(n, /^repair/)))
    o.log(`distribute: repair: killing ${victim.host.name} (${lost.length} of ${share.chunks} chunks' copies)…`)
    await victim.kill()
    const killedAt = Date.now()
    const observer = survivors.find(n => n !== up) as HostNode
    const whole = await waitForMap(observer, share.id, REPAIR_REPLICAS, new Set(survivors.map(n => n.peerId)), share.chunks, REPAIR_TIMEOUT_MS)
    // A map is only as good as the copies behind it: every one must be on its holder's disk. A map
    // is whole as soon as its signer publishes it; the copies other survivors owe follow, and their
    // events with them, so the events are collected once the copies have landed.
    const hashes = await chunkHashes(path, chunkSizeFor(o.fileBytes))
    await Promise.all(survivors.map(async n => await waitOnDisk(n, whole.map, hashes, COPIES_LAND_MS)))
    await sleep(EVENT_GRACE_MS)
    await Promise.all(followers.map(async f => { await f.stop() }))
    const decided = followers.map(f => decidedAt(f.events, share.id)).filter((t): t is number => t !== undefined)
    const finished = followers.map(f => copiedAt(f.events, share.id)).filter((t): t is number => t !== undefined)
    if (decided.length === 0 || finished.length === 0) {
      const seen = [...new Set(followers.flatMap(f => f.events.map(e => e.event)))]
      throw new Error(`the survivors reported no ${REPAIR_DECIDED_EVENT}/${REPAIR_DONE_EVENT} events for ${share.id} (events seen: ${seen.join(', ') || 'none'})`)
    }
    const idealSeconds = bytesToCopy * 8 / (aggregateMbit * 1e6)
    const decisionToDoneSeconds = (Math.max(...finished) - Math.min(...decided)) / 1000
    return {
      replicas: REPAIR_REPLICAS,
      repairDelaySeconds: REPAIR_DELAY_S,
      lostCopies: lost.length,
      bytesToCopy,
      sources,
      aggregateMbit,
      idealSeconds,
      sourceFloorSeconds: Math.max(...sources.map(s => s.bytes * 8 / (payloadMbit(s.capMbit) * 1e6))),
      decisionToDoneSeconds,
      killToMapSeconds: (whole.at - killedAt) / 1000,
      ratio: decisionToDoneSeconds / idealSeconds,
      deciders: decided.length,
      finishers: finished.length
    }
  })
}

/** Runs the push rounds (`runs`) and the repair runs (`repairRuns`, each on a fresh network). */
export async function runDistributeBench (opts: { runs: number, repairRuns: number, fileBytes: number, log: (line: string) => void }): Promise<DistributeBenchResult> {
  await assertNetnsAvailable()
  const pushFigures = await inTempDir(async dir => await pushRounds(dir, opts))
  const repairs: RepairFigures[] = []
  const repairFailures: string[] = []
  for (let i = 0; i < opts.repairRuns; i++) {
    opts.log(`distribute: repair run ${i + 1} of ${opts.repairRuns}…`)
    try {
      repairs.push(await inTempDir(async dir => await repairRun(dir, opts)))
    } catch (err) {
      repairFailures.push((err as Error).message)
      opts.log(`distribute: repair run ${i + 1} FAILED: ${(err as Error).message}`)
    }
  }
  if (repairs.length === 0) throw new Error(`every repair run failed: ${repairFailures.join('; ')}`)
  const m = median(repairs.map(r => r.ratio))
  const repair = repairs.reduce((best, r) => Math.abs(r.ratio - m) < Math.abs(best.ratio - m) ? r : best)
  return { fileBytes: opts.fileBytes, uploaderMbit: UPLOADER_MBIT, othersMbit: OTHERS_MBIT, runs: opts.runs, push: pushFigures, repairRuns: repairs.length, repairFailures, repair }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, 'repair-runs': { type: 'string' }, size: { type: 'string' } } })
  const log = (line: string): void => { process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`) }
  const fileBytes = values.size === undefined ? 256 * MiB : parseSize(values.size)
  if (fileBytes === undefined) throw new Error(`--size: not a size: ${String(values.size)}`)
  const runs = Number(values.runs ?? 3)
  const result = await runDistributeBench({ runs, repairRuns: Number(values['repair-runs'] ?? runs), fileBytes, log })
  const { distributeRows } = await import('./lib/distribute-rows.js')
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  for (const r of distributeRows(result)) process.stdout.write(`${r.verdict}  ${r.figure}: ${r.measured}\n`)
}
