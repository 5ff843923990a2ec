/**
 * The node's download rate limits, in total and per peer, and a job's own.
 * Downloads are paced at the request: a chunk is asked for only while every
 * bucket that applies is out of debt, and its bytes are spent up front. What
 * arrives can never outrun what was asked for, so the long-run rate holds
 * without throttling sockets, and a limited peer's unrequested chunks stay
 * free for the others.
 */
import { PeerBuckets, TokenBucket } from './token-bucket.js'

/** Total and per-peer download limits shared by a node's downloads; `forJob` adds one job's own. */
export class DownloadLimiter {
  /** Buckets every request clears: the node's total, then (in a job's view) the job's. */
  #totals: TokenBucket[]
  #peers: PeerBuckets
  readonly #now: (() => number) | undefined

  /** Rates are bytes per second; 0 means unlimited. The clock is injectable for tests. */
  constructor (init: { rateBytesPerSecond: number, peerRateBytesPerSecond: number, now?: () => number }) {
    this.#now = init.now
    this.#totals = [new TokenBucket(init.rateBytesPerSecond, init.now)].filter(b => b.rate > 0)
    this.#peers = new PeerBuckets(init.peerRateBytesPerSecond, init.now)
  }

  /**
   * A view for one download with its own limit of `rateBytesPerSecond` (0 =
   * none) on top of the node's: it shares the node's buckets, so the node's
   * total still holds over all jobs, and the job's holds over all its peers.
   */
  forJob (rateBytesPerSecond: number): DownloadLimiter {
    if (rateBytesPerSecond <= 0) return this
    const view = new DownloadLimiter({ rateBytesPerSecond: 0, peerRateBytesPerSecond: 0, now: this.#now })
    view.#totals = [...this.#totals, new TokenBucket(rateBytesPerSecond, this.#now)]
    view.#peers = this.#peers
    return view
  }

  /** Whether any limit is set (if not, `grant` always grants all). */
  get limited (): boolean { return this.#totals.length > 0 || this.#peers.rate > 0 }

  /** How many of `wanted` requests of `chunkBytes` each may go to `peer` now; their bytes are spent. */
  grant (peer: string, wanted: number, chunkBytes: number): number {
    if (!this.limited) return wanted
    const bucket = this.#peers.get(peer)
    const totals = this.#totals
    let n = 0
    while (n < wanted && totals.every(b => b.ready()) && (bucket?.ready() ?? true)) {
      for (const b of totals) b.reserve(chunkBytes)
      bucket?.reserve(chunkBytes)
      n++
    }
    return n
  }

  /** Gives back the bytes of granted requests that were not made. */
  refund (peer: string, requests: number, chunkBytes: number): void {
    if (requests <= 0 || !this.limited) return
    for (const b of this.#totals) b.refund(requests * chunkBytes)
    this.#peers.get(peer)?.refund(requests * chunkBytes)
  }
}
