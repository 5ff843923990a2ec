/**
 * What sharing is, as the node offers it: its options and result, the check
 * of those options before anything is hashed, the share itself (hash, then
 * push out when asked or big enough, leaving no trace when refused), and the
 * resumption on start of the distributions an earlier run left unfinished
 * (distribution.ts pushes).
 */
import { stat } from 'node:fs/promises'
import { ShoalError, hasCode } from '../errors.js'
import { logger } from '../util/log.js'
import { parseReplicas } from '../distribute/replicas.js'
import { isPlacementStrategy, type PlacementStrategy } from '../distribute/placement.js'
import type { Catalog, FileRecord } from '../store/catalog.js'
import type { ShoalConfig } from '../config/index.js'
import type { Library } from './library.js'
import type { Distribution, DistributionEvents, DistributionSummary } from './distribution.js'

const log = logger('node')

/** A shared file as reported to users. */
export interface ShareResult {
  id: string
  link: string
  name: string
  size: number
  chunks: number
  /** Set when the file was distributed: every chunk has `replicas` verified copies on distinct peers. */
  distribution?: DistributionSummary
}

/** Options of `share`. */
export interface ShareOptions {
  /** Push the file out whatever its size (`chunking.minFileSizeForDistribution` decides otherwise); false: never. */
  distribute?: boolean
  /** Copies of every chunk (default `distribution.replicas`). */
  replicas?: number
  /** Placement strategy (default `chunking.distributionStrategy`). */
  strategy?: PlacementStrategy
  signal?: AbortSignal
  /** Hears the push's progress: (chunk, holder) copies confirmed of chunks × replicas. */
  onProgress?: (progress: { confirmed: number, total: number, bytesSent: number }) => void
}

/** Events of the distribution unit the node re-emits. */
export const DISTRIBUTION_EVENTS: Array<keyof DistributionEvents> = ['distribution:progress', 'distribution:done', 'distribution:refused', 'repair:started', 'repair:done']

/** Refuses bad share options before anything is hashed. */
export function assertShareOptions (options: ShareOptions): void {
  const { replicas, strategy } = options
  if (replicas !== undefined) parseReplicas(replicas)
  if (strategy !== undefined && !isPlacementStrategy(strategy)) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `strategy must be round-robin or weighted, got ${String(strategy)}`, { strategy })
  }
}

/** Resumes, in the background, the distributions an earlier run left unfinished (each from the local copy it was pushed from). */
export function resumeDistributions (distribution: Distribution, catalog: Catalog, signal: AbortSignal): void {
  for (const id of distribution.unfinished()) {
    const file = catalog.getFile(id)
    if (file == null || catalog.localCopies(id).length === 0) {
      log.error('cannot resume the distribution of %s: no local copy left', id)
      continue
    }
    log('resuming the distribution of %s', id)
    distribution.distribute(id, file.manifest, { signal })
      .catch((err: unknown) => { log.error('resuming the distribution of %s failed: %s', id, err) })
  }
}

/** What `shareFile` needs from the node. */
export interface ShareContext {
  library: Library
  distribution: Distribution
  catalog: Catalog
  config: ShoalConfig
  /** The node is online (a push needs peers). */
  online: boolean
  /** The result as users see it (link included). */
  describe: (record: FileRecord) => ShareResult
}

/**
 * Hashes and shares a local file, served in place; a file of at least
 * `chunking.minFileSizeForDistribution` bytes, or any with `distribute`, is
 * then pushed out. Too few able peers is ERR_DISTRIBUTION_REQUIRED, and then
 * nothing is left behind: a file not catalogued before is uncatalogued again.
 */
export async function shareFile (ctx: ShareContext, path: string, options: ShareOptions & { signal: AbortSignal }): Promise<ShareResult> {
  const { library, distribution, config, signal } = { ...ctx, ...options }
  assertShareOptions(options)
  const wanted = options.distribute ?? (await stat(path).then((s) => s.size, () => 0)) >= config.chunking.minFileSizeForDistribution
  if (wanted && !ctx.online) {
    throw new ShoalError('ERR_NODE_NOT_RUNNING', 'distributing a file needs a running node with peers: run `shoal start`, then share again')
  }
  const before = ctx.catalog.listFiles().map((f) => f.id)
  const record = await library.share(path, { baseChunkSize: config.chunking.chunkSize, signal })
  const result = ctx.describe(record)
  if (!wanted) return result
  try {
    result.distribution = await distribution.distribute(record.id, record.manifest, { replicas: options.replicas, strategy: options.strategy, signal, onProgress: options.onProgress })
  } catch (err) {
    // Refused before anything was pushed: leave no trace of the share either.
    if (hasCode(err, 'ERR_DISTRIBUTION_REQUIRED') && !before.includes(record.id) && !distribution.isOwn(record.id)) await library.remove(record.id)
    throw err
  }
  return result
}
