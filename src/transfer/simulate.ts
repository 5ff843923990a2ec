/**
 * A deterministic discrete-event simulation of one download, driving a real
 * `Scheduler` with simulated sources, to measure what it achieves and costs.
 *
 * Model. Every source's upload link is a FIFO pipe: a request reaches it
 * RTT/2 after it is sent, the source serves its requests in order at its
 * bandwidth, one block at a time, and each block reaches the downloader RTT/2
 * after it left (then, when `downloadBytesPerSecond` is set, it queues for the
 * downloader's own link). The downloader reports every block with `onData`,
 * every finished chunk with `onChunkDone` (or `onChunkCorrupt`), and sends the
 * cancellations those calls and `tick` return; a cancellation reaches the
 * source RTT/2 later and drops the request from its queue, or stops it after
 * the block being sent. `assign` is called after every event the downloader
 * sees from a source and for every source on each tick, as the download job
 * does. Faults: a source can go silent for a while (or for good) and can send
 * chunks that fail verification.
 *
 * All randomness (the scheduler's jitter and tie-breaking, corruption) comes
 * from one seeded generator, so a run is reproducible. The CPU time spent
 * inside Scheduler calls is measured with `performance.now()`.
 */
import { Bitfield } from '../content/bitfield.js'
import { ShoalError } from '../errors.js'
import type { PeerState } from './peer-stats.js'
import { Scheduler, type Cancellation } from './scheduler.js'

/** One simulated source. */
export interface SimPeerSpec {
  uploadBytesPerSecond: number
  rttMs: number
  /** Chunks it holds; all of them when omitted. */
  chunks?: Iterable<number>
  /** It stops sending at this simulated time... */
  silentAtMs?: number
  /** ...for this long; for good when omitted. */
  silentForMs?: number
  /** Probability that a chunk it sends fails verification. */
  corruptRate?: number
}

/** One simulated download. */
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
  /** The run gives up (`timeout`) after this much simulated time; default 1 h. */
  maxSimMs?: number
}

/** What one source contributed. */
export interface SimPeerResult {
  id: string
  uploadBytesPerSecond: number
  /** Bytes of the chunks it delivered first and verified. */
  bytes: number
  chunks: number
  state: PeerState
  /** Its part of the file's bytes, 0..1. */
  byteShare: number
  /** Its part of the sum of upload bandwidths, 0..1. */
  bandwidthShare: number
}

/** What a run measured. */
export interface SimResult {
  /** `stalled`: nothing in flight and some chunk has no usable source. */
  outcome: 'complete' | 'stalled' | 'timeout'
  simMs: number
  fileBytes: number
  bandwidthSumBytesPerSecond: number
  /** File bytes over simulated time. */
  aggregateBytesPerSecond: number
  aggregateRatio: number
  /** Time spent inside Scheduler calls, and its part of the simulated time. */
  cpuMs: number
  cpuRatio: number
  /** Scheduler method → calls and time spent in them. */
  cpuByCall: Record<string, { calls: number, ms: number }>
  receivedBytes: number
  /** Bytes received that were neither the winning copy nor corrupt: endgame losers, cancelled requests. */
  duplicateBytes: number
  corruptBytes: number
  peers: SimPeerResult[]
}

export const DEFAULT_BLOCK_SIZE = 256 * 1024
export const DEFAULT_TICK_MS = 250
export const DEFAULT_MAX_SIM_MS = 3_600_000

/** Bytes per second of `n` Mbit/s. */
export function mbitps (n: number): number {
  return n * 1e6 / 8
}

/** A seeded generator in [0, 1) (mulberry32). */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `count` full sources with log-uniform bandwidths and RTTs in the given ranges. */
export function randomPeers (count: number, seed: number, bytesPerSecond: [number, number], rttMs: [number, number]): SimPeerSpec[] {
  const random = seededRandom(seed)
  const logUniform = ([lo, hi]: [number, number]): number => lo * (hi / lo) ** random()
  return Array.from({ length: count }, () => ({ uploadBytesPerSecond: logUniform(bytesPerSecond), rttMs: logUniform(rttMs) }))
}

interface Peer {
  readonly id: string
  readonly spec: SimPeerSpec
  /** Requests that reached it, in order; `head` is the next to serve. */
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
  /** The downloader withdrew it; later data is waste. */
  dropped: boolean
  /** The withdrawal reached the source. */
  cancelled: boolean
}

type SimEvent =
  | { kind: 'request' | 'cancel' | 'send', req: Request }
  | { kind: 'arrive' | 'deliver', req: Request, bytes: number }
  | { kind: 'tick' }

/** Runs one simulated download to completion, stall or timeout. */
export function simulate (opts: SimOptions): SimResult {
  return new Simulation(opts).run()
}

