/**
 * Builds the libp2p host every Shoal node runs on: TCP, TLS first then Noise
 * (TLS measured faster here), yamux, identify and ping, plus the discovery
 * the config asks for: Kademlia DHT under Shoal's own protocol id, mDNS,
 * bootstrap peers; a pre-shared key (`@libp2p/pnet`) for a private swarm,
 * and a cap on inbound connections per IP.
 */
import '../polyfill.js'
import { createHash } from 'node:crypto'
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import type { KadDHT } from '@libp2p/kad-dht'
import { loadSwarmKey } from './swarm-key.js'
import { confirmedPreSharedKey } from './psk-protector.js'
import { InboundIpCap } from './inbound-ip-cap.js'
import { logger } from '../util/log.js'
import type { PeerDiscovery, PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** What the factory needs to know; everything else is a Shoal-wide default. */
export interface Libp2pInit {
  privateKey: PrivateKey
  listen: readonly string[]
  announce?: readonly string[]
  maxConnections: number
  /** Most inbound connections from one IP at once; no cap when undefined (benches running 100 nodes on loopback). */
  maxConnectionsPerIp?: number
  /**
   * A swarm key file (kubo's `swarm.key`): when set, every connection is
   * first wrapped in the key's XSalsa20 stream, so only nodes holding the
   * same key get as far as the TLS/Noise handshake.
   */
  swarmKeyFile?: string
  /** Kademlia DHT under this protocol id; off when undefined. */
  dhtProtocol?: string
  /** LAN discovery by mDNS. */
  mdns: boolean
  /** Peers (full multiaddrs with /p2p/) to join the swarm through. */
  bootstrap: readonly string[]
  /**
   * Where libp2p keeps its peer store. Persistent, it carries known peers and
   * the DHT's routing table (kad-dht reloads its tagged peers on start) across
   * restarts, so a node rejoins without its bootstrap peers.
   */
  datastore?: Datastore
}

const log = logger('net')

/** Largest yamux receive window of a stream: below the 4 MiB a paused stream may buffer (above). */
export const YAMUX_MAX_STREAM_WINDOW = 3 * 1024 * 1024

/** mDNS service name: Shoal nodes find each other, not every libp2p app on the LAN. */
export const MDNS_SERVICE_TAG = '_shoal._udp.local'

/**
 * The mDNS service name of a private swarm: `_shoal-<8 hex>._udp.local`, the
 * hex from a hash of the key. Members find only each other on the LAN, so
 * they neither list nor dial nodes of public or other swarms (dials that
 * could only fail), and those never see the members. The hash names the
 * swarm to the LAN without revealing anything of its key; DNS-SD service
 * names stay within 15 characters (RFC 6763 §7.2).
 */
export function mdnsServiceTag (psk?: Uint8Array): string {
  if (psk == null) return MDNS_SERVICE_TAG
  const tag = createHash('sha256').update('shoal mdns service tag\n').update(psk).digest('hex').slice(0, 8)
  return `_shoal-${tag}._udp.local`
}

/** Base services every node runs (a type alias: libp2p's ServiceMap needs an index signature). */
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions
type BaseServices = {
  identify: Identify
  ping: Ping
}

/**
 * The discovery modules, run as named services rather than libp2p's
 * `peerDiscovery` list: libp2p folds that list into one `peer:discovery`
 * event that does not say which module spoke, and `shoal peers` must.
 * libp2p still registers them for discovery (it looks for the
 * peer-discovery symbol on every service).
 */
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions
export type ShoalServices = BaseServices & {
  dht?: KadDHT
  mdns?: PeerDiscovery
  bootstrap?: PeerDiscovery
}

/** Creates (but does not start) a libp2p node. */
export async function createShoalLibp2p (init: Libp2pInit): Promise<Libp2p<ShoalServices>> {
  // Downloads ping each new source for its RTT while libp2p's connection
  // monitor pings every connection; with ping's default of one outbound
  // stream the monitor's ping can be refused, and the monitor then closes
  // the connection, mid-download. Peers accept two inbound pings by default.
  const services: Record<string, unknown> = { identify: identify(), ping: ping({ maxOutboundStreams: 2 }) }
  if (init.dhtProtocol != null) {
    // The default mapper drops private and loopback addresses: right for the
    // public IPFS DHT, wrong for a LAN or a test swarm on one machine.
    const { kadDHT, passthroughMapper } = await import('@libp2p/kad-dht')
    services.dht = kadDHT({ protocol: init.dhtProtocol, clientMode: false, peerInfoMapper: passthroughMapper })
  }
  const key = init.swarmKeyFile == null ? undefined : await loadSwarmKey(init.swarmKeyFile)
  if (key?.warning != null) {
    log.error(key.warning)
    process.emitWarning(key.warning, { code: 'SHOAL_SWARM_KEY_READABLE' })
  }
  if (init.mdns) {
    const { mdns } = await import('@libp2p/mdns')
    services.mdns = mdns({ serviceTag: mdnsServiceTag(key?.psk) })
  }
  if (init.bootstrap.length > 0) {
    const { bootstrap } = await import('@libp2p/bootstrap')
    services.bootstrap = bootstrap({ list: [...init.bootstrap] })
  }
  return await createLibp2p({
    privateKey: init.privateKey,
    datastore: init.datastore,
    start: false,
    addresses: {
      listen: [...init.listen],
      announce: init.announce != null && init.announce.length > 0 ? [...init.announce] : undefined
    },
    transports: [tcp()],
    connectionEncrypters: [tls(), noise()],
    // yamux grows a stream's window (up to 16 MiB by default) from the bytes it
    // receives, not from what the reader took, and a paused stream is aborted
    // once 4 MiB wait in its read buffer: a reader that pauses (the store
    // server waiting for memory) after its window grew would have its stream
    // killed by the sender's in-flight bytes. A window below the read buffer's
    // limit keeps a pause a pause.
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: YAMUX_MAX_STREAM_WINDOW } })],
    connectionProtector: key == null ? undefined : confirmedPreSharedKey(key.psk),
    connectionGater: init.maxConnectionsPerIp == null ? undefined : new InboundIpCap(init.maxConnectionsPerIp),
    // On a saturated uplink a pong waits behind megabytes of chunk data in the
    // socket buffers; libp2p's 5 s floor would close busy, healthy connections.
    // A peer that cannot answer in 20 s is gone; the download's own stall
    // deadline reassigns its requests well before that.
    connectionMonitor: { pingTimeout: { minTimeout: 20_000 } },
    connectionManager: {
      maxConnections: init.maxConnections,
      // Many peers on one host (tests, a LAN box running several nodes) dial
      // at once; libp2p's default of 5 per second per IP resets them.
      inboundConnectionThreshold: 100,
      maxIncomingPendingConnections: 50
    },
    services: services as unknown as Libp2pOptions<ShoalServices>['services']
  })
}
