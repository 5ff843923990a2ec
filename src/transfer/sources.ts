/**
 * Where a download's sources come from. The node composes the finder from
 * whatever discovery it runs (link hints, --peer, connected peers; later the
 * DHT, the tracker, mDNS); the job only sees peer IDs it can open streams to.
 */
import type { PeerId } from '@libp2p/interface'

/** Yields peers that may hold `fileId`; each yielded peer is already dialable. */
export interface SourceFinder {
  findSources: (fileId: string, options: { signal: AbortSignal }) => AsyncIterable<PeerId>
}
