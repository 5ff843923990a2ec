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
import { ChunkTable } from './chunk-table.js'
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

/** A source as the scheduler keeps it; `handle` stands for it in the chunk table (numbers are cheaper than ids). */
interface Peer {
  readonly handle: number
  readonly stats: PeerStats
  readonly have: HaveView
  readonly complete: boolean
}

/** A request the caller should withdraw (another copy won, or the peer stalled). */
export interface Cancellation {
  peer: string
  index: number
}

/** Decides which peer fetches which chunk, and reacts to outcomes. */
export class Scheduler {
  readonly #opts: Required<SchedulerOptions>
  readonly #chunks: ChunkTable
  readonly #peers = new Map<string, Peer>()
  /** id → handle, kept after removal so a returning peer keeps its failure history. */
  readonly #handles = new Map<string, number>()
  /** The peer last looked up: a block, its chunk's completion and the refill come from the same peer in a row. */
  #recent: Peer | undefined
  /** handle → id, for ever. */
  readonly #ids: string[] = []
  /** handle → the peer, while present. */
  readonly #byHandle: Array<Peer | undefined> = []
  /** Usable sources that held every chunk when added: they add one to every chunk's availability. */
  #completeSources = 0
  /** Unassigned missing chunks by partial availability (total availability = that + #completeSources). */
  readonly #pool: RarityBuckets
  /** The chunks in the random order buckets are filled in. */
  readonly #order: Uint32Array
  #byRate: PeerStats[] | undefined
  #byRateAt = 0
  /** #byRate without the holders found to have nothing left to race since the last sort, from #raceFrom on. */
  #raceHolders: PeerStats[] = []
  #raceFrom = 0
  #missing: number
  #cursor = 0