class Simulation {
  readonly #opts: Required<Omit<SimOptions, 'downloadBytesPerSecond'>> & { downloadBytesPerSecond?: number }
  readonly #random: () => number
  readonly #scheduler: Scheduler
  readonly #peers: Peer[]
  readonly #events = new EventQueue<SimEvent>()
  #now = 0
  #open = 0
  #linkFreeAt = 0
  #cpuMs = 0
  readonly #cpu: Record<string, { calls: number, ms: number }> = {}
  #received = 0
  #corrupt = 0

  constructor (opts: SimOptions) {
    if (!(opts.chunkCount > 0 && opts.chunkSize > 0 && opts.peers.length > 0)) {
      throw new ShoalError('ERR_INVALID_ARGUMENT', 'a simulation needs chunks, a chunk size and peers')
    }
    if (opts.peers.some(p => !(p.uploadBytesPerSecond > 0 && p.rttMs >= 0))) {
      throw new ShoalError('ERR_INVALID_ARGUMENT', 'every simulated peer needs a positive bandwidth and a non-negative RTT')
    }
    this.#opts = {
      blockSize: DEFAULT_BLOCK_SIZE, seed: 1, sequential: false, maxRequestsPerPeer: 16, maxRetries: 3,
      stallTimeoutMs: 15_000, tickMs: DEFAULT_TICK_MS, maxSimMs: DEFAULT_MAX_SIM_MS, ...opts
    }
    this.#random = seededRandom(this.#opts.seed)
    const { chunkCount, chunkSize, sequential, maxRequestsPerPeer, maxRetries, stallTimeoutMs } = this.#opts
    this.#scheduler = new Scheduler({ chunkCount, chunkSize, sequential, maxRequestsPerPeer, maxRetries, stallTimeoutMs, random: this.#random })
    this.#peers = opts.peers.map((spec, i) => ({ id: `p${i}`, spec, queue: [], head: 0, serving: undefined, open: new Map(), bytes: 0, chunks: 0 }))
  }

  run (): SimResult {
    const s = this.#scheduler
    for (const peer of this.#peers) {
      const have = peer.spec.chunks == null ? Bitfield.full(this.#opts.chunkCount) : bitfieldOf(this.#opts.chunkCount, peer.spec.chunks)
      this.#timed('addPeer', () => { s.addPeer(peer.id, have, 0) })
      this.#timed('onRtt', () => { s.onRtt(peer.id, peer.spec.rttMs) })
    }
    for (const peer of this.#peers) this.#assign(peer)
    this.#events.push(this.#opts.tickMs, { kind: 'tick' })
    let outcome: SimResult['outcome'] = 'timeout'
    for (let e = this.#events.pop(); e != null; e = this.#events.pop()) {
      if (e.at > this.#opts.maxSimMs) break
      this.#now = e.at
      const stop = this.#handle(e.value)
      if (s.complete) { outcome = 'complete'; break }
      if (stop) { outcome = 'stalled'; break }
    }
    return this.#result(outcome)
  }

  /** Handles one event; true when the download cannot go on. */
  #handle (e: SimEvent): boolean {
    switch (e.kind) {
      case 'request': e.req.peer.queue.push(e.req); this.#serve(e.req.peer); break
      case 'cancel': e.req.cancelled = true; break
      case 'send': this.#sent(e.req); break
      case 'arrive': this.#arrive(e.req, e.bytes); break
      case 'deliver': this.#deliver(e.req, e.bytes); break
      case 'tick': return this.#tick()
    }
    return false
  }

  /** Source side: starts the next request when idle. */
  #serve (peer: Peer): void {
    if (peer.serving != null) return
    while (peer.head < peer.queue.length) {
      const req = peer.queue[peer.head++] as Request
      if (req.cancelled) continue
      peer.serving = req
      req.corrupt = this.#random() < (peer.spec.corruptRate ?? 0)
      this.#events.push(this.#now + this.#blockMs(req), { kind: 'send', req })
      return
    }
    peer.queue.length = peer.head = 0
  }

  /** Source side: a block of `req` is on the wire, unless the source is silent or the request withdrawn. */
  #sent (req: Request): void {
    const { peer } = req
    const { silentAtMs = Infinity, silentForMs = Infinity } = peer.spec
    if (this.#now >= silentAtMs && this.#now < silentAtMs + silentForMs) {
      // Silent: the block goes out once it speaks again (never, if for good).
      if (Number.isFinite(silentForMs)) this.#events.push(silentAtMs + silentForMs + this.#blockMs(req), { kind: 'send', req })
      return
    }
    if (!req.cancelled) {
      const bytes = this.#blockBytes(req)
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
    const s = this.#scheduler
    req.received += bytes
    this.#timed('onData', () => { s.onData(peer.id, bytes, this.#now) })
    if (req.received >= this.#opts.chunkSize) {
      this.#close(req)
      if (req.corrupt) {
        this.#corrupt += req.received
        this.#timed('onChunkCorrupt', () => { s.onChunkCorrupt(peer.id, index, this.#now) })
        if (s.peer(peer.id)?.state === 'banned') for (const r of [...peer.open.values()]) this.#drop(r)
        this.#assignAll()
        return
      }
      const wasDone = s.isDone(index)
      const cancels = this.#timed('onChunkDone', () => s.onChunkDone(peer.id, index, this.#now))
      if (!wasDone) { peer.bytes += req.received; peer.chunks++ }
      this.#cancel(cancels)
    }
    this.#assign(peer)
  }

  /** Stall detection, a refill for everyone, and the check for a dead end. */
  #tick (): boolean {
    const s = this.#scheduler
    this.#cancel(this.#timed('tick', () => s.tick(this.#now)))
    this.#assignAll()
    this.#events.push(this.#now + this.#opts.tickMs, { kind: 'tick' })
    return this.#open === 0 && this.#timed('unavailableChunks', () => s.unavailableChunks()).length > 0
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
    const picked = this.#timed('assign', () => this.#scheduler.assign(peer.id, this.#now))
    for (const index of picked) {
      const req: Request = { peer, index, sent: 0, received: 0, corrupt: false, dropped: false, cancelled: false }
      peer.open.set(index, req)
      this.#open++
      this.#events.push(this.#now + peer.spec.rttMs / 2, { kind: 'request', req })
    }
  }

  #assignAll (): void {
    for (const peer of this.#peers) this.#assign(peer)
  }

  #blockBytes (req: Request): number {
    return Math.min(this.#opts.blockSize, this.#opts.chunkSize - req.sent)
  }

  #blockMs (req: Request): number {
    return this.#blockBytes(req) * 1000 / req.peer.spec.uploadBytesPerSecond
  }

  #timed<T> (call: string, fn: () => T): T {
    const start = performance.now()
    try {
      return fn()
    } finally {
      const ms = performance.now() - start
      this.#cpuMs += ms
      const entry = this.#cpu[call] ?? (this.#cpu[call] = { calls: 0, ms: 0 })
      entry.calls++
      entry.ms += ms
    }
  }

  #result (outcome: SimResult['outcome']): SimResult {
    const fileBytes = this.#opts.chunkCount * this.#opts.chunkSize
    const bandwidthSum = this.#peers.reduce((sum, p) => sum + p.spec.uploadBytesPerSecond, 0)
    const useful = this.#peers.reduce((sum, p) => sum + p.bytes, 0)
    const aggregate = this.#now > 0 ? useful * 1000 / this.#now : 0
    return {
      outcome,
      simMs: this.#now,
      fileBytes,
      bandwidthSumBytesPerSecond: bandwidthSum,
      aggregateBytesPerSecond: aggregate,
      aggregateRatio: aggregate / bandwidthSum,
      cpuMs: this.#cpuMs,
      cpuRatio: this.#now > 0 ? this.#cpuMs / this.#now : 0,
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
      }))
    }
  }
}

