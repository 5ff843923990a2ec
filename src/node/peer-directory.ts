/**
 * The node's view of other peers, for `shoal peers`: who we heard of and how
 * (the peer book), who we are connected to, where the others last listened,
 * and how long a ping takes. It also dials peers that discovery modules
 * (mDNS, bootstrap, the DHT) report, so they can be asked for files.
 * The book outlives a stop: a node started again still counts its traffic.
 */
import { PeerBook, type DiscoverySource } from './peer-book.js'
import { ShoalError } from '../errors.js'
import { logger } from '../util/log.js'
import type { ShoalServices } from '../net/create-libp2p.js'
import type { Libp2p } from '@libp2p/interface'

const log = logger('node')

/** Peers found by mDNS or bootstrap are dialled while we have fewer connections than this. */
export const DISCOVERY_DIAL_MAX_CONNECTIONS = 50
/** Gives up on dialling a discovered peer after this long. */
export const DISCOVERY_DIAL_TIMEOUT_MS = 5_000

/** How long `peers` waits for each ping. */
export const PEER_PING_TIMEOUT_MS = 2_000

/** A peer as `shoal peers` shows it. */
export interface PeerView {
  peerId: string
  connected: boolean
  addrs: string[]
  via: string[]
  latencyMs: number | null
  bytesUp: number
  bytesDown: number
}

/** The networked helpers the directory uses, loaded with the node's networking module. */
type Net = Pick<typeof import('./networking.js'), 'anySignal' | 'peerIdFromString' | 'watchDiscoveryModules'>

/** Peers heard of, with their traffic, and the live host they are looked up on. */
export class PeerDirectory {
  readonly #book = new PeerBook()
  #online: { libp2p: Libp2p<ShoalServices>, net: Net } | undefined

  /** Records how a peer came to our attention. */
  found (peer: { toString: () => string }, via: DiscoverySource): void { this.#book.found(peer.toString(), via) }
  /** Counts bytes we sent a peer. */
  uploaded (peer: string, bytes: number): void { this.#book.uploaded(peer, bytes) }
  /** Counts verified bytes a peer sent us. */
  downloaded (peer: string, bytes: number): void { this.#book.downloaded(peer, bytes) }
  /** Measured sending rates (bytes/s) of peers that sent us data: weighted placement's bandwidths. */
  bandwidths (): Map<string, number> { return this.#book.bandwidths() }

  /**
   * Follows a started host: inbound connections are noted, and peers the
   * discovery modules report are dialled until `lifetime` ends. `detach()`
   * (on stop) lets go of it.
   */
  attach (libp2p: Libp2p<ShoalServices>, net: Net, lifetime: AbortSignal): void {
    this.#online = { libp2p, net }
    libp2p.addEventListener('connection:open', (evt) => {
      if (evt.detail.direction === 'inbound') this.found(evt.detail.remotePeer, 'inbound')
    })
    this.#dialDiscoveredPeers(libp2p, net, lifetime)
  }

  detach (): void { this.#online = undefined }

  /**
   * Discovery modules only report peers; we connect to them, up to a few
   * dozen connections, so they can be asked for files and fill the DHT.
   * kad-dht also reports every connected peer that speaks its protocol,
   * however that peer was found: it is credited only with peers it named
   * to us first.
   */
  #dialDiscoveredPeers (libp2p: Libp2p<ShoalServices>, net: Net, lifetime: AbortSignal): void {
    const self = libp2p.peerId.toString()
    net.watchDiscoveryModules(libp2p, (info, via) => {
      const key = info.id.toString()
      if (key === self) return
      const connected = libp2p.getConnections(info.id).length > 0
      if (via !== 'dht' || (!connected && this.#book.get(key) == null)) this.#book.found(key, via)
      if (connected || libp2p.getConnections().length >= DISCOVERY_DIAL_MAX_CONNECTIONS) return
      libp2p.dial(info.multiaddrs.length > 0 ? info.multiaddrs : info.id, { signal: AbortSignal.any([lifetime, AbortSignal.timeout(DISCOVERY_DIAL_TIMEOUT_MS)]) })
        .catch((err: unknown) => { log('dialling %s found by %s failed: %s', key, via, err) })
    })
  }

  /** Peers we are connected to or have exchanged data with; `signal` ends the pings. */
  async list (signal: AbortSignal): Promise<PeerView[]> {
    const { libp2p, net } = this.#need()
    const connected = new Map<string, string[]>()
    for (const conn of libp2p.getConnections()) {
      const key = conn.remotePeer.toString()
      connected.set(key, [...(connected.get(key) ?? []), conn.remoteAddr.toString()])
    }
    const ids = new Set([...connected.keys(), ...this.#book.ids()])
    return await Promise.all([...ids].map(async (id) => {
      const record = this.#book.get(id)
      const conn = libp2p.getConnections().find(c => c.remotePeer.toString() === id)
      const latencyMs = conn == null
        ? null
        : await libp2p.services.ping.ping(conn.remotePeer, { signal: net.anySignal(signal, PEER_PING_TIMEOUT_MS) }).catch(() => null) // unanswered ping: latency unknown
      return {
        peerId: id,
        connected: connected.has(id),
        addrs: connected.get(id) ?? await this.#knownAddrs(id),
        via: [...(record?.via ?? [])],
        latencyMs,
        bytesUp: record?.bytesUp ?? 0,
        bytesDown: record?.bytesDown ?? 0
      }
    }))
  }

  /** Where a peer we are not connected to was last heard to listen. */
  async #knownAddrs (id: string): Promise<string[]> {
    const { libp2p, net } = this.#need()
    const peer = await libp2p.peerStore.get(net.peerIdFromString(id)).catch(() => undefined) // never heard of: no addresses
    return peer?.addresses.map(a => a.multiaddr.toString()) ?? []
  }

  #need (): { libp2p: Libp2p<ShoalServices>, net: Net } {
    if (this.#online == null) throw new ShoalError('ERR_NODE_NOT_RUNNING', 'the node is not started')
    return this.#online
  }
}
