/**
 * Puts the store protocol on a libp2p host, next to the serving protocols
 * (protocol/serve.ts) and capped the same way: streams per connection
 * (libp2p) and per peer over all its connections (`PeerStreamLimits`).
 */
import { MAX_INBOUND_STREAMS, STORE_PROTOCOL } from '../protocol/constants.js'
import { PeerBudgets } from '../protocol/peer-budget.js'
import { MAX_STORE_STREAMS_PER_PEER, STORE_PEER_INBOUND_BYTES } from './store-wire.js'
import { PeerStreamLimits } from '../protocol/stream-limits.js'
import { handleStoreStream, type StoreServerInit } from './store-server.js'
import type { Libp2p } from '@libp2p/interface'

export type { StoreServerInit } from './store-server.js'

/** Registers the `/shoal/store/1.0.0` handler on `libp2p`; `init.libp2p` is the host used to forward chunks. */
export async function serveStoreProtocol (libp2p: Libp2p, init: Omit<StoreServerInit, 'libp2p' | 'inboundBudgets'> & { inboundBudgets?: PeerBudgets }): Promise<void> {
  const streams = new PeerStreamLimits(MAX_STORE_STREAMS_PER_PEER)
  const full: StoreServerInit = { ...init, libp2p, inboundBudgets: init.inboundBudgets ?? new PeerBudgets(STORE_PEER_INBOUND_BYTES) }
  await libp2p.handle(STORE_PROTOCOL, streams.guard(STORE_PROTOCOL, async (stream, conn) => { await handleStoreStream(stream, conn, full) }), {
    maxInboundStreams: MAX_INBOUND_STREAMS,
    maxOutboundStreams: MAX_INBOUND_STREAMS
  })
}
