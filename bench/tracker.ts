/**
 * Tracker benchmark: announces per second with latency percentiles, and
 * memory per 10,000 registered peers.
 *
 * The tracker runs in a child process (this file, forked with `--child`), so
 * its memory is measured alone (heap after a forced GC, and RSS) and the load
 * generator does not share its event loop. This process drives it over
 * keep-alive HTTP with `concurrency` requests in flight, using real Ed25519
 * keys and CIDs, so every announce goes through full validation, signature
 * check included. Bodies are signed before the run (timestamps increasing
 * per peer), so the generator's signing does not take CPU from the tracker;
 * the tracker is given a one-hour clock window to accept them:
 *
 * 0. warm-up: 2,000 throwaway peers register and stop (JIT, sockets).
 * 1. register: `peers` new peers, each `started` with 2 addresses and
 *    `filesPerPeer` files from a pool of `distinctFiles`; memory is read at
 *    0, 10,000 and `peers` registered peers.
 * 2. re-announce: for `durationMs`, registered peers re-announce (`update`,
 *    2 addresses, 1 file they already hold), as nodes do every interval.
 *
 * The child runs with `ipRateLimit: false` and `ipShare: false`, and a 1 GiB
 * index budget: all the load comes from one loopback address, which a public
 * tracker would (rightly) hold to a share, and the memory figure is of the
 * index without evictions. Per-peer limits stay on; no peer exceeds its
 * burst here.
 *
 * Run: `npx tsx bench/tracker.ts [--duration-ms N] [--concurrency N] [--peers N] [--no-persist]`.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { announceSigningBytes } from '../src/tracker/signature.js'
import { postAnnounce } from '../test/tracker/flood.js'
import type { AnnounceEvent } from '../src/tracker/registry.js'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'

/** Options of {@link runTrackerBench}. */
export interface TrackerBenchOptions {
  /** Length of the re-announce phase; default 5,000 ms. */
  durationMs?: number
  /** Requests in flight; default 64. */
  concurrency?: number
  /** Peers registered; default 50,000 (memory is read at 10,000 and here). */
  peers?: number
  filesPerPeer?: number
  distinctFiles?: number
  /** Run the tracker with a data dir (SQLite write-behind); default true. */
  persist?: boolean
}

