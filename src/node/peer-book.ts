/**
 * What the node remembers about each peer for `shoal peers`: how it was
 * found (link or flag, inbound, bootstrap, mdns, dht, tracker, or peer
 * exchange) and the bytes exchanged with it, both ways.
 */

/** How a peer came to our attention. */
export type DiscoverySource = 'link' | 'inbound' | 'mdns' | 'dht' | 'tracker' | 'bootstrap' | 'pex'

/** Counters for one peer. */
export interface PeerRecord {
  readonly via: Set<DiscoverySource>
  bytesUp: number
  bytesDown: number
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
      this.#peers.set(peer, r = { via: new Set(), bytesUp: 0, bytesDown: 0 })
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
  downloaded (peer: string, bytes: number): void { this.#get(peer).bytesDown += bytes }
  get (peer: string): PeerRecord | undefined { return this.#peers.get(peer) }
  ids (): string[] { return [...this.#peers.keys()] }
}