function bitfieldOf (length: number, chunks: Iterable<number>): Bitfield {
  const field = new Bitfield(length)
  for (const i of chunks) field.set(i)
  return field
}

/** A binary min-heap of timed events; ties keep insertion order, so runs are deterministic. */
class EventQueue<T> {
  readonly #heap: Array<{ at: number, seq: number, value: T }> = []
  #seq = 0

  push (at: number, value: T): void {
    const h = this.#heap
    h.push({ at, seq: this.#seq++, value })
    for (let i = h.length - 1; i > 0;) {
      const parent = (i - 1) >> 1
      if (!this.#less(i, parent)) break
      this.#swap(i, parent)
      i = parent
    }
  }

  pop (): { at: number, value: T } | undefined {
    const h = this.#heap
    const top = h[0]
    const last = h.pop()
    if (top == null || last == null || h.length === 0) return top
    h[0] = last
    for (let i = 0; ;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && this.#less(l, m)) m = l
      if (r < h.length && this.#less(r, m)) m = r
      if (m === i) break
      this.#swap(i, m)
      i = m
    }
    return top
  }

  #less (a: number, b: number): boolean {
    const x = this.#heap[a] as { at: number, seq: number }
    const y = this.#heap[b] as { at: number, seq: number }
    return x.at < y.at || (x.at === y.at && x.seq < y.seq)
  }

  #swap (a: number, b: number): void {
    const h = this.#heap
    const t = h[a] as typeof h[number]
    h[a] = h[b] as typeof h[number]
    h[b] = t
  }
}
