/**
 * Caps on inbound streams per peer and protocol. libp2p's own
 * `maxInboundStreams` (StreamHandlerOptions) counts the streams of one
 * connection only (libp2p/src/connection.js, `countStreams`), and a peer may
 * hold several connections; this counts a peer's open inbound streams of a
 * protocol over all its connections, and resets those beyond the cap with
 * ERR_TOO_MANY_STREAMS before the handler sees them.
 */
import { ShoalError } from '../errors.js'
import { logger } from '../util/log.js'
import type { Connection, Stream, StreamHandler } from '@libp2p/interface'

const log = logger('streams')

/** Counts open inbound streams by peer and protocol, and refuses those over the cap. */
export class PeerStreamLimits {
  readonly #maxPerPeer: number
  /** `protocol` → peer → open inbound streams. */
  readonly #open = new Map<string, Map<string, number>>()

  constructor (maxPerPeer: number) {
    this.#maxPerPeer = maxPerPeer
  }

  /** Open inbound streams of `protocol` from `peer` now. */
  count (protocol: string, peer: string): number {
    return this.#open.get(protocol)?.get(peer) ?? 0
  }

  /**
   * Counts one more open stream of `protocol` from `peer`, if under the cap:
   * resolves to the function that uncounts it (idempotent), or undefined when
   * the peer has the cap open already. For carriers other than libp2p streams
   * (the direct TLS path counts its sockets as chunks streams).
   */
  tryOpen (protocol: string, peer: string): (() => void) | undefined {
    let counts = this.#open.get(protocol)
    if (counts == null) this.#open.set(protocol, counts = new Map())
    const byPeer = counts
    const n = byPeer.get(peer) ?? 0
    if (n >= this.#maxPerPeer) {
      log('%s: refused a stream from %s, %d open', protocol, peer, n)
      return undefined
    }
    byPeer.set(peer, n + 1)
    let counted = true
    return () => {
      if (!counted) return
      counted = false
      const left = (byPeer.get(peer) ?? 1) - 1
      if (left <= 0) byPeer.delete(peer)
      else byPeer.set(peer, left)
    }
  }

  /** Wraps `handler` so that each peer has at most the cap of its streams open at once. */
  guard (protocol: string, handler: StreamHandler): StreamHandler {
    return async (stream: Stream, connection: Connection) => {
      const peer = connection.remotePeer.toString()
      const uncount = this.tryOpen(protocol, peer)
      if (uncount == null) {
        stream.abort(new ShoalError('ERR_TOO_MANY_STREAMS', `more than ${this.#maxPerPeer} ${protocol} streams from one peer`, { peer, protocol }))
        return
      }
      // The stream counts until it is closed, whatever its handler returned earlier
      // (the have handler returns while its subscription stays open).
      stream.addEventListener('close', uncount, { once: true })
      if (stream.status !== 'open') uncount()
      await handler(stream, connection)
    }
  }
}
