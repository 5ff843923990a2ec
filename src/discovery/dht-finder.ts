/**
 * Finds download sources through the Kademlia DHT: the providers of the
 * file's CID, dialled as they are found. With an empty routing table a DHT
 * query waits for its signal, so every query here has its own time bound.
 */
import { CID } from 'multiformats/cid'
import type { SourceFinder } from '../transfer/sources.js'
import { logger } from '../util/log.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

const log = logger('dht')

/** How long one provider lookup may take. */
export const FIND_PROVIDERS_TIMEOUT_MS = 15_000
/** How long one provide may take. */
export const PROVIDE_TIMEOUT_MS = 30_000
/** Gives up on dialling one provider after this long. */
export const PROVIDER_DIAL_TIMEOUT_MS = 5_000

/** A SourceFinder over the DHT's provider records. */
export class DhtSourceFinder implements SourceFinder {
  readonly #libp2p: Libp2p
  readonly #onFound: (peer: PeerId) => void

  constructor (libp2p: Libp2p, onFound: (peer: PeerId) => void = () => {}) {
    this.#libp2p = libp2p
    this.#onFound = onFound
  }

  async * findSources (fileId: string, options: { signal: AbortSignal }): AsyncIterable<PeerId> {
    const signal = AbortSignal.any([options.signal, AbortSignal.timeout(FIND_PROVIDERS_TIMEOUT_MS)])
    const self = this.#libp2p.peerId
    try {
      for await (const provider of this.#libp2p.contentRouting.findProviders(CID.parse(fileId), { signal })) {
        if (provider.id.equals(self)) continue
        try {
          await this.#libp2p.dial(provider.multiaddrs.length > 0 ? provider.multiaddrs : provider.id, { signal: AbortSignal.any([signal, AbortSignal.timeout(PROVIDER_DIAL_TIMEOUT_MS)]) })
        } catch (err) {
          log('provider %s of %s unreachable: %s', provider.id, fileId, err)
          continue // a provider that left, or that we cannot reach
        }
        this.#onFound(provider.id)
        yield provider.id
      }
    } catch (err) {
      // Lookup ended (time bound, no peers): the job asks again later.
      log('provider lookup for %s ended: %s', fileId, err)
    }
  }
}

/** Announces on the DHT that this node holds `fileId` (best effort, bounded, ended early by `signal`). */
export async function provideOnDht (libp2p: Libp2p, fileId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
  const timeout = AbortSignal.timeout(PROVIDE_TIMEOUT_MS)
  await libp2p.contentRouting.provide(CID.parse(fileId), { signal: options.signal == null ? timeout : AbortSignal.any([options.signal, timeout]) })
}
