/**
 * Per-peer byte budgets for outbound data: how many bytes this node may hold
 * for one remote peer at once (read for sending, or queued in a stream's send
 * buffer), over all of that peer's streams and protocols. A peer that stops
 * reading can then pin at most one budget's worth of memory, however many
 * streams it opens; the streams of other peers draw on budgets of their own.
 */
import { ShoalError } from '../errors.js'

/** Default bytes one peer may have outstanding: a few 1 MiB chunks in flight. */
export const DEFAULT_PEER_BUDGET_BYTES = 4 * 1024 * 1024

interface Waiter {
  bytes: number
  grant: () => void
}

/**
 * A byte semaphore for one peer. A request larger than the whole budget is
 * granted once nothing else is held, so an oversized chunk is sent alone
 * rather than never. Waiters are served first-come first-served.
 */
export class PeerBudget {
  readonly limitBytes: number
  #used = 0
  readonly #waiters: Waiter[] = []

  constructor (limitBytes: number) {
    this.limitBytes = limitBytes
  }

  /** Bytes held now. */
  get used (): number { return this.#used }

  /** Takes `bytes` at once if they fit (and nobody waits before us); returns whether it did. */
  tryAcquire (bytes: number): boolean {
    if (this.#waiters.length > 0 || !this.#fits(bytes)) return false
    this.#used += bytes
    return true
  }

  /** Waits until `bytes` fit in the budget, then takes them; give them back with `release`. */
  async acquire (bytes: number, signal?: AbortSignal): Promise<void> {
    if (this.tryAcquire(bytes)) return
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        grant: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }
      }
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter)
        if (i >= 0) this.#waiters.splice(i, 1)
        reject(new ShoalError('ERR_ABORTED', 'wait for the peer\'s send budget aborted'))
        this.#wake() // a large waiter leaving may unblock smaller ones behind it
      }
      if (signal?.aborted === true) { onAbort(); return }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(waiter)
    })
  }

  /** Gives back `bytes` taken earlier. */
  release (bytes: number): void {
    if (bytes <= 0) return
    this.#used = Math.max(0, this.#used - bytes)
    this.#wake()
  }

  #fits (bytes: number): boolean {
    return this.#used === 0 || this.#used + bytes <= this.limitBytes
  }

  #wake (): void {
    while (this.#waiters.length > 0) {
      const first = this.#waiters[0] as Waiter
      if (!this.#fits(first.bytes)) return
      this.#waiters.shift()
      this.#used += first.bytes
      first.grant()
    }
  }
}

/**
 * The budgets of every peer, shared by all protocol handlers of a node. A
 * peer's budget lives while some stream of it holds a lease, so the map holds
 * only peers with streams open.
 */
export class PeerBudgets {
  readonly #limitBytes: number
  readonly #budgets = new Map<string, { budget: PeerBudget, leases: number }>()

  constructor (limitBytes: number = DEFAULT_PEER_BUDGET_BYTES) {
    this.#limitBytes = limitBytes
  }

  /** Peers with a budget in use. */
  get size (): number { return this.#budgets.size }

  /** The budget of `peer`, for one stream; call the returned `done` when the stream ends. */
  lease (peer: string): { budget: PeerBudget, done: () => void } {
    let entry = this.#budgets.get(peer)
    if (entry == null) this.#budgets.set(peer, entry = { budget: new PeerBudget(this.#limitBytes), leases: 0 })
    entry.leases++
    const held = entry
    let done = false
    return {
      budget: held.budget,
      done: () => {
        if (done) return
        done = true
        if (--held.leases === 0 && this.#budgets.get(peer) === held) this.#budgets.delete(peer)
      }
    }
  }
}
