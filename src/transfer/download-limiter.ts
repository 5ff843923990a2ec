/**
 * The node's download rate limits, in total and per peer. Downloads are
 * paced at the request: a chunk is asked for only while both buckets are out
 * of debt, and its bytes are spent up front. What arrives can never outrun
 * what was asked for, so the long-run rate holds without throttling sockets,
 * and a limited peer's unrequested chunks stay free for the others.
 */
import { PeerBuckets, TokenBucket } from './token-bucket.js'

/** Total and per-peer download limits shared by a node's downloads. */
export class DownloadLimiter {
  readonly #total: TokenBucket
  readonly #peers: PeerBuckets

  /** Rates are bytes per second; 0 means unlimited. The clock is injectable for tests. */
  constructor (init: { rateBytesPerSecond: number, peerRateBytesPerSecond: number, now?: () => number }) {
    this.#total = new TokenBucket(init.rateBytesPerSecond, init.now)
    this.#peers = new PeerBuckets(init.peerRateBytesPerSecond, init.now)
  }

  /** Whether any limit is set (if not, `grant` always grants all). */
  get limited (): boolean { return this.#total.rate > 0 || this.#peers.rate > 0 }

  /** How many of `wanted` requests of `chunkBytes` each may go to `peer` now; their bytes are spent. */
  grant (peer: string, wanted: number, chunkBytes: number): number {
    if (!this.limited) return wanted
    const bucket = this.#peers.get(peer)
    let n = 0
    while (n < wanted && this.#total.ready() && (bucket?.ready() ?? true)) {
      this.#total.reserve(chunkBytes)
      bucket?.reserve(chunkBytes)
      n++
    }
    return n
  }

  /** Gives back the bytes of granted requests that were not made. */
  refund (peer: string, requests: number, chunkBytes: number): void {
    if (requests <= 0 || !this.limited) return
    this.#total.refund(requests * chunkBytes)
    this.#peers.get(peer)?.refund(requests * chunkBytes)
  }
}
