/**
 * Bounds this node's uploads: how many chunks at once, per peer and in total
 * (so one greedy downloader cannot starve the others or the node itself;
 * waiters are served first-come first-served), and how many bytes per second,
 * in total and per peer (token buckets).
 */
import { ShoalError } from '../errors.js'
import { PeerBuckets, TokenBucket, sleep } from './token-bucket.js'

interface Waiter {
  peer: string
  grant: () => void
}

/**
 * Counting semaphore with a per-peer cap and a global cap. It is the chunks
 * server's `UploadGate` (src/protocol/upload-gate.ts), structurally: the
 * protocol side holds a slot until the chunk's bytes have left its buffers.
 */
export class UploadLimiter {
  readonly #perPeer: number
  readonly #total: number
  readonly #active = new Map<string, number>()
  readonly #waiters: Waiter[] = []
  readonly #rate: TokenBucket
  readonly #peerRates: PeerBuckets
  #activeTotal = 0

  /** Rates are bytes per second; 0 (the default) means unlimited. */
  constructor (init: { maxPerPeer: number, maxTotal: number, rateBytesPerSecond?: number, peerRateBytesPerSecond?: number }) {
    this.#perPeer = init.maxPerPeer
    this.#total = init.maxTotal
    this.#rate = new TokenBucket(init.rateBytesPerSecond ?? 0)
    this.#peerRates = new PeerBuckets(init.peerRateBytesPerSecond ?? 0)
  }

  /** Waits until `bytes` may be sent to `peer` under the total and per-peer rate limits. */
  async throttle (peer: string, bytes: number, signal?: AbortSignal): Promise<void> {
    const wait = Math.max(this.#rate.reserve(bytes), this.#peerRates.get(peer)?.reserve(bytes) ?? 0)
    await sleep(wait, signal)
  }

  /** Uploads in progress now. */
  get active (): number { return this.#activeTotal }

  /** Waits for a slot for `peer`; resolves with the function that frees it (call it exactly once). */
  async acquire (peer: string, signal?: AbortSignal): Promise<() => void> {
    if (this.#canGrant(peer)) return this.#grant(peer)
    return await new Promise((resolve, reject) => {
      const waiter: Waiter = {
        peer,
        grant: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve(this.#grant(peer))
        }
      }
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter)
        if (i >= 0) this.#waiters.splice(i, 1)
        reject(new ShoalError('ERR_ABORTED', 'upload slot wait aborted'))
      }
      if (signal?.aborted === true) { onAbort(); return }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(waiter)
    })
  }

  #canGrant (peer: string): boolean {
    return this.#activeTotal < this.#total && (this.#active.get(peer) ?? 0) < this.#perPeer
  }

  #grant (peer: string): () => void {
    this.#activeTotal++
    this.#active.set(peer, (this.#active.get(peer) ?? 0) + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      this.#activeTotal--
      const n = (this.#active.get(peer) ?? 1) - 1
      if (n === 0) this.#active.delete(peer)
      else this.#active.set(peer, n)
      this.#wake()
    }
  }

  #wake (): void {
    for (let i = 0; i < this.#waiters.length;) {
      const w = this.#waiters[i] as Waiter
      if (this.#canGrant(w.peer)) {
        this.#waiters.splice(i, 1)
        w.grant()
      } else {
        i++
      }
    }
  }
}
