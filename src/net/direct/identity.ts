/**
 * TLS certificates bound to libp2p peer IDs, as the libp2p TLS handshake
 * makes and checks them (https://github.com/libp2p/specs/blob/master/tls/tls.md):
 * a self-signed P-256 certificate carrying the node's libp2p public key and
 * its signature over the certificate's key. The code is `@libp2p/tls`'s own,
 * from its exported `@libp2p/tls/utils` entry point; nothing here is new
 * crypto. Whoever completes a handshake with such a certificate holds the
 * private key of the peer ID it names.
 */
import { generateCertificate, verifyPeerCertificate } from '@libp2p/tls/utils'
import { ShoalError } from '../../errors.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { TLSSocket } from 'node:tls'

/** A node's certificate and its key, PEM-encoded, for `tls.createServer` and `tls.connect`. */
export interface DirectCertificate {
  cert: string
  key: string
}

/** Makes the node's certificate (an ECDSA key generated and signed with the libp2p key; a few ms). */
export async function createDirectCertificate (privateKey: PrivateKey, options: { signal?: AbortSignal } = {}): Promise<DirectCertificate> {
  return await generateCertificate(privateKey, options)
}

/**
 * The peer ID the remote end of `socket` proved it holds, checked against
 * `expected` when given. Throws ERR_UNAUTHORIZED when the socket has no
 * certificate, the certificate is not a valid libp2p one, or it names
 * another peer.
 */
export async function verifiedRemotePeer (socket: TLSSocket, expected?: PeerId): Promise<PeerId> {
  const raw = socket.getPeerCertificate()?.raw
  if (raw == null) throw new ShoalError('ERR_UNAUTHORIZED', 'the remote end presented no certificate')
  try {
    return await verifyPeerCertificate(raw, expected)
  } catch (err) {
    throw new ShoalError('ERR_UNAUTHORIZED', `the remote end's certificate is not ${expected == null ? 'a valid libp2p certificate' : `bound to ${expected.toString()}`}: ${(err as Error).message}`, { expected: expected?.toString() }, { cause: err })
  }
}
