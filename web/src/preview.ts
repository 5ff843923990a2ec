/**
 * What an upload will do, worked out before it starts from the node's own
 * distribution settings (`GET /api/node`'s `distribution`): whether each file
 * is pushed out, in how many chunks, how many copies, over which peers, and
 * whether the node will refuse for want of peers.
 */
import type { DistributionSettings } from './types'

/** The manifest's chunk limit: bigger files get bigger chunks (src/content/chunk-size.ts). */
const MAX_CHUNKS_PER_MANIFEST = 32_000
const MIB = 1024 * 1024

/** The node's defaults (README: Configuration), used until the node has said its own. */
export const DEFAULT_SETTINGS: DistributionSettings = { minFileSizeBytes: 1024 ** 3, minPeers: 2, replicas: 2, strategy: 'round-robin', chunkSizeBytes: MIB }

export interface FilePreview {
  name: string
  size: number
  distributed: boolean
  chunks: number
  /** Copies of each chunk. */
  replicas: number
  /** Chunks each peer gets, about (chunks × replicas over the peers). */
  perPeer: number
}

/** The node's chunk count for a file of `size` bytes (same rule as chunkSizeFor). */
export function chunkCountFor (size: number, base: number): number {
  const chunk = Math.ceil(size / base) <= MAX_CHUNKS_PER_MANIFEST ? base : Math.max(base, Math.ceil(size / MAX_CHUNKS_PER_MANIFEST / MIB) * MIB)
  return Math.ceil(size / chunk)
}

/**
 * The preview of each file, with `peers` the remote peers online now. The
 * pusher's rule (src/distribute/pusher.ts): round-robin keeps a share on this
 * node, and it needs max(minPeers, replicas − 1) remote peers (replicas
 * without a local share); fewer and the node refuses.
 */
export function previewUpload (files: ReadonlyArray<{ name: string, size: number }>, settings: DistributionSettings, peers: number): { files: FilePreview[], refused: boolean, holders: number } {
  const local = settings.strategy === 'round-robin'
  const holders = peers + (local ? 1 : 0)
  const previews = files.map(f => {
    const chunks = chunkCountFor(f.size, settings.chunkSizeBytes)
    const distributed = f.size >= settings.minFileSizeBytes
    return { name: f.name, size: f.size, distributed, chunks, replicas: settings.replicas, perPeer: holders === 0 ? 0 : Math.ceil(chunks * settings.replicas / holders) }
  })
  const needed = Math.max(settings.minPeers, settings.replicas - (local ? 1 : 0))
  return { files: previews, refused: previews.some(p => p.distributed) && peers < needed, holders }
}