/** Throughput and latency of one phase. */
export interface PhaseResult {
  announces: number
  errors: number
  seconds: number
  announcesPerSecond: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

/** What the benchmark measured. */
export interface TrackerBenchResult {
  persist: boolean
  concurrency: number
  peers: number
  filesPerPeer: number
  register: PhaseResult
  reannounce: PhaseResult
  /** Tracker memory growth per 10,000 registered peers (over all `peers`), MiB. */
  memoryPer10kPeers: { heapMiB: number, rssMiB: number }
  /** Raw readings, bytes: heap used after GC and RSS. */
  memory: Array<{ peers: number, heapUsed: number, rss: number }>
}

interface ChildMessage { type: 'ready' | 'memory', url?: string, heapUsed?: number, rss?: number }

const MIB = 1024 * 1024

/** Re-announces signed ahead per second of the re-announce phase (above any rate measured here). */
const MAX_EXPECTED_ANNOUNCES_PER_SECOND = 15_000

/** Throwaway peers that register and stop before measuring. */
const WARMUP_PEERS = 2_000

/** Runs the benchmark against a tracker in a child process. */
export async function runTrackerBench (opts: TrackerBenchOptions = {}): Promise<TrackerBenchResult> {
  const o = { durationMs: 5000, concurrency: 64, peers: 50_000, filesPerPeer: 10, distinctFiles: 10_000, persist: true, ...opts }
  const [keys, pool] = await Promise.all([makeKeys(o.peers + WARMUP_PEERS), makeFileIds(o.distinctFiles)])
  const peer = (i: number): { addrs: string[], files: string[] } => ({
    addrs: [`/ip4/10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/tcp/4001`, `/ip6/fd00::${i.toString(16)}/tcp/4001`],
    files: Array.from({ length: o.filesPerPeer }, (_, k) => pool[(i * 7919 + k * 104_729) % pool.length] as string)
  })
  // Everything is signed before the tracker starts, so the load generator's
  // signing does not compete with the tracker for CPU during the phases.
  const at = Date.now()
  const warmup = Array.from({ length: WARMUP_PEERS }, (_, w) => {
    const i = o.peers + w
    return { register: sign(keys[i]!, { ...peer(i), event: 'started' }, at), stop: sign(keys[i]!, { addrs: [], event: 'stopped' }, at + 1) }
  })
  const register = Array.from({ length: o.peers }, (_, i) => sign(keys[i]!, { ...peer(i), event: 'started' }, at))
  const rounds = Math.max(1, Math.ceil(o.durationMs / 1000 * MAX_EXPECTED_ANNOUNCES_PER_SECOND / o.peers))
  const reannounce = Array.from({ length: rounds * o.peers }, (_, n) => {
    const i = n % o.peers
    const { addrs, files } = peer(i)
    return sign(keys[i]!, { addrs, files: files.slice(0, 1), event: 'update' }, at + 1 + Math.floor(n / o.peers))
  })

  const dataDir = o.persist ? await mkdtemp(join(tmpdir(), 'shoal-tracker-bench-')) : undefined
  const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify({ dataDir })], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency })
  try {
    const url = new URL((await ask(child, 'start')).url ?? '')
    const post = (body: Buffer): Promise<number> => postAnnounce(agent, url, body)
    // Warm up the JIT and open the keep-alive sockets, then leave the tracker empty again.
    for (const kind of ['register', 'stop'] as const) await drive(o.concurrency, i => i < WARMUP_PEERS ? post(warmup[i]![kind]) : undefined)
    const memory = [{ peers: 0, ...await readMemory(child) }]
    const firstMark = Math.min(10_000, o.peers)
    const a = await drive(o.concurrency, i => i < firstMark ? post(register[i]!) : undefined)
    memory.push({ peers: firstMark, ...await readMemory(child) })
    const b = await drive(o.concurrency, i => i + firstMark < o.peers ? post(register[i + firstMark]!) : undefined)
    memory.push({ peers: o.peers, ...await readMemory(child) })
    const deadline = performance.now() + o.durationMs
    const again = summarise(await drive(o.concurrency, i => performance.now() < deadline && i < reannounce.length ? post(reannounce[i]!) : undefined))
    const first = memory[0]!
    const last = memory[memory.length - 1]!
    const per10k = (bytes: number): number => round(bytes / MIB / (o.peers / 10_000))
    return {
      persist: o.persist,
      concurrency: o.concurrency,
      peers: o.peers,
      filesPerPeer: o.filesPerPeer,
      register: summarise(merge(a, b)),
      reannounce: again,
      memoryPer10kPeers: { heapMiB: per10k(last.heapUsed - first.heapUsed), rssMiB: per10k(last.rss - first.rss) },
      memory
    }
  } finally {
    agent.destroy()
    child.send({ type: 'stop' })
    await new Promise(resolve => child.once('exit', resolve))
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  }
}

interface Samples { latencies: number[], errors: number, seconds: number }

/** Runs `next(i)` with `concurrency` in flight until it returns undefined. */
async function drive (concurrency: number, next: (i: number) => Promise<number> | undefined): Promise<Samples> {
  const latencies: number[] = []
  let errors = 0
  let i = 0
  const started = performance.now()
  const worker = async (): Promise<void> => {
    for (;;) {
      const t0 = performance.now()
      const request = next(i++)
      if (request === undefined) return
      const status = await request.catch(() => 0)
      latencies.push(performance.now() - t0)
      if (status !== 200) errors++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { latencies, errors, seconds: (performance.now() - started) / 1000 }
}

function merge (a: Samples, b: Samples): Samples {
  return { latencies: [...a.latencies, ...b.latencies], errors: a.errors + b.errors, seconds: a.seconds + b.seconds }
}

function summarise (s: Samples): PhaseResult {
  const sorted = Float64Array.from(s.latencies).sort()
  const pct = (p: number): number => round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0)
  return {
    announces: sorted.length,
    errors: s.errors,
    seconds: round(s.seconds),
    announcesPerSecond: Math.round(sorted.length / s.seconds),
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    maxMs: round(sorted[sorted.length - 1] ?? 0)
  }
}

/** A peer's key: node's own key object (fast repeated signing) and its peer ID. */
interface BenchKey { peerId: string, key: KeyObject }

/** Ed25519 keys through node:crypto; peer IDs through libp2p, as nodes derive them. */
async function makeKeys (n: number): Promise<BenchKey[]> {
  return Array.from({ length: n }, () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519')
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url')
    return { peerId: peerIdFromPublicKey(publicKeyFromRaw(raw)).toString(), key: privateKey }
  })
}

