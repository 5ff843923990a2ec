/**
 * The downloader's side of the direct TLS path: ask the peer for a ticket
 * over libp2p, connect to the address of that libp2p connection at the
 * offered port, check that the server's certificate is bound to the peer
 * we asked (before sending it anything: an impostor gets neither the ticket
 * nor a request), present our certificate and the ticket, and wait for the
 * welcome. The whole attempt is bounded by DIRECT_CONNECT_TIMEOUT_MS; any
 * failure throws a coded error, and the caller uses the libp2p stream instead.
 */
import tls from 'node:tls'
import { isIP } from 'node:net'
import { DirectHello, DirectWelcome } from './pb/direct.js'
import { DIRECT_ALPN, DIRECT_CONNECT_TIMEOUT_MS } from './constants.js'
import { verifiedRemotePeer, type DirectCertificate } from './identity.js'
import { readHandshakeFrame, writeHandshakeFrame } from './handshake.js'
import { requestTicket } from './offer.js'
import { SocketStream } from './socket-stream.js'
import { ShoalError } from '../../errors.js'
import { logger } from '../../util/log.js'
import type { Connection, PeerId } from '@libp2p/interface'

const log = logger('direct')

/** Options of one attempt. */
export interface DirectDialOptions {
  signal?: AbortSignal
  /** Bound on the attempt (ticket, connect, handshake); default DIRECT_CONNECT_TIMEOUT_MS. */
  timeoutMs?: number
}

/**
 * The IP address to dial for the direct path to the peer on `connection`:
 * the one the libp2p connection reached, so NAT-free LAN and loopback work
 * whatever host the peer listens on. Undefined for a relayed (limited)
 * connection or a non-IP transport: no direct path there.
 */
export function directHost (connection: Connection): string | undefined {
  if (connection.limits != null) return undefined
  const components = connection.remoteAddr.getComponents()
  if (components.some(c => c.name === 'p2p-circuit')) return undefined
  const ip = components.find(c => c.name === 'ip4' || c.name === 'ip6')?.value
  return ip != null && isIP(ip) !== 0 ? ip : undefined
}

/** Opens a direct TLS chunk stream to `peer`, over which `ChunkChannel.over` then runs. */
export async function dialDirect (connection: Connection, certificate: DirectCertificate, options: DirectDialOptions = {}): Promise<SocketStream> {
  const peer = connection.remotePeer
  const host = directHost(connection)
  if (host == null) throw new ShoalError('ERR_PEER_UNREACHABLE', `no direct path over ${connection.remoteAddr.toString()}`, { peer: peer.toString() })
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DIRECT_CONNECT_TIMEOUT_MS)
  const signal = options.signal == null ? timeout : AbortSignal.any([options.signal, timeout])
  const offer = await requestTicket(connection, peer, { signal })
  return await connectDirect({ host, port: offer.port, peer, certificate, ticket: offer.ticket }, signal)
}

/** Where and as whom to connect with a ticket. */
export interface DirectTarget {
  host: string
  port: number
  /** Whom the server's certificate must name. */
  peer: PeerId
  /** Ours, presented to the server. */
  certificate: DirectCertificate
  ticket: Uint8Array
}

/**
 * Connects to a direct server with a ticket in hand: TLS, the server's
 * identity checked before anything is sent, the hello, the welcome.
 */
export async function connectDirect (target: DirectTarget, signal: AbortSignal): Promise<SocketStream> {
  const socket = await connectTls(target.host, target.port, target.certificate, signal)
  try {
    await verifiedRemotePeer(socket, target.peer)
    writeHandshakeFrame(socket, DirectHello.encode({ ticket: target.ticket as Uint8Array<ArrayBuffer> }))
    DirectWelcome.decode(await readHandshakeFrame(socket, signal))
  } catch (err) {
    socket.destroy()
    throw err
  }
  return new SocketStream(socket)
}

/** Connects and completes TLS (our certificate presented); rejects on error, close or `signal`. */
async function connectTls (host: string, port: number, certificate: DirectCertificate, signal: AbortSignal): Promise<tls.TLSSocket> {
  signal.throwIfAborted()
  return await new Promise<tls.TLSSocket>((resolve, reject) => {
    // Not half-open: when the server ends its side (done, or gone), ours
    // ends too and the channel closes, its pending requests handed back.
    const socket = tls.connect({
      host,
      port,
      cert: certificate.cert,
      key: certificate.key,
      minVersion: 'TLSv1.3',
      // The certificate is self-signed (libp2p TLS); verifiedRemotePeer checks it.
      rejectUnauthorized: false,
      ALPNProtocols: [DIRECT_ALPN]
    })
    // For the socket's whole life, not only the handshake: a reset while the
    // welcome is read, before the SocketStream listens, would otherwise be
    // thrown as an unhandled 'error' and end the process.
    socket.on('error', (err) => { log('direct socket to %s:%d: %s', host, port, err.message) })
    const cleanup = (): void => {
      socket.off('secureConnect', onSecure)
      socket.off('error', onError)
      socket.off('close', onClose)
      signal.removeEventListener('abort', onAbort)
    }
    const fail = (err: Error): void => { cleanup(); socket.destroy(); reject(err) }
    const onSecure = (): void => { cleanup(); resolve(socket) }
    const onError = (err: Error): void => { fail(new ShoalError('ERR_PEER_UNREACHABLE', `direct connect to ${host}:${port} failed: ${err.message}`, { host, port }, { cause: err })) }
    const onClose = (): void => { fail(new ShoalError('ERR_PEER_UNREACHABLE', `direct connect to ${host}:${port}: closed during the handshake`, { host, port })) }
    const onAbort = (): void => { fail(new ShoalError('ERR_TIMEOUT', `direct connect to ${host}:${port} took too long`, { host, port }, { cause: signal.reason })) }
    socket.once('secureConnect', onSecure)
    socket.once('error', onError)
    socket.once('close', onClose)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
