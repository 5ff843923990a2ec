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
 * Picking. A peer takes the rarest unassigned chunks it can serve, or the
 * lowest missing index (sequential) (`picker.ts`). When nothing unassigned is
 * left for a fast peer with room, it races chunks in flight elsewhere
 * (`endgame.ts`); the first copy to arrive wins and the caller cancels the
 * others.
 *
 * Faults. A failed request puts its chunk on back-off (exponential with
 * jitter); after `maxRetries` failures from one peer that peer is no longer
 * asked for that chunk. A corrupt chunk excludes the peer for that chunk at
 * once and counts against it; `MAX_BAD_CHUNKS` bans it for the job. A peer
 * with requests in flight that delivers nothing for `stallTimeoutMs` is
 * `stalled`: its chunks go back to the pool, it no longer counts as a source,
 * and it gets no new work until data from it arrives again, except one probe
 * request after a back-off (doubling per stall).
 *
 * Cost. The caller reports every block and asks again after every event (and
 * for every peer on each tick), so most calls find the window full and touch
 * that one peer only. The total in flight (`inFlight`) is a running count
 * kept by every path that adds or drops a request, not a sum over peers.
 */
import { ChunkTable } from './chunk-table.js'
import { Endgame } from './endgame.js'
import { PeerStats, MAX_BAD_CHUNKS } from './peer-stats.js'
import { Picker, type HaveView, type PickerSource } from './picker.js'

export { ENDGAME_COPIES, ENDGAME_RACER_SPREAD } from './endgame.js'
export type { HaveView } from './picker.js'

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

export const RETRY_BASE_MS = 250
export const RETRY_MAX_MS = 8_000

/** A source as the scheduler keeps it; `handle` stands for it in the chunk table (numbers are cheaper than ids). */
interface Peer extends PickerSource {
  readonly stats: PeerStats
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
  readonly #picker: Picker
  readonly #endgame: Endgame
  readonly #peers = new Map<string, Peer>()
  /** id → handle, kept after removal so a returning peer keeps its failure history. */
  readonly #handles = new Map<string, number>()
  /** handle → id, for ever. */
  readonly #ids: string[] = []
  /** handle → the peer, while present. */
  readonly #byHandle: Array<Peer | undefined> = []
  /** The peer last looked up: a block, its chunk's completion and the refill come from the same peer in a row. */
  #recent: Peer | undefined
  #missing: number
  /** The sum of every peer's `inFlight.size`, kept by each change to one. */
  #inFlight = 0

  constructor (opts: SchedulerOptions) {
    this.#opts = { sequential: false, random: Math.random, ...opts }
    this.#chunks = new ChunkTable(opts.chunkCount)
    this.#picker = new Picker(this.#chunks, this.#opts)
    this.#endgame = new Endgame(this.#chunks, opts.chunkSize, () => this.peers())
    this.#missing = opts.chunkCount
  }

