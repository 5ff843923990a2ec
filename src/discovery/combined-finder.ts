/**
 * The node's SourceFinder: all its finders at once (link hints and
 * connections, trackers; later the DHT and mDNS), each peer yielded once, and
 * never the node itself.
 */
import { mergeAsync } from './merge.js'
import type { SourceFinder } from '../transfer/sources.js'
import type { PeerId } from '@libp2p/interface'

/** Merges finders, de-duplicating peers and leaving out `self`. */
export function combineFinders (self: PeerId, finders: readonly SourceFinder[]): SourceFinder {
  return {
    async * findSources (fileId, options) {
      const seen = new Set<string>([self.toString()])
      for await (const peer of mergeAsync(finders.map(f => f.findSources(fileId, options)))) {
        const key = peer.toString()
        if (seen.has(key)) continue
        seen.add(key)
        yield peer
      }
    }
  }
}
