/**
 * The node's download rate limits, in total and per peer. Downloads are
 * paced at the request: a chunk is asked for only while both buckets are out
 * of debt, and its bytes are spent up front. What arrives can never outrun
 * what was asked for, so the long-run rate holds without throttling sockets,
 * and a limited peer's unrequested chunks stay free for the others.
 */
import { TokenBucket } from './token-bucket.js'

/** Total and per-peer download limits shared by a node's downloads. */
export class DownloadLimiter {
  readonly #total: TokenBucket
  readonly #peerRate: number
  readonly #peers = new Map<string, TokenBucket>()
  readonly #now: (() => number) | undefined

  /** Rates are bytes per second; 0 means unlimited. The clock is injectable for tests. */
  constructor (init: { rateBytesPerSecond: number, peerRateBytesPerSecond: number, now?: () => number }) {
    this.#now = init.now
    this.#total = new TokenBucket(init.rateBytesPerSecond, init.now)
    this.#peerRate = init.peerRateBytesPerSecond
  }

  /** Whether any limit is set (if not, `grant` always grants all). */
  get limited (): boolean { return this.#total.rate > 0 || this.#peerRate > 0 }

  /** How many of `wanted` requests of `chunkBytes` each may go to `peer` now; their bytes are spent. */
  grant (peer: string, wanted: number, chunkBytes: number): number {
    if (!this.limited) return wanted
    const bucket = this.#bucket(peer)
    let n = 0
    while (n < wanted && this.#total.ready() && bucket.ready()) {
      this.#total.reserve(chunkBytes)
      bucket.reserve(chunkBytes)
      n++
    }
    return n
  }

  /** Gives back the bytes of granted requests that were not made. */
  refund (peer: string, requests: number, chunkBytes: number): void {
    if (requests <= 0 || !this.limited) return
    this.#total.refund(requests * chunkBytes)
    this.#bucket(peer).refund(requests * chunkBytes)
  }

  #bucket (peer: string): TokenBucket {
    let bucket = this.#peers.get(peer)
    if (bucket == null) this.#peers.set(peer, bucket = new TokenBucket(this.#peerRate, this.#now))
    return bucket
  }
}