/** A signed announce body (`signature.ts`), as JSON bytes. */
function sign (k: BenchKey, fields: { addrs: string[], files?: string[], event: AnnounceEvent }, timestamp: number): Buffer {
  const body = { ...fields, peerId: k.peerId, timestamp }
  const signature = cryptoSign(null, announceSigningBytes(body), k.key).toString('base64url')
  return Buffer.from(JSON.stringify({ ...body, signature }))
}

async function makeFileIds (n: number): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, async (_, i) =>
    CID.createV1(0x71, await sha256.digest(new TextEncoder().encode(`bench-file-${i}`))).toString()))
}

/** Sends a request to the child and waits for its answer. */
function ask (child: ChildProcess, type: 'start' | 'memory'): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const onExit = (): void => { reject(new Error('tracker child exited')) }
    child.once('exit', onExit)
    child.once('message', (m: ChildMessage) => { child.off('exit', onExit); resolve(m) })
    if (type === 'memory') child.send({ type })
  })
}

async function readMemory (child: ChildProcess): Promise<{ heapUsed: number, rss: number }> {
  const m = await ask(child, 'memory')
  return { heapUsed: m.heapUsed ?? 0, rss: m.rss ?? 0 }
}

function round (n: number): number {
  return Math.round(n * 100) / 100
}

/** The child: a tracker on loopback, reporting memory after a full GC when asked. */
async function child (arg: string): Promise<void> {
  const { startTracker } = await import('../src/tracker/index.js')
  const { dataDir } = JSON.parse(arg) as { dataDir?: string }
  // Bodies are signed before the run, so timestamps may be minutes old: a wide clock window.
  const tracker = await startTracker({
    host: '127.0.0.1', port: 0, dataDir, ipRateLimit: false, ipShare: false, maxIndexBytes: 1024 * 1024 * 1024, maxClockSkewSeconds: 3600
  })
  const gc = (globalThis as { gc?: () => void }).gc
  process.on('message', (m: { type: string }) => {
    if (m.type === 'memory') {
      gc?.()
      gc?.()
      const { heapUsed, rss } = process.memoryUsage()
      process.send?.({ type: 'memory', heapUsed, rss })
    } else if (m.type === 'stop') {
      void tracker.close().then(() => { process.disconnect() })
    }
  })
  process.send?.({ type: 'ready', url: tracker.url })
}

function printTable (results: TrackerBenchResult[]): void {
  const rows = results.flatMap(r => [
    [r.persist ? 'sqlite' : 'memory', 'register', r.register],
    [r.persist ? 'sqlite' : 'memory', 're-announce', r.reannounce]
  ] as const)
  console.log('state   phase        announces/s   p50 ms   p99 ms   max ms   errors')
  for (const [state, phase, p] of rows) {
    console.log(`${state.padEnd(8)}${phase.padEnd(13)}${String(p.announcesPerSecond).padStart(11)}${String(p.p50Ms).padStart(9)}` +
      `${String(p.p99Ms).padStart(9)}${String(p.maxMs).padStart(9)}${String(p.errors).padStart(9)}`)
  }
  for (const r of results) {
    console.log(`${r.persist ? 'sqlite' : 'memory'}: memory per 10,000 peers (${r.filesPerPeer} files each): ` +
      `heap ${r.memoryPer10kPeers.heapMiB} MiB, RSS ${r.memoryPer10kPeers.rssMiB} MiB (over ${r.peers} peers)`)
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] ?? '{}')
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      'duration-ms': { type: 'string' },
      concurrency: { type: 'string' },
      peers: { type: 'string' },
      'no-persist': { type: 'boolean' }
    }
  })
  const base: TrackerBenchOptions = {
    ...(values['duration-ms'] !== undefined ? { durationMs: Number(values['duration-ms']) } : {}),
    ...(values.concurrency !== undefined ? { concurrency: Number(values.concurrency) } : {}),
    ...(values.peers !== undefined ? { peers: Number(values.peers) } : {})
  }
  const results = [await runTrackerBench({ ...base, persist: false })]
  if (values['no-persist'] !== true) results.push(await runTrackerBench({ ...base, persist: true }))
  printTable(results)
  console.log(JSON.stringify(results, null, 2))
}
