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

/** The node's direct TLS path: the server and ticket protocol, and the client side's dials. */
export class DirectPath {
  readonly #init: DirectPathInit
  #certificate: DirectCertificate | undefined
  #server: DirectServer | undefined
  /** libp2p connections a direct path failed on: not tried again while they last. */
  readonly #failed = new WeakSet<Connection>()

  constructor (init: DirectPathInit) {
    this.#init = init
  }

  /** The server's port (0 before start). */
  get port (): number { return this.#server?.port ?? 0 }
  get stats (): Readonly<DirectServerStats> { return this.#server?.stats ?? { accepted: 0, refused: 0 } }

  /** Makes the certificate, starts the server and registers the ticket protocol; a failed start rolls back. */
  async start (): Promise<void> {
    if (this.#server != null) return
    const init = this.#init
    const certificate = this.#certificate = await createDirectCertificate(init.privateKey)
    const tickets = new TicketBook()
    const server = new DirectServer({ certificate, host: init.host, port: init.port, tickets, provider: init.provider, uploads: init.uploads, streams: init.streams })
    await server.start()
    try {
      await init.libp2p.handle(DIRECT_PROTOCOL, init.streams.guard(DIRECT_PROTOCOL, async (stream, connection) => {
        await handleDirectStream(stream, connection, { host: init.host, port: server.port, tickets })
      }), { maxInboundStreams: MAX_INBOUND_STREAMS, maxOutboundStreams: MAX_INBOUND_STREAMS })
    } catch (err) {
      await server.stop()
      throw err
    }
    this.#server = server
  }

  /** Unregisters the protocol and closes the server and its sockets; idempotent. */
  async stop (): Promise<void> {
    const server = this.#server
    if (server == null) return
    this.#server = undefined
    await this.#init.libp2p.unhandle(DIRECT_PROTOCOL)
    await server.stop()
  }

  /**
   * A direct chunk stream to `peer` over its current libp2p connection, or
   * undefined when there is none to be had (no connection, the path failed
   * on this connection before, or it fails now: logged, and remembered).
   * Never throws; never waits longer than one bounded attempt.
   */
  async dial (peer: PeerId, options: { signal?: AbortSignal } = {}): Promise<SocketStream | undefined> {
    const certificate = this.#certificate
    const connection = this.#init.libp2p.getConnections(peer).find(c => c.status === 'open' && !this.#failed.has(c))
    if (certificate == null || connection == null) return undefined
    try {
      return await dialDirect(connection, certificate, options)
    } catch (err) {
      if (options.signal?.aborted !== true) this.#failed.add(connection)
      log('no direct path to %s, using libp2p: %s', peer.toString(), (err as Error).message)
      return undefined
    }
  }
}
