/**
 * Progress bookkeeping of one download: the state of every chunk (pending,
 * downloading with bytes, completed, failed; with the peer involved), totals,
 * speed as a moving average and ETA. Pure: time is passed in.
 */

/** Per-chunk states shown to users (seed 000's chunks_status). */
export type ChunkStatus = 'pending' | 'downloading' | 'completed' | 'failed'

/** One chunk's state. */
export interface ChunkProgress {
  status: ChunkStatus
  peer?: string
  received?: number
  total?: number
}

/** Speed is averaged over windows of this length. */
export const SPEED_WINDOW_MS = 1000
const SPEED_ALPHA = 0.5

/** Tracks chunk states and transfer speed for one job. */
export class JobProgress {
  readonly chunkCount: number
  readonly size: number
  readonly #active = new Map<number, ChunkProgress>()
  readonly #failed = new Map<number, string | undefined>()
  readonly #completedBy = new Map<number, string | undefined>()
  #bytesDone = 0
  #received = 0
  #windowStart: number
  #windowBytes = 0
  #speed = 0

  constructor (chunkCount: number, size: number, now: number) {
    this.chunkCount = chunkCount
    this.size = size
    this.#windowStart = now
  }

  get chunksDone (): number { return this.#completedBy.size }
  get bytesDone (): number { return this.#bytesDone }
  get bytesReceived (): number { return this.#received }
  /** Bytes per second, moving average. */
  get speed (): number { return this.#speed }

  /** Seconds left at the current speed; undefined when unknown. */
  get etaSeconds (): number | undefined {
    if (this.#bytesDone >= this.size) return 0
    return this.#speed > 0 ? Math.ceil((this.size - this.#bytesDone) / this.#speed) : undefined
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
  }

  received (index: number, peer: string, received: number, delta: number): void {
    this.#received += delta
    this.#windowBytes += delta
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

  /** Folds the bytes of the elapsed window into the speed average. */
  tick (now: number): void {
    const elapsed = now - this.#windowStart
    if (elapsed < SPEED_WINDOW_MS) return
    const sample = this.#windowBytes * 1000 / elapsed
    this.#speed = this.#speed === 0 ? sample : this.#speed + SPEED_ALPHA * (sample - this.#speed)
    this.#windowStart = now
    this.#windowBytes = 0
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
