/**
 * Puts Shoal's serving protocols on a libp2p host: manifests, bitfields with
 * their updates and peer exchange, and chunks. Every handler is capped in
 * streams per connection (libp2p) and per peer over all its connections
 * (`PeerStreamLimits`), so one place decides what a peer may open.
 */
import { CHUNKS_PROTOCOL, HAVE_PROTOCOL, MANIFEST_PROTOCOL, MAX_INBOUND_STREAMS, MAX_INBOUND_STREAMS_PER_PEER } from './constants.js'
import { PeerStreamLimits } from './stream-limits.js'
import { handleManifestStream } from './manifest.js'
import { handleHaveStream } from './have.js'
import { handleChunksStream, type UploadServices } from './chunks-server.js'
import type { FileProvider } from './served-file.js'
import type { SwarmView } from './peer-exchange.js'
import type { Libp2p } from '@libp2p/interface'

/** What the serving protocols read from: the files, who else is in each swarm, and the upload limits. */
export interface ServeInit {
  provider: FileProvider
  swarm?: SwarmView
  uploads: UploadServices
  /** Per-peer stream caps; pass the one the direct TLS server uses, so its sockets count as chunks streams. */
  streams?: PeerStreamLimits
}

/** Registers the manifest, have and chunks handlers on `libp2p`. */
export async function serveShoalProtocols (libp2p: Libp2p, init: ServeInit): Promise<void> {
  const opts = { maxInboundStreams: MAX_INBOUND_STREAMS, maxOutboundStreams: MAX_INBOUND_STREAMS }
  const streams = init.streams ?? new PeerStreamLimits(MAX_INBOUND_STREAMS_PER_PEER)
  const { provider, swarm, uploads } = init
  await libp2p.handle(MANIFEST_PROTOCOL, streams.guard(MANIFEST_PROTOCOL, async (stream) => { await handleManifestStream(stream, provider) }), opts)
  await libp2p.handle(HAVE_PROTOCOL, streams.guard(HAVE_PROTOCOL, async (stream, conn) => { await handleHaveStream(stream, conn, provider, swarm) }), opts)
  await libp2p.handle(CHUNKS_PROTOCOL, streams.guard(CHUNKS_PROTOCOL, async (stream, conn) => { await handleChunksStream(stream, conn, provider, uploads) }), opts)
}
