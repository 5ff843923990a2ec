/**
 * A deterministic discrete-event simulation of one download, driving a real
 * `Scheduler` with simulated sources, to measure what it achieves and costs.
 *
 * Model. Every source's upload link is a FIFO pipe: a request reaches it
 * RTT/2 after it is sent, the source serves its requests in order at its
 * bandwidth, one block at a time, and each block reaches the downloader RTT/2
 * after it left (then, when `downloadBytesPerSecond` is set, it queues for the
 * downloader's own link). As the download job does, the downloader reports
 * every block with `onData`, every finished chunk with `onChunkDone` (or
 * `onChunkCorrupt`, dropping a banned source), sends the cancellations those
 * calls and `tick` return, and calls `assign` after every event it sees from a
 * source and for every source on each tick. A cancellation reaches the source
 * RTT/2 later and drops the request from its queue, or stops it after the
 * block being sent. Faults: a source can go silent for a while (or for good)
 * and can send chunks that fail verification.
 *
 * All randomness (the scheduler's jitter and tie-breaking, corruption) comes
 * from one seeded generator, so a run is reproducible. The time spent inside
 * Scheduler calls is measured with `performance.now()` around each call: wall
 * time, so it includes the timer's own cost, any GC that a call happens to
 * trigger and, on a busy machine, time the process was not running. With
 * `trace`, the run also records every call, so the scheduler alone can be
 * timed by replaying them (`scheduler-trace.ts`, `bench/scheduler-sim.ts`).
 */
import { Bitfield } from '../content/bitfield.js'
import { ShoalError } from '../errors.js'
import type { PeerState } from './peer-stats.js'
import { Scheduler, type Cancellation } from './scheduler.js'
import { SchedulerTrace, type TracedCall } from './scheduler-trace.js'
import { EventQueue } from './event-queue.js'

/** One simulated source. */
export interface SimPeerSpec {
  uploadBytesPerSecond: number
  rttMs: number
  /** Chunks it holds; all of them when omitted. */
  chunks?: Iterable<number>
  /** It stops sending at this simulated time, for `silentForMs` (for good when omitted). */
  silentAtMs?: number
  silentForMs?: number
  /** Probability that a chunk it sends fails verification. */
  corruptRate?: number
}

/** One simulated download; the scheduler options default to the node's defaults. */
export interface SimOptions {
  peers: SimPeerSpec[]
  chunkCount: number
  chunkSize: number
  /** Size of the pieces data arrives in; default 256 KiB. */
  blockSize?: number
  seed?: number
  sequential?: boolean
  maxRequestsPerPeer?: number
  maxRetries?: number
  stallTimeoutMs?: number
  /** The downloader's own link; unlimited when omitted. */
  downloadBytesPerSecond?: number
  tickMs?: number
  /** The run ends after this much simulated time if the file is not complete; default 10 min. */
  maxSimMs?: number
  /** Record every scheduler call, for a replay that times the scheduler alone (`SimResult.trace`). */
  trace?: boolean
}

/** What one source contributed. */
export interface SimPeerResult {
  id: string
  uploadBytesPerSecond: number
  /** Bytes of the chunks it delivered first and verified. */
  bytes: number
  chunks: number
  state: PeerState
  /** Its part of the file's bytes and of the sum of upload bandwidths, 0..1. */
  byteShare: number
  bandwidthShare: number
}

/** What a run measured. */
export interface SimResult {
  /**
   * `complete`; or, at `maxSimMs`, `stalled` (nothing in flight and a chunk
   * without a usable source) or `timeout` (still going).
   */
  outcome: 'complete' | 'stalled' | 'timeout'
  simMs: number
  /** Time the last 1 % of the chunks took. */
  tailMs: number
  /** Simulated time spent stalled. */
  stalledMs: number
  fileBytes: number
  bandwidthSumBytesPerSecond: number
  /** Verified file bytes over simulated time, and its part of the bandwidth sum. */
  aggregateBytesPerSecond: number
  aggregateRatio: number
  /** Time spent inside Scheduler calls, and its part of the simulated time. */
  cpuMs: number
  cpuRatio: number
  /** Scheduler method → calls and time spent in them. */
  cpuByCall: Record<string, { calls: number, ms: number }>
  receivedBytes: number
  /** Bytes received that were neither a winning copy nor corrupt: endgame losers, cancelled requests. */
  duplicateBytes: number
  corruptBytes: number
  peers: SimPeerResult[]
  /** Every scheduler call of the run, when `trace` was set. */
  trace?: SchedulerTrace
}

