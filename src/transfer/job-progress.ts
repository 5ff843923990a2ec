/**
 * Progress bookkeeping of one download: the state of every chunk (pending,
 * downloading with bytes, completed, failed; with the peer involved), totals,
 * the job's speed and each peer's, and the ETA. Pure: time is passed in.
 *
 * Speeds are what arrived over the last RATE_WINDOW_MS of wall time (see
 * RateMeter), not a peer's capacity while busy (the scheduler's PeerStats.rate,
 * which sizes request windows): a peer paced by a rate limit sends in bursts,
 * and only time-averaged bytes give the figure a user expects. A peer that
 * sent nothing for a whole window shows exactly 0.
 */
import { RateMeter } from './rate-meter.js'

export { RATE_WINDOW_MS } from './rate-meter.js'

/** Per-chunk states shown to users (seed 000's chunks_status). */
export type ChunkStatus = 'pending' | 'downloading' | 'completed' | 'failed'

/** One chunk's state. */
export interface ChunkProgress {
  status: ChunkStatus
  peer?: string
  received?: number
  total?: number
}

/** Tracks chunk states and transfer speed for one job. */
export class JobProgress {
  readonly chunkCount: number
  readonly size: number
  readonly #active = new Map<number, ChunkProgress>()
  readonly #failed = new Map<number, string | undefined>()
  readonly #completedBy = new Map<number, string | undefined>()
  readonly #meter: RateMeter
  readonly #peerMeters = new Map<string, RateMeter>()
  #bytesDone = 0
  #received = 0
  #now: number

  constructor (chunkCount: number, size: number, now: number) {
    this.chunkCount = chunkCount
    this.size = size
    this.#now = now
    this.#meter = new RateMeter(now)
  }

  get chunksDone (): number { return this.#completedBy.size }
  get bytesDone (): number { return this.#bytesDone }
  get bytesReceived (): number { return this.#received }
  /** Bytes per second over the last RATE_WINDOW_MS (as of the last `tick`). */
  get speed (): number { return this.#meter.rate(this.#now) }

  /** Bytes per second `peer` sent over the last RATE_WINDOW_MS; 0 for a peer that sent nothing in it. */
  peerRate (peer: string): number { return this.#peerMeters.get(peer)?.rate(this.#now) ?? 0 }

  /** Seconds left at the current speed; undefined when unknown. */
  get etaSeconds (): number | undefined {
    if (this.#bytesDone >= this.size) return 0
    const speed = this.speed
    return speed > 0 ? Math.ceil((this.size - this.#bytesDone) / speed) : undefined
  }

  /** A chunk present before the job ran (resume). */
  restored (index: number, bytes: number): void {
    this.#completedBy.set(index, undefined)
    this.#bytesDone += bytes
  }

  requested (index: number, peer: string, total: number): void {
    if (this.#completedBy.has(index)) return
    this.#failed.delete(index)
    this.#active.set(index, { status: 'downloading', peer, received: 0, total })
    // A peer's rate is measured from its first request on, not from the job's start.
    if (!this.#peerMeters.has(peer)) this.#peerMeters.set(peer, new RateMeter(this.#now))
  }

  /** `delta` more bytes of chunk `index` arrived from `peer` (`received` so far); `now` dates them. */
  received (index: number, peer: string, received: number, delta: number, now = this.#now): void {
    this.#received += delta
    this.#now = Math.max(this.#now, now)
    this.#meter.add(delta, now)
    let meter = this.#peerMeters.get(peer)
    if (meter == null) this.#peerMeters.set(peer, meter = new RateMeter(now))
    meter.add(delta, now)
    const p = this.#active.get(index)
    if (p != null && p.peer === peer) p.received = received
  }

  completed (index: number, peer: string, bytes: number): void {
    if (this.#completedBy.has(index)) return
    this.#active.delete(index)
    this.#failed.delete(index)
    this.#completedBy.set(index, peer)
    this.#bytesDone += bytes
  }

  failed (index: number, peer: string | undefined): void {
    if (this.#completedBy.has(index)) return
    this.#active.delete(index)
    this.#failed.set(index, peer)
  }

  /** A request withdrawn without fault (endgame loser, reassignment). */
  released (index: number): void {
    this.#active.delete(index)
  }

  /** Moves the clock the speeds are read at. */
  tick (now: number): void {
    this.#now = Math.max(this.#now, now)
  }

  /** The state of one chunk. */
  chunk (index: number): ChunkProgress {
    if (this.#completedBy.has(index)) {
      const peer = this.#completedBy.get(index)
      return peer == null ? { status: 'completed' } : { status: 'completed', peer }
    }
    const active = this.#active.get(index)
    if (active != null) return { ...active }
    if (this.#failed.has(index)) {
      const peer = this.#failed.get(index)
      return peer == null ? { status: 'failed' } : { status: 'failed', peer }
    }
    return { status: 'pending' }
  }

  /** Counts per status, for summaries. */
  counts (): Record<ChunkStatus, number> {
    const downloading = this.#active.size
    const failed = this.#failed.size
    const completed = this.#completedBy.size
    return { completed, downloading, failed, pending: this.chunkCount - completed - downloading - failed }
  }
}
