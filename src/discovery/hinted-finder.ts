/**
 * Finds download sources for a file with what the node has: the addresses a
 * link or `--peer` gave for it, and every peer we are connected to (each is
 * asked over the have protocol whether it holds the file). Dials run in
 * parallel and peers are yielded as soon as they answer; the node's combined
 * finder removes duplicates.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { ShoalError } from '../errors.js'
import { mergeAsync, settled } from './merge.js'
import type { SourceFinder } from '../transfer/sources.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

/** Gives up on one address after this long. */
export const DIAL_TIMEOUT_MS = 5_000

/** Parses user-given multiaddrs, with one clear error for a bad one. */
export function parsePeerAddrs (addrs: readonly string[]): Multiaddr[] {
  return addrs.map((a) => {
    try {
      return multiaddr(a)
    } catch (err) {
      throw new ShoalError('ERR_INVALID_ARGUMENT', `not a multiaddr: ${a}`, { addr: a }, { cause: err })
    }
  })
}

/** A SourceFinder over address hints per file plus current connections. */
export class HintedSourceFinder implements SourceFinder {
  readonly #libp2p: Libp2p
  readonly #hints = new Map<string, Multiaddr[]>()
  readonly #onDialed: (peer: PeerId) => void

  /** `onDialed` hears of every peer reached through a hint. */
  constructor (libp2p: Libp2p, onDialed: (peer: PeerId) => void = () => {}) {
    this.#libp2p = libp2p
    this.#onDialed = onDialed
  }

  /** Remembers addresses that may hold `fileId` (from a link or flags). */
  addHints (fileId: string, addrs: readonly Multiaddr[]): void {
    const known = this.#hints.get(fileId) ?? []
    for (const a of addrs) if (!known.some(k => k.equals(a))) known.push(a)
    this.#hints.set(fileId, known)
  }

  async * findSources (fileId: string, options: { signal: AbortSignal }): AsyncIterable<PeerId> {
    for (const conn of this.#libp2p.getConnections()) yield conn.remotePeer
    yield * mergeAsync((this.#hints.get(fileId) ?? []).map(addr => settled((async () => {
      const signal = AbortSignal.any([options.signal, AbortSignal.timeout(DIAL_TIMEOUT_MS)])
      const peer = (await this.#libp2p.dial(addr, { signal })).remotePeer
      this.#onDialed(peer)
      return peer
    })())))
  }
}