/** Data arrives in blocks of this size, each reported with `onData`. */
export const DEFAULT_BLOCK_SIZE = 256 * 1024
/** How often `tick` runs, as the download job's timer does. */
export const DEFAULT_TICK_MS = 250
/** Simulated time after which an incomplete run ends. */
export const DEFAULT_MAX_SIM_MS = 600_000

/** Bytes per second of `n` Mbit/s. */
export function mbitps (n: number): number {
  return n * 1e6 / 8
}

/** A seeded generator of numbers in [0, 1) (mulberry32). */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `count` complete sources with log-uniform bandwidths and RTTs in the given ranges. */
export function randomPeers (count: number, seed: number, bytesPerSecond: [number, number], rttMs: [number, number]): SimPeerSpec[] {
  const random = seededRandom(seed)
  const logUniform = ([lo, hi]: [number, number]): number => lo * (hi / lo) ** random()
  return Array.from({ length: count }, () => ({ uploadBytesPerSecond: logUniform(bytesPerSecond), rttMs: logUniform(rttMs) }))
}

/** Runs one simulated download until it completes or `maxSimMs` passes. */
export function simulate (opts: SimOptions): SimResult {
  return new Simulation(opts).run()
}

interface Peer {
  readonly id: string
  readonly spec: SimPeerSpec
  /** Source side: requests that reached it, in order, `head` the next to serve. */
  readonly queue: Request[]
  head: number
  serving: Request | undefined
  /** Downloader side: index → request in flight. */
  readonly open: Map<number, Request>
  bytes: number
  chunks: number
}

interface Request {
  readonly peer: Peer
  readonly index: number
  sent: number
  received: number
  corrupt: boolean
  /** The downloader withdrew it (later data is waste); `cancelled`: the withdrawal reached the source. */
  dropped: boolean
  cancelled: boolean
}

type SimEvent =
  | { kind: 'request' | 'cancel' | 'send', req: Request }
  | { kind: 'arrive' | 'deliver', req: Request, bytes: number }
  | { kind: 'tick' }

class Simulation {
  readonly #opts: Required<Omit<SimOptions, 'downloadBytesPerSecond' | 'trace'>> & Pick<SimOptions, 'downloadBytesPerSecond'>
  readonly #random: () => number
  readonly #scheduler: Scheduler
  readonly #trace: SchedulerTrace | undefined
  readonly #peers: Peer[]
  readonly #events = new EventQueue<SimEvent>()
  readonly #cpu: Record<string, { calls: number, ms: number }> = {}
  #now = 0
  #open = 0
  #done = 0
  #tailFrom = 0
  #stalled = false
  #stalledMs = 0
  #linkFreeAt = 0
  #received = 0
  #corrupt = 0

