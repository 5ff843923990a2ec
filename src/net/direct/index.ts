/**
 * The direct TLS data path (issue 13, DESIGN.md "bulk data path"). Control
 * stays on libp2p; chunk bytes may move over a plain `node:tls` socket
 * between the two nodes, where they go socket → OpenSSL → Shoal without
 * libp2p's JavaScript TLS wrapper and yamux, which cost ~2× a raw TLS socket
 * per byte.
 *
 * It is exactly as safe as the libp2p path:
 * - both ends are authenticated by their libp2p identities: certificates
 *   bound to peer IDs as in the libp2p TLS spec (identity.ts, @libp2p/tls's
 *   own code), mutual, each side checking the peer ID it expects;
 * - only a peer already allowed on a libp2p connection gets in: the socket
 *   must present a one-time ticket bound to its peer ID, handed out on a
 *   libp2p stream (offer.ts, tickets.ts), so a private swarm stays private
 *   and a stranger who finds the port gets nothing;
 * - the chunk protocol on it is the same code with the same per-peer
 *   accounting: upload slots, budgets, stream caps, backpressure and the
 *   stall timeout (server.ts, socket-stream.ts).
 *
 * When the path cannot be made (a relay, NAT, firewall, an older peer), the
 * attempt fails within one bounded connect (DIRECT_CONNECT_TIMEOUT_MS) and
 * the caller uses the libp2p stream; `DirectPath.dial` tries once per libp2p
 * connection.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { DIRECT_PROTOCOL } from './constants.js'
import { createDirectCertificate, type DirectCertificate } from './identity.js'
import { handleDirectStream } from './offer.js'
import { dialDirect } from './dial.js'
import { DirectServer, type DirectServerStats } from './server.js'
import { TicketBook } from './tickets.js'
import { MAX_INBOUND_STREAMS } from '../../protocol/constants.js'
import { logger } from '../../util/log.js'
import type { SocketStream } from './socket-stream.js'
import type { UploadServices } from '../../protocol/chunks-server.js'
import type { FileProvider } from '../../protocol/served-file.js'
import type { PeerStreamLimits } from '../../protocol/stream-limits.js'
import type { Connection, Libp2p, PeerId, PrivateKey } from '@libp2p/interface'

export { DIRECT_PROTOCOL, DIRECT_CONNECT_TIMEOUT_MS } from './constants.js'
export type { SocketStream } from './socket-stream.js'

const log = logger('direct')

/** What the direct path needs from the node. */
export interface DirectPathInit {
  libp2p: Libp2p
  /** The node's libp2p key, which its certificate is bound to. */
  privateKey: PrivateKey
  /** Host and port the TLS server listens on (port 0: any free one). */
  host: string
  port: number
  provider: FileProvider
  uploads: UploadServices
  /** The node's per-peer stream caps, shared with its libp2p protocol handlers. */
  streams: PeerStreamLimits
}

/** The direct path once up: our certificate, the running server and its tickets. */
interface Ready {
  certificate: DirectCertificate
  server: DirectServer
  tickets: TicketBook
}

/**
 * The node's direct TLS path: the server and ticket protocol, and the client
 * side's dials. It comes up in the background (making the certificate takes
 * tens of ms, which a `shoal get` should not wait for at start): until then,
 * and if it fails to, peers are offered no ticket and dials return nothing,
 * so everything goes over libp2p.
 */
export class DirectPath {
  readonly #init: DirectPathInit
  #ready: Promise<Ready | undefined> | undefined
  #server: DirectServer | undefined
  /** libp2p connections a direct path failed on: not tried again while they last. */
  readonly #failed = new WeakSet<Connection>()

  constructor (init: DirectPathInit) {
    this.#init = init
  }

  /** The server's port (0 until it is up). */
  get port (): number { return this.#server?.port ?? 0 }
  get stats (): Readonly<DirectServerStats> { return this.#server?.stats ?? { accepted: 0, refused: 0 } }

  /** Resolves once the path is up, or known not to come up (then it says so in the log). */
  async ready (): Promise<boolean> { return (await this.#ready) != null }

  /**
   * Registers the ticket protocol and starts bringing the server up in the
   * background (`ready()` tells when). Idempotent.
   */
  async start (): Promise<void> {
    if (this.#ready != null) return
    const ready = this.#ready = this.#bringUp().catch((err: unknown) => {
      log.error('the direct TLS path did not start, chunks go over libp2p only: %s', err)
      return undefined
    })
    const { libp2p, streams, host } = this.#init
    await libp2p.handle(DIRECT_PROTOCOL, streams.guard(DIRECT_PROTOCOL, async (stream, connection) => {
      const up = await ready
      await handleDirectStream(stream, connection, up == null ? undefined : { host, port: up.server.port, tickets: up.tickets })
    }), { maxInboundStreams: MAX_INBOUND_STREAMS, maxOutboundStreams: MAX_INBOUND_STREAMS })
  }

  async #bringUp (): Promise<Ready> {
    const init = this.#init
    const certificate = await createDirectCertificate(init.privateKey)
    const tickets = new TicketBook()
    const server = new DirectServer({ certificate, host: init.host, port: init.port, tickets, provider: init.provider, uploads: init.uploads, streams: init.streams })
    await server.start()
    this.#server = server
    return { certificate, server, tickets }
  }

  /** Unregisters the protocol and closes the server and its sockets; idempotent. */
  async stop (): Promise<void> {
    const ready = this.#ready
    if (ready == null) return
    this.#ready = undefined
    await this.#init.libp2p.unhandle(DIRECT_PROTOCOL)
    await (await ready)?.server.stop()
    this.#server = undefined
  }

  /**
   * A direct chunk stream to `peer` over its current libp2p connection, or
   * undefined when there is none to be had (not up, no connection, the path
   * failed on this connection before, or it fails now: logged, and
   * remembered). Never throws; never waits longer than one bounded attempt.
   */
  async dial (peer: PeerId, options: { signal?: AbortSignal } = {}): Promise<SocketStream | undefined> {
    const up = await this.#ready
    const connection = this.#init.libp2p.getConnections(peer).find(c => c.status === 'open' && !this.#failed.has(c))
    if (up == null || connection == null) return undefined
    try {
      return await dialDirect(connection, up.certificate, options)
    } catch (err) {
      if (options.signal?.aborted !== true) this.#failed.add(connection)
      log('no direct path to %s, using libp2p: %s', peer.toString(), (err as Error).message)
      return undefined
    }
  }
}

/**
 * The host the direct server listens on: that of the node's first TCP listen
 * address (`/ip4/0.0.0.0/tcp/0` → `0.0.0.0`), or undefined when it has none
 * (then there is no direct path).
 */
export function directListenHost (listen: readonly string[]): string | undefined {
  for (const addr of listen) {
    const components = multiaddr(addr).getComponents()
    const ip = components.find(c => c.name === 'ip4' || c.name === 'ip6')?.value
    if (ip != null && components.some(c => c.name === 'tcp')) return ip
  }
  return undefined
}
