/**
 * What the scheduler knows about one source: its measured delivery rate and
 * round-trip time (moving averages), its window of requests in flight, and
 * the trouble it has caused. Pure data plus arithmetic; time is passed in.
 */

/** How much data, in time, we keep requested ahead of each peer's delivery. */
export const PIPELINE_SLACK_MS = 500
/** Rate samples cover at least this long, so one block does not swing the average. */
export const RATE_SAMPLE_MS = 200
/** Weight of a new sample in the moving averages. */
export const EWMA_ALPHA = 0.3
/** Window of a peer we have not measured yet. */
export const INITIAL_WINDOW = 4
/** Even a slow peer gets two requests, so it never idles between chunks. */
export const MIN_WINDOW = 2
/** Corrupt chunks after which a peer is banned for the job. */
export const MAX_BAD_CHUNKS = 3

/** A source's condition: stalled peers get no new work until they deliver again. */
export type PeerState = 'active' | 'stalled' | 'banned'

/** Per-peer measurements and counters. */
export class PeerStats {
  readonly id: string
  state: PeerState = 'active'
  /** Bytes per second, moving average; 0 until measured. */
  rate = 0
  /** Round-trip time in ms, moving average; 0 until measured. */
  rttMs = 0
  /** chunk index → time requested. */
  readonly inFlight = new Map<number, number>()
  bytes = 0
  chunks = 0
  badChunks = 0
  errors = 0
  stalls = 0
  lastDataAt = 0
  #sampleStart = 0
  #sampleBytes = 0

  constructor (id: string) {
    this.id = id
  }

  /** Records bytes received at `now`; updates the rate once a sample is long enough. */
  onData (bytes: number, now: number): void {
    this.bytes += bytes
    this.lastDataAt = now
    this.#sampleBytes += bytes
    const elapsed = now - this.#sampleStart
    if (elapsed >= RATE_SAMPLE_MS) {
      const sample = this.#sampleBytes * 1000 / elapsed
      this.rate = this.rate === 0 ? sample : this.rate + EWMA_ALPHA * (sample - this.rate)
      this.#sampleStart = now
      this.#sampleBytes = 0
    }
    if (this.state === 'stalled') this.state = 'active'
  }

  /** Call when the peer goes from idle to busy, so idle time is not counted as slowness. */
  startSample (now: number): void {
    this.#sampleStart = now
    this.#sampleBytes = 0
    this.lastDataAt = Math.max(this.lastDataAt, now)
  }

  /** Feeds a round-trip measurement (ping). */
  onRtt (ms: number): void {
    this.rttMs = this.rttMs === 0 ? ms : this.rttMs + EWMA_ALPHA * (ms - this.rttMs)
  }

  /**
   * How many requests to keep in flight: enough to cover the peer's
   * bandwidth × (RTT + slack), halved per unresolved failure.
   */
  window (chunkSize: number, maxRequests: number): number {
    if (this.state !== 'active') return 0
    let n = this.rate === 0
      ? INITIAL_WINDOW
      : Math.ceil(this.rate * (this.rttMs + PIPELINE_SLACK_MS) / 1000 / chunkSize)
    n = Math.max(MIN_WINDOW, Math.min(maxRequests, n))
    const penalty = Math.min(this.errors + this.badChunks, 4)
    return Math.max(1, n >> penalty)
  }
}
