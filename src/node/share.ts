/**
 * What sharing is, as the node offers it: its options and result, the check
 * of those options before anything is hashed, and the resumption on start of
 * the distributions an earlier run left unfinished (distribution.ts pushes).
 */
import { ShoalError } from '../errors.js'
import { logger } from '../util/log.js'
import { MAX_RECORD_REPLICAS } from '../distribute/record.js'
import { isPlacementStrategy, type PlacementStrategy } from '../distribute/placement.js'
import type { Catalog } from '../store/catalog.js'
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
  if (replicas !== undefined && (!Number.isSafeInteger(replicas) || replicas < 1 || replicas > MAX_RECORD_REPLICAS)) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `replicas must be an integer from 1 to ${MAX_RECORD_REPLICAS}, got ${String(replicas)}`, { replicas })
  }
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
