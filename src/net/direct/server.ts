/**
 * The direct TLS server: a `node:tls` listener that serves the chunk
 * protocol to peers holding a ticket. A socket gets nothing until all of
 * this holds, in order:
 *
 * 1. TLS 1.3 completes with a client certificate, and the certificate is a
 *    valid libp2p one (identity.ts): the client holds that peer ID's key;
 * 2. within HELLO_TIMEOUT_MS of connecting, it presents a ticket (hello)
 *    that this node issued to that same peer ID over a libp2p stream, less
 *    than TICKET_TTL_MS ago, and that nobody presented before (tickets.ts);
 * 3. the peer is under its cap of chunks streams, counted together with its
 *    libp2p chunks streams (PeerStreamLimits).
 *
 * Then the server answers with a welcome frame and serves the chunk protocol
 * on the socket through `serveChunks`, with the node's upload gate, per-peer
 * budgets, backpressure and stall timeout, exactly as on a libp2p stream.
 * Anything else closes the socket without a byte of application data.
 * Sockets not yet through step 2 are capped (MAX_UNAUTHENTICATED_SOCKETS).
 */
import tls from 'node:tls'
import { once } from 'node:events'
import { DirectHello, DirectWelcome } from './pb/direct.js'
import { DIRECT_ALPN, HELLO_TIMEOUT_MS, MAX_UNAUTHENTICATED_SOCKETS } from './constants.js'
import { verifiedRemotePeer, type DirectCertificate } from './identity.js'
import { readHandshakeFrame, writeHandshakeFrame } from './handshake.js'
import { SocketStream } from './socket-stream.js'
import { serveChunks, type UploadServices } from '../../protocol/chunks-server.js'
import { CHUNKS_PROTOCOL } from '../../protocol/constants.js'
import { ShoalError } from '../../errors.js'
import { logger } from '../../util/log.js'
import type { TicketBook } from './tickets.js'
import type { FileProvider } from '../../protocol/served-file.js'
import type { PeerStreamLimits } from '../../protocol/stream-limits.js'
import type { Socket } from 'node:net'

const log = logger('direct')

/** What the direct server needs. */
export interface DirectServerInit {
  certificate: DirectCertificate
  /** Host to listen on (the node's TCP listen host). */
  host: string
  /** Port to listen on; 0 for any free one. */
  port: number
  /** Tickets handed out by the offer handler (offer.ts). */
  tickets: TicketBook
  provider: FileProvider
  uploads: UploadServices
  /** The node's per-peer stream caps, shared with its libp2p handlers. */
  streams: PeerStreamLimits
}

/** Counters, for tests and stats. */
export interface DirectServerStats {
  /** Sockets that reached the chunk protocol. */
  accepted: number
  /** Sockets closed before it: bad or missing certificate, ticket, or over a cap. */
  refused: number
}

/** Listens for direct TLS sockets and serves chunks on those that present a ticket. */
export class DirectServer {
  readonly #init: DirectServerInit
  readonly #server: tls.Server
  readonly #sockets = new Set<Socket>()
  /** Sockets not yet past their ticket, by remote address and port (the raw and the TLS socket share them). */
  readonly #unauthenticated = new Map<string, () => void>()
  #port = 0
  readonly #stats: DirectServerStats = { accepted: 0, refused: 0 }

  constructor (init: DirectServerInit) {
    this.#init = init
    this.#server = tls.createServer({
      cert: init.certificate.cert,
      key: init.certificate.key,
      minVersion: 'TLSv1.3',
      // Every client must present a certificate; it is self-signed (libp2p
      // TLS), so it is checked by verifiedRemotePeer, not against a CA.
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: [DIRECT_ALPN],
      handshakeTimeout: HELLO_TIMEOUT_MS,
      allowHalfOpen: true
    }, (socket) => {
      // A peer may reset the socket at any point; without a listener the
      // 'error' would be thrown and end the process. Its 'close' ends the rest.
      socket.on('error', (err) => { log('direct socket from %s: %s', socket.remoteAddress, err.message) })
      void this.#onSecure(socket)
    })
    this.#server.on('connection', (socket: Socket) => { this.#onConnection(socket) })
    this.#server.on('tlsClientError', (err) => { log('TLS handshake failed: %s', err.message) })
  }

  /** The port it listens on (after `start`). */
  get port (): number { return this.#port }
  get host (): string { return this.#init.host }
  get stats (): Readonly<DirectServerStats> { return this.#stats }

  /** Starts listening; resolves with the port. */
  async start (): Promise<number> {
    this.#server.listen(this.#init.port, this.#init.host)
    await once(this.#server, 'listening')
    this.#port = (this.#server.address() as { port: number }).port
    log('direct server on %s:%d', this.#init.host, this.#port)
    return this.#port
  }

  /** Stops listening and closes every socket; idempotent. */
  async stop (): Promise<void> {
    if (!this.#server.listening) return
    const closed = new Promise<void>((resolve) => { this.#server.close(() => { resolve() }) })
    for (const socket of this.#sockets) socket.destroy()
    await closed
  }

  #onConnection (socket: Socket): void {
    this.#sockets.add(socket)
    socket.once('close', () => { this.#sockets.delete(socket) })
    if (this.#unauthenticated.size >= MAX_UNAUTHENTICATED_SOCKETS) {
      log('refused a socket from %s: %d not yet authenticated', socket.remoteAddress, this.#unauthenticated.size)
      this.#stats.refused++
      socket.destroy()
      return
    }
    const key = remoteKey(socket)
    const uncount = (): void => { if (this.#unauthenticated.get(key) === uncount) this.#unauthenticated.delete(key) }
    this.#unauthenticated.set(key, uncount)
    socket.once('close', uncount)
  }

  async #onSecure (socket: tls.TLSSocket): Promise<void> {
    // The deadline runs from the TCP connect; handshakeTimeout covered TLS itself.
    const deadline = AbortSignal.timeout(HELLO_TIMEOUT_MS)
    let peer: string
    let uncount: (() => void) | undefined
    try {
      peer = (await verifiedRemotePeer(socket)).toString()
      const hello = DirectHello.decode(await readHandshakeFrame(socket, deadline))
      const refusal = this.#init.tickets.redeem(hello.ticket, peer)
      if (refusal !== undefined) throw new ShoalError('ERR_UNAUTHORIZED', `ticket refused (${refusal}) for ${peer}`, { peer, refusal })
      uncount = this.#init.streams.tryOpen(CHUNKS_PROTOCOL, peer)
      if (uncount == null) throw new ShoalError('ERR_TOO_MANY_STREAMS', `${peer} has too many chunks streams open`, { peer })
    } catch (err) {
      log('refused a direct socket from %s: %s', socket.remoteAddress, (err as Error).message)
      this.#stats.refused++
      socket.destroy()
      return
    }
    // From here on, in this tick: the SocketStream's reader replaces the handshake's.
    this.#unauthenticated.get(remoteKey(socket))?.()
    this.#stats.accepted++
    const stream = new SocketStream(socket)
    stream.addEventListener('close', uncount, { once: true })
    try {
      writeHandshakeFrame(socket, DirectWelcome.encode({}))
      await serveChunks(stream, peer, this.#init.provider, this.#init.uploads)
    } catch (err) {
      log.error('direct chunk session with %s failed: %s', peer, err)
      stream.abort(err as Error)
    }
  }
}

function remoteKey (socket: Socket): string {
  return `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`
}
