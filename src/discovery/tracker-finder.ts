/**
 * Finds download sources through trackers: asks each for the peers holding a
 * file, teaches libp2p their addresses, dials them, and yields those that
 * answer. Trackers are asked in parallel; one that is down is skipped.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { logger } from '../util/log.js'
import { mergeAsync, settled } from './merge.js'
import type { TrackerClient } from './tracker-client.js'
import type { SourceFinder } from '../transfer/sources.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

const log = logger('tracker-finder')

/** Gives up on dialling one tracker-listed peer after this long. */
export const TRACKER_DIAL_TIMEOUT_MS = 5_000

/** A SourceFinder over trackers. */
export class TrackerSourceFinder implements SourceFinder {
  readonly #libp2p: Libp2p
  readonly #clients: () => TrackerClient[]
  readonly #onFound: (peer: PeerId) => void

  constructor (libp2p: Libp2p, clients: () => TrackerClient[], onFound: (peer: PeerId) => void = () => {}) {
    this.#libp2p = libp2p
    this.#clients = clients
    this.#onFound = onFound
  }

  async * findSources (fileId: string, options: { signal: AbortSignal }): AsyncIterable<PeerId> {
    yield * mergeAsync(this.#clients().map(client => this.#fromTracker(client, fileId, options.signal)))
  }

  async * #fromTracker (client: TrackerClient, fileId: string, signal: AbortSignal): AsyncGenerator<PeerId> {
    let peers
    try {
      peers = await client.findPeers(fileId, { signal })
    } catch (err) {
      // A tracker that is down or refuses is skipped: the others and the DHT still answer.
      log.error('tracker %s could not list holders of %s: %O', client.url, fileId, err)
      return
    }
    const self = this.#libp2p.peerId.toString()
    // Unreachable peers are skipped: the tracker's list is only a hint.
    yield * mergeAsync(peers.filter(p => p.peerId !== self).map(p => settled((async () => {
      const id = peerIdFromString(p.peerId)
      await this.#libp2p.dial(p.addrs.map(a => multiaddr(a)), { signal: AbortSignal.any([signal, AbortSignal.timeout(TRACKER_DIAL_TIMEOUT_MS)]) })
      this.#onFound(id)
      return id
    })())))
  }
}

/** Peers a node dials from its trackers' lists when it starts, to join the swarm. */
export const TRACKER_BOOTSTRAP_PEERS = 5

/**
 * Uses trackers as a bootstrap: dials up to TRACKER_BOOTSTRAP_PEERS of the
 * peers they list (in random order), so a node given only a tracker joins the
 * DHT and the swarm. Best effort: unreachable trackers and peers are skipped.
 */
export async function bootstrapFromTrackers (libp2p: Libp2p, clients: TrackerClient[], onFound: (peer: PeerId) => void, signal: AbortSignal): Promise<void> {
  const self = libp2p.peerId.toString()
  const listed = (await Promise.all(clients.map(async c => await c.listPeers({ limit: 100, signal }).catch((err: unknown) => {
    log.error('tracker %s could not list peers for bootstrap: %O', c.url, err)
    return []
  }))))
    .flat()
    .filter(p => p.peerId !== self)
    .sort(() => Math.random() - 0.5)
    .slice(0, TRACKER_BOOTSTRAP_PEERS)
  await Promise.allSettled(listed.map(async (p) => {
    await libp2p.dial(p.addrs.map(a => multiaddr(a)), { signal: AbortSignal.any([signal, AbortSignal.timeout(TRACKER_DIAL_TIMEOUT_MS)]) })
    onFound(peerIdFromString(p.peerId))
  }))
}
