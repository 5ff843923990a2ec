/**
 * Everything of the node that speaks over the network, behind one module the
 * node imports only when it goes online. libp2p and its stack take ~0.5 s to
 * load; `shoal share`, `ls`, `rm` and `verify` without a running node never
 * need them.
 */
export { createShoalLibp2p } from '../net/create-libp2p.js'
export { loadOrCreateIdentity } from '../net/identity.js'
export { HintedSourceFinder, parsePeerAddrs } from '../discovery/hinted-finder.js'
export { SwarmDirectory } from '../discovery/swarm-directory.js'
export { resolveManifest } from './resolve-manifest.js'
export { DownloadJob } from '../transfer/download-job.js'
export { UploadLimiter } from '../transfer/upload-limiter.js'
export { DownloadLimiter } from '../transfer/download-limiter.js'
export { UploadSpread } from '../transfer/upload-spread.js'
export { anySignal } from '../protocol/manifest.js'
export { serveShoalProtocols } from '../protocol/serve.js'
export { PeerBudgets } from '../protocol/peer-budget.js'
export { PeerStreamLimits } from '../protocol/stream-limits.js'
export { MAX_INBOUND_STREAMS_PER_PEER } from '../protocol/constants.js'
export { DirectPath, directListenHost } from '../net/direct/index.js'
export { TrackerAnnouncer } from '../discovery/tracker-announcer.js'
export { TrackerSourceFinder, bootstrapFromTrackers } from '../discovery/tracker-finder.js'
export { combineFinders } from '../discovery/combined-finder.js'
export { DhtSourceFinder, provideOnDht } from '../discovery/dht-finder.js'
export { watchDiscoveryModules } from '../discovery/discovery-modules.js'
export { FsDatastore } from 'datastore-fs'
export { peerIdFromString } from '@libp2p/peer-id'