  constructor (opts: SimOptions) {
    if (!(opts.chunkCount > 0 && opts.chunkSize > 0 && opts.peers.length > 0) || opts.peers.some(p => !(p.uploadBytesPerSecond > 0 && p.rttMs >= 0))) {
      throw new ShoalError('ERR_INVALID_ARGUMENT', 'a simulation needs chunks, a chunk size, and peers with a positive bandwidth and an RTT ≥ 0')
    }
    this.#opts = {
      blockSize: DEFAULT_BLOCK_SIZE, seed: 1, sequential: false, maxRequestsPerPeer: 16, maxRetries: 3,
      stallTimeoutMs: 15_000, tickMs: DEFAULT_TICK_MS, maxSimMs: DEFAULT_MAX_SIM_MS, ...opts
    }
    this.#random = seededRandom(this.#opts.seed)
    const { chunkCount, chunkSize, sequential, maxRequestsPerPeer, maxRetries, stallTimeoutMs } = this.#opts
    const schedulerOpts = { chunkCount, chunkSize, sequential, maxRequestsPerPeer, maxRetries, stallTimeoutMs }
    this.#trace = opts.trace === true ? new SchedulerTrace(schedulerOpts) : undefined
    this.#scheduler = new Scheduler({ ...schedulerOpts, random: this.#trace?.recordRandom(this.#random) ?? this.#random })
    this.#peers = opts.peers.map((spec, i) => ({ id: `p${i}`, spec, queue: [], head: 0, serving: undefined, open: new Map(), bytes: 0, chunks: 0 }))
  }

  run (): SimResult {
    const n = this.#opts.chunkCount
    for (const peer of this.#peers) {
      const have = peer.spec.chunks == null ? Bitfield.full(n) : bitfieldOf(n, peer.spec.chunks)
      this.#call('addPeer', peer.id, have, 0)
      this.#call('onRtt', peer.id, peer.spec.rttMs)
    }
    for (const peer of this.#peers) this.#assign(peer)
    this.#events.push(this.#opts.tickMs, { kind: 'tick' })
    for (let e = this.#events.pop(); e != null && e.at <= this.#opts.maxSimMs && !this.#scheduler.complete; e = this.#events.pop()) {
      this.#now = e.at
      const v = e.value
      switch (v.kind) {
        case 'request': v.req.peer.queue.push(v.req); this.#serve(v.req.peer); break
        case 'cancel': v.req.cancelled = true; break
        case 'send': this.#sent(v.req); break
        case 'arrive': this.#arrive(v.req, v.bytes); break
        case 'deliver': this.#deliver(v.req, v.bytes); break
        case 'tick': this.#tick(); break
      }
    }
    return this.#result()
  }

  /** Source side: starts the next request when idle. */
  #serve (peer: Peer): void {
    while (peer.serving == null && peer.head < peer.queue.length) {
      const req = peer.queue[peer.head++] as Request
      if (req.cancelled) continue
      peer.serving = req
      req.corrupt = this.#random() < (peer.spec.corruptRate ?? 0)
      this.#events.push(this.#now + this.#blockMs(req), { kind: 'send', req })
    }
    if (peer.head === peer.queue.length) peer.queue.length = peer.head = 0
  }

  /** Source side: a block of `req` goes on the wire, unless the source is silent or the request withdrawn. */
  #sent (req: Request): void {
    const { peer } = req
    const { silentAtMs = Infinity, silentForMs = Infinity } = peer.spec
    if (this.#now >= silentAtMs && this.#now < silentAtMs + silentForMs) {
      // The block goes out once the source speaks again (never, if silent for good).
      if (Number.isFinite(silentForMs)) this.#events.push(silentAtMs + silentForMs + this.#blockMs(req), { kind: 'send', req })
      return
    }
    if (!req.cancelled) {
      const bytes = Math.min(this.#opts.blockSize, this.#opts.chunkSize - req.sent)
      req.sent += bytes
      this.#events.push(this.#now + peer.spec.rttMs / 2, { kind: 'arrive', req, bytes })
      if (req.sent < this.#opts.chunkSize) {
        this.#events.push(this.#now + this.#blockMs(req), { kind: 'send', req })
        return
      }
    }
    peer.serving = undefined
    this.#serve(peer)
  }

  /** A block reaches the downloader's link. */
  #arrive (req: Request, bytes: number): void {
    const rate = this.#opts.downloadBytesPerSecond
    if (rate == null) { this.#deliver(req, bytes); return }
    this.#linkFreeAt = Math.max(this.#now, this.#linkFreeAt) + bytes * 1000 / rate
    this.#events.push(this.#linkFreeAt, { kind: 'deliver', req, bytes })
  }

  /** Downloader side: a block is in. */
  #deliver (req: Request, bytes: number): void {
    this.#received += bytes
    if (req.dropped) return
    const { peer, index } = req
    req.received += bytes
    this.#call('onData', peer.id, bytes, this.#now)
    if (req.received >= this.#opts.chunkSize) {
      this.#close(req)
      if (req.corrupt) {
        this.#corrupt += req.received
        this.#call('onChunkCorrupt', peer.id, index, this.#now)
        if (this.#scheduler.peer(peer.id)?.state === 'banned') for (const r of [...peer.open.values()]) this.#drop(r)
        for (const p of this.#peers) this.#assign(p)
        return
      }
      if (!this.#scheduler.isDone(index)) {
        peer.bytes += req.received
        peer.chunks++
        if (++this.#done === Math.ceil(this.#opts.chunkCount * 0.99)) this.#tailFrom = this.#now
      }
      this.#cancel(this.#call('onChunkDone', peer.id, index, this.#now))
    }
    this.#assign(peer)
  }

  /** Stall detection, a refill for every source, and the check for a dead end. */
  #tick (): void {
    this.#cancel(this.#call('tick', this.#now))
    for (const peer of this.#peers) this.#assign(peer)
    this.#events.push(this.#now + this.#opts.tickMs, { kind: 'tick' })
    if (this.#stalled) this.#stalledMs += this.#opts.tickMs
    // As the download job does: stalled means nothing in flight and a chunk without a usable source.
    this.#stalled = this.#open === 0 && this.#call('unavailableChunks').length > 0
  }

  #cancel (cancels: Cancellation[]): void {
    const touched = new Set<Peer>()
    for (const c of cancels) {
      const peer = this.#peers[Number(c.peer.slice(1))] as Peer
      const req = peer.open.get(c.index)
      if (req != null) { this.#drop(req); touched.add(peer) }
    }
    for (const peer of touched) this.#assign(peer)
  }

  #drop (req: Request): void {
    this.#close(req)
    req.dropped = true
    this.#events.push(this.#now + req.peer.spec.rttMs / 2, { kind: 'cancel', req })
  }

  #close (req: Request): void {
    if (req.peer.open.delete(req.index)) this.#open--
  }

  #assign (peer: Peer): void {
    for (const index of this.#call('assign', peer.id, this.#now)) {
      const req: Request = { peer, index, sent: 0, received: 0, corrupt: false, dropped: false, cancelled: false }
      peer.open.set(index, req)
      this.#open++
      this.#events.push(this.#now + peer.spec.rttMs / 2, { kind: 'request', req })
    }
  }

  #blockMs (req: Request): number {
    return Math.min(this.#opts.blockSize, this.#opts.chunkSize - req.sent) * 1000 / req.peer.spec.uploadBytesPerSecond
  }

  /** Calls the scheduler, booking the time spent to `name` (and recording the call when tracing). */
  #call<K extends TracedCall> (name: K, ...args: Parameters<Scheduler[K]>): ReturnType<Scheduler[K]> {
    const method = this.#scheduler[name] as (...a: Parameters<Scheduler[K]>) => ReturnType<Scheduler[K]>
    const start = performance.now()
    const out = method.apply(this.#scheduler, args)
    const ms = performance.now() - start
    const entry = this.#cpu[name] ?? (this.#cpu[name] = { calls: 0, ms: 0 })
    entry.calls++
    entry.ms += ms
    this.#trace?.record(name, args, out)
    return out
  }

  #result (): SimResult {
    const complete = this.#scheduler.complete
    const fileBytes = this.#opts.chunkCount * this.#opts.chunkSize
    const bandwidthSum = this.#peers.reduce((sum, p) => sum + p.spec.uploadBytesPerSecond, 0)
    const useful = this.#peers.reduce((sum, p) => sum + p.bytes, 0)
    const cpuMs = Object.values(this.#cpu).reduce((sum, c) => sum + c.ms, 0)
    const aggregate = this.#now > 0 ? useful * 1000 / this.#now : 0
    return {
      outcome: complete ? 'complete' : this.#stalled ? 'stalled' : 'timeout',
      simMs: this.#now,
      tailMs: complete ? this.#now - this.#tailFrom : 0,
      stalledMs: this.#stalledMs,
      fileBytes,
      bandwidthSumBytesPerSecond: bandwidthSum,
      aggregateBytesPerSecond: aggregate,
      aggregateRatio: aggregate / bandwidthSum,
      cpuMs,
      cpuRatio: this.#now > 0 ? cpuMs / this.#now : 0,
      cpuByCall: this.#cpu,
      receivedBytes: this.#received,
      duplicateBytes: this.#received - useful - this.#corrupt,
      corruptBytes: this.#corrupt,
      peers: this.#peers.map(p => ({
        id: p.id,
        uploadBytesPerSecond: p.spec.uploadBytesPerSecond,
        bytes: p.bytes,
        chunks: p.chunks,
        state: this.#scheduler.peer(p.id)?.state ?? 'active',
        byteShare: useful > 0 ? p.bytes / useful : 0,
        bandwidthShare: p.spec.uploadBytesPerSecond / bandwidthSum
      })),
      ...(this.#trace !== undefined ? { trace: this.#trace } : {})
    }
  }
}

function bitfieldOf (length: number, chunks: Iterable<number>): Bitfield {
  const field = new Bitfield(length)
  for (const i of chunks) field.set(i)
  return field
}