  get missingCount (): number { return this.#missing }
  get complete (): boolean { return this.#missing === 0 }
  /** Requests in flight over all peers (an endgame copy counts at each peer it was asked of). */
  get inFlight (): number { return this.#inFlight }
  isDone (index: number): boolean { return this.#chunks.isDone(index) }
  peers (): PeerStats[] { return [...this.#peers.values()].map(p => p.stats) }
  peer (id: string): PeerStats | undefined { return this.#peers.get(id)?.stats }

  /** Marks a chunk we already hold (resume). */
  markDone (index: number): void {
    const chunks = this.#chunks
    if (!chunks.has(index) || chunks.isDone(index)) return
    this.#picker.take(index)
    chunks.setDone(index)
    this.#missing--
  }

  /** Adds a source with what it holds; `have` is read live, so later updates go through `peerHas`. */
  addPeer (id: string, have: HaveView, now: number): void {
    if (this.#peers.has(id)) return
    const stats = new PeerStats(id)
    stats.lastDataAt = now
    let handle = this.#handles.get(id)
    if (handle == null) {
      this.#handles.set(id, handle = this.#ids.length)
      this.#ids.push(id)
    }
    const peer = { handle, stats, have, complete: have.count === this.#chunks.length }
    this.#peers.set(id, peer)
    this.#byHandle[handle] = peer
    this.#endgame.invalidate()
    this.#picker.changeAvailability(peer, 1)
  }

  /** A source learned of a new chunk (have-update). Call after its bitfield is updated. */
  peerHas (id: string, index: number): void {
    const p = this.#peers.get(id)
    if (p == null || p.stats.state === 'banned') return
    // It announces the chunk again: believe it again after a refusal.
    if (this.#chunks.has(index)) this.#chunks.forgetFailures(index, p.handle)
    this.#picker.announce(index)
  }

  /** Removes a source; its requests are released back to the pool. */
  removePeer (id: string): void {
    const p = this.#peers.get(id)
    if (p == null) return
    this.#release(p)
    if (p.stats.state !== 'banned') this.#picker.changeAvailability(p, -1)
    this.#peers.delete(id)
    this.#byHandle[p.handle] = undefined
    this.#recent = undefined
    this.#endgame.invalidate()
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
    const inFlight = stats.inFlight
    const room = Math.min(limit, window - inFlight.size)
    if (room <= 0) return []
    const picked: number[] = []
    const picker = this.#picker
    picker.pick(p, room, now, picked)
    // Racing before the end would cancel copies half sent: in a swarm, where
    // peers often have nothing new to offer for a moment, that wastes the
    // uplinks everyone is waiting on.
    if (picked.length < room && picker.allAssigned() && this.#endgame.admits(stats, now)) {
      this.#endgame.race(stats, room, now, picked, index => picker.eligible(index, p, now))
    }
    const before = inFlight.size
    if (before === 0 && picked.length > 0) stats.startSample(now)
    for (const index of picked) {
      inFlight.set(index, now)
      this.#chunks.addHolder(index, p.handle)
    }
    this.#inFlight += inFlight.size - before
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

  /** A verified chunk arrived from `id`; returns the duplicate requests to cancel. */
  onChunkDone (id: string, index: number, now: number): Cancellation[] {
    const chunks = this.#chunks
    const p = this.#find(id)
    if (p != null) {
      const { stats } = p
      if (stats.inFlight.delete(index)) this.#inFlight--
      stats.chunks++
      if (stats.errors > 0) stats.errors--
      stats.lastDataAt = now
    }
    if (!chunks.has(index) || chunks.isDone(index)) return []
    this.#picker.take(index)
    if (p != null) chunks.removeHolder(index, p.handle)
    const cancels: Cancellation[] = []
    for (let n = 0; n < chunks.holderCount(index); n++) {
      const handle = chunks.holder(index, n)
      cancels.push({ peer: this.#ids[handle] as string, index })
      if (this.#byHandle[handle]?.stats.inFlight.delete(index) === true) this.#inFlight--
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

  /**
   * The peer asked us to get the chunk elsewhere (it is sending it to another
   * peer now): back to the pool after a short back-off, no fault counted.
   */
  onChunkDeferred (id: string, index: number, now: number): void {
    const p = this.#peers.get(id)
    if (p != null && this.#unassign(p, index)) this.#backOff(index, now, RETRY_BASE_MS / 2)
  }

  #fail (p: Peer, index: number, now: number, weight: number): void {
    if (!this.#unassign(p, index)) return
    const attempts = this.#chunks.addFailure(index, p.handle, weight)
    this.#backOff(index, now, Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempts - 1, 10)))
  }

  /** Takes `index` from `p`'s requests; false if the chunk needs nothing more (done, or not ours). */
  #unassign (p: Peer, index: number): boolean {
    if (p.stats.inFlight.delete(index)) this.#inFlight--
    const chunks = this.#chunks
    if (!chunks.has(index) || chunks.isDone(index)) return false
    chunks.removeHolder(index, p.handle)
    return true
  }

  /** Nobody is asked for `index` for about `ms` (jittered); with no request left it is up for grabs again. */
  #backOff (index: number, now: number, ms: number): void {
    const chunks = this.#chunks
    chunks.setNotBefore(index, now + ms * (0.5 + this.#opts.random()))
    if (chunks.holderCount(index) === 0) this.#picker.putBack(index)
  }

  /** Bans a peer for this job: no more requests, its availability no longer counts. */
  ban (id: string): void {
    const p = this.#peers.get(id)
    if (p == null || p.stats.state === 'banned') return
    this.#release(p)
    this.#picker.changeAvailability(p, -1)
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
      for (const { handle, stats, have, complete } of this.#peers.values()) {
        if (stats.state === 'active' && (complete || have.get(i)) && chunks.failures(i, handle) < this.#opts.maxRetries) { served = true; break }
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
      if (!chunks.isDone(index) && chunks.holderCount(index) === 0) this.#picker.putBack(index)
    }
    this.#inFlight -= stats.inFlight.size
    stats.inFlight.clear()
  }
}
