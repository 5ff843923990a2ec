/**
 * The download scheduler: pure logic, no I/O, time passed in by the caller.
 *
 * Model. A file has `chunkCount` chunks; each is `done`, `missing` or in
 * flight at one or more peers. Each peer (a `PeerStats`) has the chunks its
 * bitfield says and a window of requests in flight sized from its measured
 * bandwidth × (RTT + slack). The caller asks `assign(peer, now)` whenever a
 * peer may have room and sends the requests it gets back; it reports every
 * outcome (`onData`, `onChunkDone`, `onChunkCorrupt`, `onChunkRefused`,
 * `onRequestFailed`) and calls `tick(now)` periodically for stall detection.
 *
 * Picking. Unassigned missing chunks sit in buckets by availability (how many
 * usable peers have them; complete sources are counted once for all chunks);
 * a peer takes from the rarest bucket it can serve (rarest-first), or the
 * lowest index (sequential). When nothing unassigned is left for a fast peer
 * with room, it races chunks in flight elsewhere (endgame), at most
 * `ENDGAME_COPIES` copies each, slowest holders first, where it should beat
 * the holder; the first copy to arrive wins and the caller cancels the others.
 *
 * Faults. A failed request puts its chunk on back-off (exponential with
 * jitter); after `maxRetries` failures from one peer that peer is no longer
 * asked for that chunk. A corrupt chunk excludes the peer for that chunk at
 * once and counts against it; `MAX_BAD_CHUNKS` bans it for the job. A peer
 * with requests in flight that delivers nothing for `stallTimeoutMs` is
 * `stalled`: its chunks go back to the pool, it no longer counts as a source,
 * and it gets no new work until data from it arrives again, except one probe
 * request after a back-off (doubling per stall).
 */
import { RarityBuckets } from './rarity-buckets.js'
import { PeerStats, MAX_BAD_CHUNKS, RATE_SAMPLE_MS } from './peer-stats.js'

/** Tunables of one scheduler. */
export interface SchedulerOptions {
  chunkCount: number
  /** Nominal chunk size in bytes (windows are counted in chunks of this size). */
  chunkSize: number
  maxRequestsPerPeer: number
  /** Failures of one chunk from one peer before that peer is not asked for it again. */
  maxRetries: number
  stallTimeoutMs: number
  sequential?: boolean
  /** Injectable randomness (jitter, tie-breaking) for reproducible simulations. */
  random?: () => number
}

/** The minimal view of a bitfield the scheduler needs. */
export interface HaveView {
  readonly length: number
  /** Chunks held, when known (a `Bitfield` has it): a complete source is then added in O(1). */
  readonly count?: number
  get: (index: number) => boolean
}

export const ENDGAME_COPIES = 2
/** Only peers within this factor of the fastest one race in endgame, so slow ones do not take the copies. */
export const ENDGAME_RACER_SPREAD = 4
export const RETRY_BASE_MS = 250
export const RETRY_MAX_MS = 8_000

interface ChunkState {
  done: boolean
  /** Peers it is requested from now. */
  readonly at: Set<string>
  /** peer → failures of this chunk from that peer. */
  readonly failures: Map<string, number>
  /** Do not request before this time (back-off). */
  notBefore: number
}

/** A request the caller should withdraw (another copy won, or the peer stalled). */
export interface Cancellation {
  peer: string
  index: number
}

/** Decides which peer fetches which chunk, and reacts to outcomes. */
export class Scheduler {
  readonly #opts: Required<SchedulerOptions>
  readonly #chunks: ChunkState[]
  readonly #peers = new Map<string, { stats: PeerStats, have: HaveView, complete: boolean }>()
  /** Usable sources that held every chunk when added: they add one to every chunk's availability. */
  #completeSources = 0
  /** Unassigned missing chunks by partial availability (total availability = that + #completeSources). */
  readonly #pool: RarityBuckets
  /** The chunks in the random order buckets are filled in. */
  readonly #order: Uint32Array
  #byRate: PeerStats[] | undefined
  #byRateAt = 0
  /** #byRate without the holders found to have nothing left to race since the last sort. */
  #raceHolders: PeerStats[] = []
  #missing: number
  #cursor = 0

