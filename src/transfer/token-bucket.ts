/**
 * A token bucket for byte rates. Takers may go into debt and then wait it
 * out, so concurrent takers share the rate without a queue, and the long-run
 * rate never exceeds `rate`. The clock and the sleep are injectable.
 */
import { ShoalError } from '../errors.js'

/** Burst allowance: this many milliseconds' worth of the rate. */
export const BURST_MS = 250

/** Limits a flow of bytes to `rate` bytes per second (0 = unlimited). */
export class TokenBucket {
  readonly rate: number
  readonly #burst: number
  readonly #now: () => number
  #tokens: number
  #last: number

  constructor (rate: number, now: () => number = () => performance.now()) {
    this.rate = rate
    this.#burst = rate * BURST_MS / 1000
    this.#now = now
    this.#tokens = this.#burst
    this.#last = now()
  }

  /** Spends `bytes`; returns how long (ms) the caller must wait before sending them. */
  reserve (bytes: number): number {
    if (this.rate <= 0) return 0
    this.#refill()
    this.#tokens -= bytes
    return this.#tokens >= 0 ? 0 : -this.#tokens * 1000 / this.rate
  }

  /**
   * Whether the bucket is out of debt now. Pacing requests rather than bytes,
   * a caller spends a whole chunk whenever this holds: a chunk may be larger
   * than the burst, and the debt it leaves keeps the long-run rate.
   */
  ready (): boolean {
    if (this.rate <= 0) return true
    this.#refill()
    return this.#tokens > 0
  }

  /** Whether the bucket holds its whole burst: it is then no different from a new one. */
  get full (): boolean {
    if (this.rate <= 0) return true
    this.#refill()
    return this.#tokens >= this.#burst
  }

  /** Gives back bytes reserved and not used. */
  refund (bytes: number): void {
    if (this.rate > 0) this.#tokens = Math.min(this.#burst, this.#tokens + bytes)
  }

  #refill (): void {
    const now = this.#now()
    // A clock that steps back has not let time pass: never charge for it.
    const elapsed = Math.max(0, now - this.#last)
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.rate / 1000)
    this.#last = now
  }
}

/** Buckets looked up between sweeps of the full ones. */
const PEER_BUCKET_SWEEP_EVERY = 1024

/**
 * One bucket per peer, all at one rate (none when the rate is 0). A peer's
 * bucket lives as long as it holds debt or spent tokens, across chunks and
 * streams, so a peer cannot reset its limit by asking again; once refilled
 * it is forgotten, and the map holds only peers active of late.
 */
export class PeerBuckets {
  readonly rate: number
  readonly #now: (() => number) | undefined
  readonly #buckets = new Map<string, TokenBucket>()
  #sinceSweep = 0

  constructor (rate: number, now?: () => number) {
    this.rate = rate
    this.#now = now
  }

  /** `peer`'s bucket; undefined when there is no per-peer limit. */
  get (peer: string): TokenBucket | undefined {
    if (this.rate <= 0) return undefined
    let bucket = this.#buckets.get(peer)
    if (bucket == null) this.#buckets.set(peer, bucket = new TokenBucket(this.rate, this.#now))
    if (++this.#sinceSweep >= PEER_BUCKET_SWEEP_EVERY) this.#sweep()
    return bucket
  }

  /** Peers whose bucket is remembered. */
  get size (): number { return this.#buckets.size }

  #sweep (): void {
    this.#sinceSweep = 0
    for (const [peer, bucket] of this.#buckets) if (bucket.full) this.#buckets.delete(peer)
  }
}

/** Waits `ms` (no timer for 0), rejecting with ERR_ABORTED on abort. */
export async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(new ShoalError('ERR_ABORTED', 'aborted while rate limited'))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    if (signal?.aborted === true) { onAbort(); return }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
