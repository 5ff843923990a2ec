/**
 * Downloads use the map: when this node keeps a distribution record of a
 * file (as a holder or as its uploader), the record's holders are sources
 * too, next to DHT, tracker, LAN and link hints. Each is dialled by peer ID
 * (the peer store knows its addresses from earlier pushes and connections),
 * in parallel, each bounded by DIAL_TIMEOUT_MS; the first to answer is
 * yielded first.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { mergeAsync, settled } from '../discovery/merge.js'
import { DIAL_TIMEOUT_MS } from '../discovery/hinted-finder.js'
import type { SourceFinder } from '../transfer/sources.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

/** A SourceFinder over the holders `holdersOf` names for a file. */
export function mapSourceFinder (libp2p: Libp2p, holdersOf: (fileId: string) => readonly string[]): SourceFinder {
  return {
    async * findSources (fileId, options) {
      const self = libp2p.peerId.toString()
      const holders = [...new Set(holdersOf(fileId))].filter((p) => p !== self)
      yield * mergeAsync(holders.map((holder) => settled((async (): Promise<PeerId> => {
        const peer = peerIdFromString(holder)
        await libp2p.dial(peer, { signal: AbortSignal.any([options.signal, AbortSignal.timeout(DIAL_TIMEOUT_MS)]) })
        return peer
      })())))
    }
  }
}
