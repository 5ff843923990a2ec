/**
 * /shoal/direct/1.0.0 — how a downloader gets a ticket for the direct TLS
 * path: one request, one answer, on a libp2p stream. Only a peer that holds
 * a libp2p connection to us (past the private swarm's pnet and the
 * connection gater) can open the stream, so only such a peer holds a ticket,
 * and the ticket is bound to the peer ID that connection authenticated.
 */
import { pbStream } from '@libp2p/utils'
import { DirectOffer, DirectRequest } from './pb/direct.js'
import { DIRECT_PROTOCOL, MAX_HANDSHAKE_FRAME_BYTES, OFFER_TIMEOUT_MS } from './constants.js'
import { asProtocolError } from '../../protocol/framing.js'
import { anySignal } from '../../protocol/manifest.js'
import { closeStream } from '../../protocol/close-stream.js'
import { ShoalError } from '../../errors.js'
import type { TicketBook } from './tickets.js'
import type { Connection, PeerId, Stream } from '@libp2p/interface'

/** Where tickets come from and what they open (a running DirectServer and its book). */
export interface TicketIssuer {
  readonly host: string
  readonly port: number
  readonly tickets: TicketBook
}

/** A ticket and where to use it, with the libp2p connection it came over (whose address the downloader dials). */
export interface TicketOffer {
  connection: Connection
  host: string
  port: number
  ticket: Uint8Array
}

/** Answers one ticket request on an inbound stream; without an issuer (no server up), UNAVAILABLE. */
export async function handleDirectStream (stream: Stream, connection: Connection, issuer: TicketIssuer | undefined): Promise<void> {
  const signal = AbortSignal.timeout(OFFER_TIMEOUT_MS)
  try {
    const pb = pbStream(stream, { maxDataLength: MAX_HANDSHAKE_FRAME_BYTES })
    await pb.read(DirectRequest, { signal })
    const ticket = issuer?.tickets.issue(connection.remotePeer.toString())
    await pb.write(issuer == null || ticket == null
      ? { status: DirectOffer.Status.UNAVAILABLE, host: '', port: 0, ticket: new Uint8Array(0) }
      : { status: DirectOffer.Status.OK, host: issuer.host, port: issuer.port, ticket: ticket as Uint8Array<ArrayBuffer> },
    DirectOffer, { signal })
    await stream.close({ signal })
  } catch (err) {
    stream.abort(asProtocolError(err))
  }
}

/**
 * Asks `peer`, on a libp2p connection to it, for a ticket. Throws
 * ERR_PEER_UNREACHABLE when the peer offers none (an older version without
 * the protocol, direct path off, too many tickets out).
 */
export async function requestTicket (connection: Connection, peer: PeerId, options: { signal?: AbortSignal } = {}): Promise<TicketOffer> {
  const signal = anySignal(options.signal, OFFER_TIMEOUT_MS)
  let stream: Stream
  try {
    stream = await connection.newStream(DIRECT_PROTOCOL, { signal })
  } catch (err) {
    throw new ShoalError('ERR_PEER_UNREACHABLE', `${peer.toString()} offers no direct path: ${(err as Error).message}`, { peer: peer.toString() }, { cause: err })
  }
  try {
    const pb = pbStream(stream, { maxDataLength: MAX_HANDSHAKE_FRAME_BYTES })
    await pb.write({}, DirectRequest, { signal })
    const offer = await pb.read(DirectOffer, { signal })
    await closeStream(stream, { signal })
    if (offer.status !== DirectOffer.Status.OK || offer.port === 0 || offer.ticket.byteLength === 0) {
      throw new ShoalError('ERR_PEER_UNREACHABLE', `${peer.toString()} has no direct path to offer now`, { peer: peer.toString() })
    }
    return { connection, host: offer.host, port: offer.port, ticket: offer.ticket }
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    if (err instanceof ShoalError) throw err
    throw asProtocolError(err)
  }
}
