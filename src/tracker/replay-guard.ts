/**
 * Freshness of signed announces. An announce is accepted only if its
 * timestamp is within ±`maxSkewMs` of the tracker's clock and strictly later
 * than the last one accepted for the same peer, so a captured announce can
 * be replayed neither later (stale) nor within the window (not newer).
 *
 * Memory is bounded: a peer's last timestamp only matters while a replay of
 * it could still pass the window check, i.e. until `last + maxSkewMs` is in
 * the past; such entries are dropped as requests arrive (the map is kept in
 * insertion order, which is acceptance order). Beyond `maxKeys` the oldest is
 * dropped: that reopens a replay of that peer's latest message only until it
 * turns stale, and only under a flood of validly signed announces from more
 * addresses than the per-address ceiling lets through in one window.
 */
import { ShoalError } from '../errors.js'

/** Window, bound and clock of a {@link ReplayGuard}. */
export interface ReplayGuardInit {
  readonly maxSkewMs: number
  readonly maxKeys: number
  readonly now?: () => number
}

/** Expired entries dropped per check at most: amortised cleanup, no timer. */
const EXPIRIES_PER_CHECK = 4

/** Per-peer freshness check of announce timestamps. */
export class ReplayGuard {
  readonly #init: ReplayGuardInit
  readonly #now: () => number
  readonly #last = new Map<string, number>()

  constructor (init: ReplayGuardInit) {
    this.#init = init
    this.#now = init.now ?? Date.now
  }

  /** Peers remembered. */
  get size (): number { return this.#last.size }

  /** Seeds a peer's last timestamp (from before a restart). */
  remember (peerId: string, timestamp: number): void {
    if (timestamp > (this.#last.get(peerId) ?? -1)) this.#set(peerId, timestamp)
  }

  /**
   * Accepts `timestamp` for `peerId` and remembers it, or throws
   * `ERR_STALE_MESSAGE` (too old, too far ahead, or not newer than the last).
   */
  accept (peerId: string, timestamp: number): void {
    const now = this.#now()
    this.#expire(now)
    const skew = this.#init.maxSkewMs
    if (Math.abs(timestamp - now) > skew) {
      throw new ShoalError('ERR_STALE_MESSAGE', `announce timestamp is more than ${skew / 1000} s from the tracker's clock`, { trackerTime: now })
    }
    const last = this.#last.get(peerId)
    if (last !== undefined && timestamp <= last) {
      throw new ShoalError('ERR_STALE_MESSAGE', 'announce is not newer than the last one accepted for this peer (a replay?)', { trackerTime: now })
    }
    this.#set(peerId, timestamp)
  }

  #set (peerId: string, timestamp: number): void {
    this.#last.delete(peerId)
    this.#last.set(peerId, timestamp)
    if (this.#last.size > this.#init.maxKeys) {
      const oldest = this.#last.keys().next()
      if (oldest.done !== true) this.#last.delete(oldest.value)
    }
  }

  #expire (now: number): void {
    let n = 0
    for (const [peerId, last] of this.#last) {
      if (n++ >= EXPIRIES_PER_CHECK || last + this.#init.maxSkewMs >= now) return
      this.#last.delete(peerId)
    }
  }
}
