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

/** Per-peer discovery sources and traffic counters. */
export class PeerBook {
  readonly #peers = new Map<string, PeerRecord>()

  #get (peer: string): PeerRecord {
    let r = this.#peers.get(peer)
    if (r == null) this.#peers.set(peer, r = { via: new Set(), bytesUp: 0, bytesDown: 0 })
    return r
  }

  found (peer: string, via: DiscoverySource): void { this.#get(peer).via.add(via) }
  uploaded (peer: string, bytes: number): void { this.#get(peer).bytesUp += bytes }
  downloaded (peer: string, bytes: number): void { this.#get(peer).bytesDown += bytes }
  get (peer: string): PeerRecord | undefined { return this.#peers.get(peer) }
  ids (): string[] { return [...this.#peers.keys()] }
}