  constructor (opts: SchedulerOptions) {
    this.#opts = { sequential: false, random: Math.random, ...opts }
    this.#chunks = Array.from({ length: opts.chunkCount }, () => ({ done: false, at: new Set<string>(), failures: new Map<string, number>(), notBefore: 0 }))
    this.#pool = new RarityBuckets(opts.chunkCount)
    this.#missing = opts.chunkCount
    // Insert (and move, as availability changes) in random order so equally rare chunks are spread across peers.
    const order = Array.from({ length: opts.chunkCount }, (_, i) => i)
    if (!this.#opts.sequential) shuffle(order, this.#opts.random)
    this.#order = Uint32Array.from(order)
    for (const index of order) this.#pool.insert(index)
  }

  get missingCount (): number { return this.#missing }
  get complete (): boolean { return this.#missing === 0 }
  isDone (index: number): boolean { return this.#chunks[index]?.done === true }
  peers (): PeerStats[] { return [...this.#peers.values()].map(p => p.stats) }
  peer (id: string): PeerStats | undefined { return this.#peers.get(id)?.stats }

  /** Marks a chunk we already hold (resume). */
  markDone (index: number): void {
    const c = this.#chunks[index]
    if (c == null || c.done) return
    this.#pool.remove(index)
    c.done = true
    this.#missing--
  }

  /** Adds a source with what it holds; `have` is read live, so later updates go through `peerHas`. */
  addPeer (id: string, have: HaveView, now: number): void {
    if (this.#peers.has(id)) return
    const stats = new PeerStats(id)
    stats.lastDataAt = now
    const complete = have.count === this.#chunks.length
    this.#peers.set(id, { stats, have, complete })
    this.#byRate = undefined
    this.#changeAvailabilityAll(have, complete, 1)
  }

  /** A source learned of a new chunk (have-update). Call after its bitfield is updated. */
  peerHas (id: string, index: number): void {
    const p = this.#peers.get(id)
    if (p == null || p.stats.state === 'banned') return
    // It announces the chunk again: believe it again after a refusal.
    this.#chunks[index]?.failures.delete(id)
    this.#pool.adjust(index, 1)
  }

  /** Removes a source; its requests are released back to the pool. */
  removePeer (id: string): void {
    const p = this.#peers.get(id)
    if (p == null) return
    this.#release(p.stats)
    if (p.stats.state !== 'banned') this.#changeAvailabilityAll(p.have, p.complete, -1)
    this.#peers.delete(id)
    this.#byRate = undefined
  }

  /** Feeds a round-trip measurement for a peer. */
  onRtt (id: string, ms: number): void {
    this.#peers.get(id)?.stats.onRtt(ms)
  }

  /** Bytes arrived from a peer (any chunk); drives the rate estimate and un-stalls it. */
  onData (id: string, bytes: number, now: number): void {
    this.#peers.get(id)?.stats.onData(bytes, now)
  }

  /** Chunks to request from `id` now, filling its window; at most `limit` (the caller's memory budget). */
  assign (id: string, now: number, limit = Infinity): number[] {
    const p = this.#peers.get(id)
    if (p == null || this.#missing === 0) return []
    const { stats, have } = p
    const window = this.#mayProbe(stats, now) ? 1 : stats.window(this.#opts.chunkSize, this.#opts.maxRequestsPerPeer)
    const room = Math.min(limit, window - stats.inFlight.size)
    if (room <= 0) return []
    const picked = this.#opts.sequential ? this.#pickSequential(stats, have, room, now) : this.#pickRarest(stats, have, room, now)
    if (picked.length < room) for (const index of this.#pickEndgame(stats, have, room - picked.length, now)) picked.push(index)
    if (stats.inFlight.size === 0 && picked.length > 0) stats.startSample(now)
    for (const index of picked) {
      stats.inFlight.set(index, now)
      this.#chunks[index]?.at.add(id)
    }
    return picked
  }

  /** A stalled peer is demoted, not dropped: after a back-off it gets one request to prove itself. */
  #mayProbe (stats: PeerStats, now: number): boolean {
    return stats.state === 'stalled' && stats.inFlight.size === 0 &&
      now - stats.lastDataAt >= this.#opts.stallTimeoutMs * 2 ** Math.min(stats.stalls, 6)
  }

  #eligible (index: number, stats: PeerStats, have: HaveView, now: number): boolean {
    const c = this.#chunks[index] as ChunkState
    return !c.done && have.get(index) && c.notBefore <= now && !c.at.has(stats.id) &&
      (c.failures.get(stats.id) ?? 0) < this.#opts.maxRetries
  }

  #pickRarest (stats: PeerStats, have: HaveView, room: number, now: number): number[] {
    const picked: number[] = []
    for (const [level, bucket] of this.#pool.rarestFirst()) {
      if (level + this.#completeSources === 0) continue
      for (const index of bucket) {
        if (!this.#eligible(index, stats, have, now)) continue
        picked.push(index)
        if (picked.length === room) break
      }
      if (picked.length === room) break
    }
    for (const index of picked) this.#pool.remove(index)
    return picked
  }

  #pickSequential (stats: PeerStats, have: HaveView, room: number, now: number): number[] {
    const picked: number[] = []
    while (this.#cursor < this.#chunks.length && this.#chunks[this.#cursor]?.done === true) this.#cursor++
    for (let i = this.#cursor; i < this.#chunks.length && picked.length < room; i++) {
      const c = this.#chunks[i] as ChunkState
      if (c.at.size === 0 && this.#eligible(i, stats, have, now)) picked.push(i)
    }
    for (const index of picked) this.#pool.remove(index)
    return picked
  }

  /**
   * Races chunks in flight elsewhere, slowest holders first; only when nothing
   * unassigned is left for this peer, only if it is a fast peer (within
   * ENDGAME_RACER_SPREAD of the fastest: the copies are few, slow peers must
   * not take them), and only where it should deliver first or the holder is
   * overdue.
   */
  #pickEndgame (stats: PeerStats, have: HaveView, room: number, now: number): number[] {
    const byRate = this.#activeByRate(now)
    const fastest = byRate[byRate.length - 1]?.rate ?? 0
    if (stats.rate === 0 || stats.rate * ENDGAME_RACER_SPREAD < fastest) return []
    if (this.#hasUnassignedFor(stats, have, now)) return []
    const bytesMs = this.#opts.chunkSize * 1000
    const picked: number[] = []
    let mine = now + stats.rttMs + (stats.inFlight.size + 1) * bytesMs / stats.rate
    // Holders left with nothing to race (every request done or copied twice) are dropped from the list as found.
    const holders = this.#raceHolders
    let kept = 0
    for (let h = 0; h < holders.length; h++) {
      const holder = holders[h] as PeerStats
      // The holder should deliver its n-th request by lastDataAt + n × perChunk.
      const perChunk = holder.rate > 0 ? bytesMs / holder.rate : Infinity
      const overdue = holder.lastDataAt + perChunk < now
      let raceable = false
      let n = 0
      for (const index of holder.inFlight.keys()) {
        const theirs = holder.lastDataAt + ++n * perChunk
        const c = this.#chunks[index] as ChunkState
        if (c.done || c.at.size >= ENDGAME_COPIES) continue
        raceable = true
        if (holder === stats || (!overdue && mine >= theirs) || !this.#eligible(index, stats, have, now)) continue
        picked.push(index)
        if (picked.length === room) break
        mine += bytesMs / stats.rate
      }
      if (raceable) holders[kept++] = holder
      if (picked.length === room) {
        holders.copyWithin(kept, h + 1)
        holders.length = kept + holders.length - h - 1
        return picked
      }
    }
    holders.length = kept
    return picked
  }

  /** Active peers, slowest first; re-sorted at most every RATE_SAMPLE_MS, as rates move slowly. */
  #activeByRate (now: number): PeerStats[] {
    if (this.#byRate == null || now - this.#byRateAt >= RATE_SAMPLE_MS) {
      this.#byRate = [...this.#peers.values()].map(p => p.stats).filter(s => s.state === 'active').sort((a, b) => a.rate - b.rate)
      this.#byRateAt = now
      this.#raceHolders = this.#byRate.slice()
    }
    return this.#byRate
  }

  #hasUnassignedFor (stats: PeerStats, have: HaveView, now: number): boolean {
    for (const [level, bucket] of this.#pool.rarestFirst()) {
      if (level + this.#completeSources === 0) continue
      for (const index of bucket) if (this.#eligible(index, stats, have, now)) return true
    }
    return false
  }

  /** A verified chunk arrived from `id`; returns the duplicate requests to cancel. */
  onChunkDone (id: string, index: number, now: number): Cancellation[] {
    const c = this.#chunks[index]
    const p = this.#peers.get(id)
    if (p != null) {
      p.stats.inFlight.delete(index)
      p.stats.chunks++
      if (p.stats.errors > 0) p.stats.errors--
      p.stats.lastDataAt = now
    }
    if (c == null || c.done) return []
    this.#pool.remove(index)
    c.at.delete(id)
    const cancels: Cancellation[] = []
    for (const peer of c.at) {
      cancels.push({ peer, index })
      this.#peers.get(peer)?.stats.inFlight.delete(index)
    }
    c.at.clear()
    c.done = true
    this.#missing--
    return cancels
  }

  /** A chunk from `id` failed verification: never ask `id` for it again; ban after repeats. */
  onChunkCorrupt (id: string, index: number, now: number): void {
    const p = this.#peers.get(id)
    if (p == null) return
    p.stats.badChunks++
    this.#fail(p.stats, index, now, this.#opts.maxRetries)
    if (p.stats.badChunks >= MAX_BAD_CHUNKS) this.ban(id)
  }

  /** The peer said it does not have the chunk: believe it until it announces it again. */
  onChunkRefused (id: string, index: number, now: number): void {
    const p = this.#peers.get(id)
    if (p == null) return
    this.#fail(p.stats, index, now, this.#opts.maxRetries)
  }

  /** A request to `id` failed for another reason (error, timeout, cancelled by a stall). */
  onRequestFailed (id: string, index: number, now: number): void {
    const p = this.#peers.get(id)
    if (p == null) return
    p.stats.errors++
    this.#fail(p.stats, index, now, 1)
  }

  #fail (stats: PeerStats, index: number, now: number, weight: number): void {
    stats.inFlight.delete(index)
    const c = this.#chunks[index]
    if (c == null || c.done) return
    c.at.delete(stats.id)
    c.failures.set(stats.id, (c.failures.get(stats.id) ?? 0) + weight)
    const attempts = [...c.failures.values()].reduce((a, b) => a + b, 0)
    const backoff = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempts - 1, 10))
    c.notBefore = now + backoff * (0.5 + this.#opts.random())
    if (c.at.size === 0) this.#pool.insert(index)
  }

  /** Bans a peer for this job: no more requests, its availability no longer counts. */
  ban (id: string): void {
    const p = this.#peers.get(id)
    if (p == null || p.stats.state === 'banned') return
    this.#release(p.stats)
    this.#changeAvailabilityAll(p.have, p.complete, -1)
    p.stats.state = 'banned'
  }

  /**
   * Detects stalled peers: requests in flight and no data for the stall
   * timeout. Their requests are released; the caller cancels them.
   */
  tick (now: number): Cancellation[] {
    const cancels: Cancellation[] = []
    for (const { stats } of this.#peers.values()) {
      if (stats.state === 'banned' || stats.inFlight.size === 0) continue
      if (now - stats.lastDataAt < this.#opts.stallTimeoutMs) continue
      stats.state = 'stalled'
      stats.stalls++
      for (const index of stats.inFlight.keys()) cancels.push({ peer: stats.id, index })
      this.#release(stats)
    }
    return cancels
  }

  /** Missing chunks that no usable peer can give us now (their absence makes a job `stalled`). */
  unavailableChunks (): number[] {
    const out: number[] = []
    for (let i = 0; i < this.#chunks.length; i++) {
      const c = this.#chunks[i] as ChunkState
      if (c.done || c.at.size > 0) continue
      let served = false
      for (const { stats, have } of this.#peers.values()) {
        if (stats.state === 'active' && have.get(i) && (c.failures.get(stats.id) ?? 0) < this.#opts.maxRetries) { served = true; break }
      }
      if (!served) out.push(i)
    }
    return out
  }

  /** Forgets per-chunk failures, giving every peer a fresh chance (after re-discovery). */
  resetFailures (): void {
    for (const c of this.#chunks) c.failures.clear()
  }

  #release (stats: PeerStats): void {
    for (const index of stats.inFlight.keys()) {
      const c = this.#chunks[index] as ChunkState
      c.at.delete(stats.id)
      if (!c.done && c.at.size === 0) this.#pool.insert(index)
    }
    stats.inFlight.clear()
  }

  #changeAvailabilityAll (have: HaveView, complete: boolean, delta: number): void {
    if (complete) this.#completeSources += delta
    else for (const i of this.#order) if (have.get(i)) this.#pool.adjust(i, delta)
  }
}

function shuffle (a: number[], random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = a[i] as number
    a[i] = a[j] as number
    a[j] = t
  }
}