  constructor (opts: SchedulerOptions) {
    this.#opts = { sequential: false, random: Math.random, ...opts }
    this.#chunks = new ChunkTable(opts.chunkCount)
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
  isDone (index: number): boolean { return this.#chunks.isDone(index) }
  peers (): PeerStats[] { return [...this.#peers.values()].map(p => p.stats) }
  peer (id: string): PeerStats | undefined { return this.#peers.get(id)?.stats }

  /** Marks a chunk we already hold (resume). */
  markDone (index: number): void {
    const chunks = this.#chunks
    if (!chunks.has(index) || chunks.isDone(index)) return
    this.#pool.remove(index)
    chunks.setDone(index)
    this.#missing--
  }

  /** Adds a source with what it holds; `have` is read live, so later updates go through `peerHas`. */
  addPeer (id: string, have: HaveView, now: number): void {
    if (this.#peers.has(id)) return
    const stats = new PeerStats(id)
    stats.lastDataAt = now
    const complete = have.count === this.#chunks.length
    let handle = this.#handles.get(id)
    if (handle == null) {
      this.#handles.set(id, handle = this.#ids.length)
      this.#ids.push(id)
    }
    const peer = { handle, stats, have, complete }
    this.#peers.set(id, peer)
    this.#byHandle[handle] = peer
    this.#byRate = undefined
    this.#changeAvailabilityAll(have, complete, 1)
  }

  /** A source learned of a new chunk (have-update). Call after its bitfield is updated. */
  peerHas (id: string, index: number): void {
    const p = this.#peers.get(id)
    if (p == null || p.stats.state === 'banned') return
    // It announces the chunk again: believe it again after a refusal.
    if (this.#chunks.has(index)) this.#chunks.forgetFailures(index, p.handle)
    this.#pool.adjust(index, 1)
  }

  /** Removes a source; its requests are released back to the pool. */
  removePeer (id: string): void {
    const p = this.#peers.get(id)
    if (p == null) return
    this.#release(p)
    if (p.stats.state !== 'banned') this.#changeAvailabilityAll(p.have, p.complete, -1)
    this.#peers.delete(id)
    this.#byHandle[p.handle] = undefined
    this.#recent = undefined
    this.#byRate = undefined
  }

  /** Feeds a round-trip measurement for a peer. */
  onRtt (id: string, ms: number): void {
    this.#peers.get(id)?.stats.onRtt(ms)
  }

  /** Bytes arrived from a peer (any chunk); drives the rate estimate and un-stalls it. */
  onData (id: string, bytes: number, now: number): void {
    this.#find(id)?.stats.onData(bytes, now)
  }

  /** Chunks to request from `id` now, filling its window; at most `limit` (the caller's memory budget). */
  assign (id: string, now: number, limit = Infinity): number[] {
    const p = this.#find(id)
    if (p == null || this.#missing === 0) return []
    const { stats } = p
    const window = this.#mayProbe(stats, now) ? 1 : stats.window(this.#opts.chunkSize, this.#opts.maxRequestsPerPeer)
    const room = Math.min(limit, window - stats.inFlight.size)
    if (room <= 0) return []
    const picked: number[] = []
    // A rarest-first pick that came up short has already seen every unassigned chunk: endgame need not look again.
    const poolSearched = this.#opts.sequential ? this.#pickSequential(p, room, now, picked) : this.#pickRarest(p, room, now, picked)
    if (picked.length < room) this.#pickEndgame(p, room, now, picked, poolSearched)
    if (stats.inFlight.size === 0 && picked.length > 0) stats.startSample(now)
    for (const index of picked) {
      stats.inFlight.set(index, now)
      if (this.#chunks.has(index)) this.#chunks.addHolder(index, p.handle)
    }
    return picked
  }

  #find (id: string): Peer | undefined {
    const recent = this.#recent
    if (recent?.stats.id === id) return recent
    const p = this.#peers.get(id)
    if (p != null) this.#recent = p
    return p
  }

  /** A stalled peer is demoted, not dropped: after a back-off it gets one request to prove itself. */
  #mayProbe (stats: PeerStats, now: number): boolean {
    return stats.state === 'stalled' && stats.inFlight.size === 0 &&
      now - stats.lastDataAt >= this.#opts.stallTimeoutMs * 2 ** Math.min(stats.stalls, 6)
  }

  #eligible (index: number, p: Peer, now: number): boolean {
    const chunks = this.#chunks
    return !chunks.isDone(index) && p.have.get(index) && chunks.notBefore(index) <= now && !chunks.isHeldBy(index, p.handle) &&
      chunks.failures(index, p.handle) < this.#opts.maxRetries
  }

  /** Appends up to `room` rarest chunks to `picked`; returns whether it searched the whole pool. */
  #pickRarest (p: Peer, room: number, now: number, picked: number[]): boolean {
    const pool = this.#pool
    for (const level of pool.levels()) {
      if (level + this.#completeSources === 0) continue
      for (const index of pool.bucket(level)) {
        if (!this.#eligible(index, p, now)) continue
        picked.push(index)
        if (picked.length === room) break
      }
      if (picked.length === room) break
    }
    for (const index of picked) pool.remove(index)
    return picked.length < room
  }

  /** Appends up to `room` chunks from the lowest missing index on; the pool is not searched as endgame expects. */
  #pickSequential (p: Peer, room: number, now: number, picked: number[]): boolean {
    const chunks = this.#chunks
    while (this.#cursor < chunks.length && chunks.isDone(this.#cursor)) this.#cursor++
    for (let i = this.#cursor; i < chunks.length && picked.length < room; i++) {
      if (chunks.holderCount(i) === 0 && this.#eligible(i, p, now)) picked.push(i)
    }
    for (const index of picked) this.#pool.remove(index)
    return false
  }

  /**
   * Races chunks in flight elsewhere, slowest holders first; only when nothing
   * unassigned is left for this peer, only if it is a fast peer (within
   * ENDGAME_RACER_SPREAD of the fastest: the copies are few, slow peers must
   * not take them), and only where it should deliver first or the holder is
   * overdue. Appends to `picked` until it holds `room`.
   */
  #pickEndgame (p: Peer, room: number, now: number, picked: number[], poolSearched: boolean): void {
    const { stats } = p
    const byRate = this.#activeByRate(now)
    const fastest = byRate[byRate.length - 1]?.rate ?? 0
    if (stats.rate === 0 || stats.rate * ENDGAME_RACER_SPREAD < fastest) return
    if (!poolSearched && this.#hasUnassignedFor(p, now)) return
    const chunks = this.#chunks
    const bytesMs = this.#opts.chunkSize * 1000
    let mine = now + stats.rttMs + (stats.inFlight.size + 1) * bytesMs / stats.rate
    // Holders left with nothing to race (every request done or copied twice) are dropped from the list as found.
    const holders = this.#raceHolders
    const from = this.#raceFrom
    let kept = from
    for (let h = from; h < holders.length; h++) {
      const holder = holders[h] as PeerStats
      // The holder should deliver its n-th request by lastDataAt + n × perChunk.
      const perChunk = holder.rate > 0 ? bytesMs / holder.rate : Infinity
      const overdue = holder.lastDataAt + perChunk < now
      let raceable = false
      let n = 0
      for (const index of holder.inFlight.keys()) {
        const theirs = holder.lastDataAt + ++n * perChunk
        if (chunks.isDone(index) || chunks.holderCount(index) >= ENDGAME_COPIES) continue
        raceable = true
        if (holder === stats || (!overdue && mine >= theirs) || !this.#eligible(index, p, now)) continue
        picked.push(index)
        if (picked.length === room) break
        mine += bytesMs / stats.rate
      }
      if (raceable) holders[kept++] = holder
      if (picked.length === room) {
        this.#closeRaceGap(kept, h + 1)
        return
      }
    }
    holders.length = kept
  }

  /** Drops the holders in [kept, next) from the race list, moving whichever side of the gap is shorter. */
  #closeRaceGap (kept: number, next: number): void {
    const holders = this.#raceHolders
    const gap = next - kept
    if (gap === 0) return
    if (kept - this.#raceFrom <= holders.length - next) {
      holders.copyWithin(this.#raceFrom + gap, this.#raceFrom, kept)
      this.#raceFrom += gap
    } else {
      holders.copyWithin(kept, next)
      holders.length -= gap
    }
  }

  /** Active peers, slowest first; re-sorted at most every RATE_SAMPLE_MS, as rates move slowly. */
  #activeByRate (now: number): PeerStats[] {
    if (this.#byRate == null || now - this.#byRateAt >= RATE_SAMPLE_MS) {
      const byRate: PeerStats[] = []
      for (const { stats } of this.#peers.values()) if (stats.state === 'active') byRate.push(stats)
      this.#byRate = byRate.sort((a, b) => a.rate - b.rate)
      this.#byRateAt = now
      this.#raceHolders = this.#byRate.slice()
      this.#raceFrom = 0
    }
    return this.#byRate
  }

  #hasUnassignedFor (p: Peer, now: number): boolean {
    const pool = this.#pool
    for (const level of pool.levels()) {
      if (level + this.#completeSources === 0) continue
      for (const index of pool.bucket(level)) if (this.#eligible(index, p, now)) return true
    }
    return false
  }

  /** A verified chunk arrived from `id`; returns the duplicate requests to cancel. */
  onChunkDone (id: string, index: number, now: number): Cancellation[] {
    const chunks = this.#chunks
    const p = this.#find(id)
    if (p != null) {
      const { stats } = p
      stats.inFlight.delete(index)
      stats.chunks++
      if (stats.errors > 0) stats.errors--
      stats.lastDataAt = now
    }
    if (!chunks.has(index) || chunks.isDone(index)) return []
    this.#pool.remove(index)
    if (p != null) chunks.removeHolder(index, p.handle)
    const cancels: Cancellation[] = []
    for (let n = 0; n < chunks.holderCount(index); n++) {
      const handle = chunks.holder(index, n)
      cancels.push({ peer: this.#ids[handle] as string, index })
      this.#byHandle[handle]?.stats.inFlight.delete(index)
    }
    chunks.clearHolders(index)
    chunks.setDone(index)
    this.#missing--
    return cancels
  }

  /** A chunk from `id` failed verification: never ask `id` for it again; ban after repeats. */
  onChunkCorrupt (id: string, index: number, now: number): void {
    const p = this.#peers.get(id)
    if (p == null) return
    p.stats.badChunks++
    this.#fail(p, index, now, this.#opts.maxRetries)
    if (p.stats.badChunks >= MAX_BAD_CHUNKS) this.ban(id)
  }

  /** The peer said it does not have the chunk: believe it until it announces it again. */
  onChunkRefused (id: string, index: number, now: number): void {
    const p = this.#peers.get(id)
    if (p == null) return
    this.#fail(p, index, now, this.#opts.maxRetries)
  }

  /** A request to `id` failed for another reason (error, timeout, cancelled by a stall). */
  onRequestFailed (id: string, index: number, now: number): void {
    const p = this.#peers.get(id)
    if (p == null) return
    p.stats.errors++
    this.#fail(p, index, now, 1)
  }

  #fail (p: Peer, index: number, now: number, weight: number): void {
    p.stats.inFlight.delete(index)
    const chunks = this.#chunks
    if (!chunks.has(index) || chunks.isDone(index)) return
    chunks.removeHolder(index, p.handle)
    const attempts = chunks.addFailure(index, p.handle, weight)
    const backoff = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempts - 1, 10))
    chunks.setNotBefore(index, now + backoff * (0.5 + this.#opts.random()))
    if (chunks.holderCount(index) === 0) this.#pool.insert(index)
  }

  /** Bans a peer for this job: no more requests, its availability no longer counts. */
  ban (id: string): void {
    const p = this.#peers.get(id)
    if (p == null || p.stats.state === 'banned') return
    this.#release(p)
    this.#changeAvailabilityAll(p.have, p.complete, -1)
    p.stats.state = 'banned'
  }

  /**
   * Detects stalled peers: requests in flight and no data for the stall
   * timeout. Their requests are released; the caller cancels them.
   */
  tick (now: number): Cancellation[] {
    const cancels: Cancellation[] = []
    for (const p of this.#peers.values()) {
      const { stats } = p
      if (stats.state === 'banned' || stats.inFlight.size === 0) continue
      if (now - stats.lastDataAt < this.#opts.stallTimeoutMs) continue
      stats.state = 'stalled'
      stats.stalls++
      for (const index of stats.inFlight.keys()) cancels.push({ peer: stats.id, index })
      this.#release(p)
    }
    return cancels
  }

  /** Missing chunks that no usable peer can give us now (their absence makes a job `stalled`). */
  unavailableChunks (): number[] {
    const out: number[] = []
    const chunks = this.#chunks
    for (let i = 0; i < chunks.length; i++) {
      if (chunks.isDone(i) || chunks.holderCount(i) > 0) continue
      let served = false
      for (const { handle, stats, have } of this.#peers.values()) {
        if (stats.state === 'active' && have.get(i) && chunks.failures(i, handle) < this.#opts.maxRetries) { served = true; break }
      }
      if (!served) out.push(i)
    }
    return out
  }

  /** Forgets per-chunk failures, giving every peer a fresh chance (after re-discovery). */
  resetFailures (): void {
    this.#chunks.resetFailures()
  }

  #release ({ handle, stats }: Peer): void {
    const chunks = this.#chunks
    for (const index of stats.inFlight.keys()) {
      chunks.removeHolder(index, handle)
      if (!chunks.isDone(index) && chunks.holderCount(index) === 0) this.#pool.insert(index)
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
