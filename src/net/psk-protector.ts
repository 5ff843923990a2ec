/**
 * The private-swarm connection protector: `@libp2p/pnet`'s pre-shared-key
 * stream (XSalsa20 under the swarm key, a fresh random nonce per direction),
 * followed by a key confirmation.
 *
 * Why the confirmation: pnet v1 has no MAC, so with a wrong key each side
 * just decrypts garbage, and the next step — multistream-select for TLS or
 * Noise — reads that garbage as a length prefix and often waits for bytes
 * that never come, until libp2p's dial (6 s) or inbound upgrade (10 s)
 * timeout. Measured: one refused dial in four took ~6 s. Here each side
 * sends a fixed message right after the nonces and checks the other's; a
 * wrong key fails within one round trip, on both ends, with
 * ERR_INVALID_SWARM_KEY. The message is known plaintext under a keystream
 * that is never reused (fresh nonces), so it reveals nothing of the key.
 */
import { preSharedKey } from '@libp2p/pnet'
import { byteStream } from '@libp2p/utils'
import { ShoalError } from '../errors.js'
import { logger } from '../util/log.js'
import type { ComponentLogger, ConnectionProtector, MessageStream, MultiaddrConnection, AbortOptions } from '@libp2p/interface'

const log = logger('net:pnet')

/** What each side sends first inside the PSK stream: versioned, like a protocol ID. */
export const PSK_CONFIRMATION = new TextEncoder().encode('/shoal/pnet-confirm/1.0.0\n')

/**
 * Most time for the nonce exchange and confirmation: two round trips, each
 * side sending at once, so 1 s each (pnet's own nonce timeout). A wrong key
 * fails as soon as the confirmation arrives; this bounds peers that say
 * nothing — a port scanner, a stalled socket, or a node of a public swarm
 * when we dial it: it waits for a multistream header and reads our nonce as
 * one, often of a length it then waits to fill.
 */
export const PSK_HANDSHAKE_TIMEOUT_MS = 2_000

/** What the protector factory gets from libp2p. */
export interface PskProtectorComponents {
  logger: ComponentLogger
}

class ConfirmedPskProtector implements ConnectionProtector {
  readonly #pnet: ConnectionProtector

  constructor (psk: Uint8Array) {
    this.#pnet = preSharedKey({ psk, timeout: PSK_HANDSHAKE_TIMEOUT_MS })()
  }

  readonly [Symbol.toStringTag] = 'shoal/pnet'

  async protect (connection: MessageStream, options: AbortOptions = {}): Promise<MessageStream> {
    const deadline = AbortSignal.timeout(PSK_HANDSHAKE_TIMEOUT_MS)
    const signal = options.signal == null ? deadline : AbortSignal.any([options.signal, deadline])
    const boxed = await this.#pnet.protect(connection, { signal })
    const bytes = byteStream(boxed)
    const [theirs] = await Promise.all([
      bytes.read({ bytes: PSK_CONFIRMATION.byteLength, signal }),
      bytes.write(PSK_CONFIRMATION, { signal })
    ])
    if (Buffer.compare(theirs.subarray(), PSK_CONFIRMATION) !== 0) {
      // Expected traffic (strangers on a shared LAN or tracker), so a debug line, not an error.
      const remote = (connection as Partial<MultiaddrConnection>).remoteAddr
      log('refused %s connection with %s: not in this private swarm', connection.direction, remote?.toString() ?? 'a peer')
      const err = new ShoalError('ERR_INVALID_SWARM_KEY', 'the remote peer is not in this private swarm (it holds another swarm key, or none)')
      boxed.abort(err)
      throw err
    }
    // Hands on whatever arrived after the confirmation (the first handshake bytes).
    return bytes.unwrap()
  }
}

/**
 * libp2p's `connectionProtector` for a private swarm: pnet under `psk` (the
 * key file's text, as `loadSwarmKey` returns it) plus key confirmation.
 */
export function confirmedPreSharedKey (psk: Uint8Array): (components: PskProtectorComponents) => ConnectionProtector {
  return () => new ConfirmedPskProtector(psk)
}
