/**
 * What `node:stats` on the event stream carries: the peers, byte totals the
 * dashboard turns into rates, and the storage this node holds.
 */
import type { PeerView, ShoalNode } from '../node/node.js'

/** One `node:stats` event. */
export interface NodeStats {
  /** Milliseconds since the epoch, when it was measured. */
  at: number
  peers: PeerView[]
  /** Bytes sent to and received from peers so far (sums over `peers`). */
  bytesUp: number
  bytesDown: number
  /** Bytes per second of the downloads running now. */
  downloadRate: number
  /** Bytes of the files this node holds whole, and the quota for chunks others push here. */
  storage: { usedBytes: number, quotaBytes: number }
}

/** Measures the node now (pings its connected peers, each with the node's ping timeout). */
export async function nodeStats (node: ShoalNode, signal?: AbortSignal): Promise<NodeStats> {
  const peers = await node.peers({ signal })
  const held = node.list().filter(f => f.paths.length > 0)
  return {
    at: Date.now(),
    peers,
    bytesUp: peers.reduce((n, p) => n + p.bytesUp, 0),
    bytesDown: peers.reduce((n, p) => n + p.bytesDown, 0),
    downloadRate: node.downloads().reduce((n, d) => n + d.speed, 0),
    storage: { usedBytes: held.reduce((n, f) => n + f.size, 0), quotaBytes: node.config.storage.chunkQuotaBytes }
  }
}

/** The settings an upload is distributed by (`GET /api/node`'s `distribution`): what a client previews before it sends. */
export interface DistributionSettings {
  /** Files of at least this many bytes are pushed out when shared (`chunking.minFileSizeForDistribution`). */
  minFileSizeBytes: number
  /** Online peers needed, this node included (`chunking.minPeersForDistribution`). */
  minPeers: number
  /** Copies of every chunk (`distribution.replicas`). */
  replicas: number
  /** Placement strategy (`chunking.distributionStrategy`). */
  strategy: string
  /** Base chunk size in bytes (`chunking.chunkSize`); very large files use a larger one. */
  chunkSizeBytes: number
}

/** Reads the distribution settings from the node's config. */
export function distributionSettings (config: ShoalNode['config']): DistributionSettings {
  return {
    minFileSizeBytes: config.chunking.minFileSizeForDistribution,
    minPeers: config.chunking.minPeersForDistribution,
    replicas: config.distribution.replicas,
    strategy: config.chunking.distributionStrategy,
    chunkSizeBytes: config.chunking.chunkSize
  }
}
