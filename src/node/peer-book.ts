/**
 * What the node remembers about each peer for `shoal peers`: how it was
 * found (link or flag, inbound, bootstrap, mdns, dht, tracker, or peer
 * exchange) and the bytes exchanged with it, both ways; and the fastest it
 * has been seen sending to us (over a RateMeter window), the measured
 * bandwidth weighted placement uses.
 */
import { RateMeter } from '../transfer/rate-meter.js'

/** How a peer came to our attention. */
export type DiscoverySource = 'link' | 'inbound' | 'mdns' | 'dht' | 'tracker' | 'bootstrap' | 'pex'

/** Counters for one peer. */
export interface PeerRecord {
  readonly via: Set<DiscoverySource>
  bytesUp: number
  bytesDown: number
  /** Fastest rate this peer sent us at, bytes/s over a RateMeter window (0: never measured). */
  peakDownRate: number
  downMeter?: RateMeter
}

/**
 * Peers remembered at most. A DHT names many peers in passing; past this,
 * the longest-known peer never exchanged a byte with is forgotten.
 */
export const MAX_REMEMBERED_PEERS = 2048

/** Per-peer discovery sources and traffic counters. */
export class PeerBook {
  readonly #peers = new Map<string, PeerRecord>()
  readonly #limit: number

  constructor (limit = MAX_REMEMBERED_PEERS) {
    this.#limit = limit
  }

  #get (peer: string): PeerRecord {
    let r = this.#peers.get(peer)
    if (r == null) {
      if (this.#peers.size >= this.#limit) this.#forgetOne()
      this.#peers.set(peer, r = { via: new Set(), bytesUp: 0, bytesDown: 0, peakDownRate: 0 })
    }
    return r
  }

  #forgetOne (): void {
    for (const [peer, r] of this.#peers) {
      if (r.bytesUp === 0 && r.bytesDown === 0) { this.#peers.delete(peer); return }
    }
  }

  found (peer: string, via: DiscoverySource): void { this.#get(peer).via.add(via) }
  uploaded (peer: string, bytes: number): void { this.#get(peer).bytesUp += bytes }
  downloaded (peer: string, bytes: number, now = Date.now()): void {
    const r = this.#get(peer)
    r.bytesDown += bytes
    r.downMeter ??= new RateMeter(now)
    r.downMeter.add(bytes, now)
    r.peakDownRate = Math.max(r.peakDownRate, r.downMeter.rate(now))
  }

  /** Measured sending rates (bytes/s) of the peers that have sent us data. */
  bandwidths (): Map<string, number> {
    return new Map([...this.#peers].filter(([, r]) => r.peakDownRate > 0).map(([peer, r]) => [peer, r.peakDownRate]))
  }

  get (peer: string): PeerRecord | undefined { return this.#peers.get(peer) }
  ids (): string[] { return [...this.#peers.keys()] }
}
