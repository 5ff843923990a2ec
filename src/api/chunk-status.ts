/**
 * Seed 000's `chunks_status` report: a map from chunk index to its status,
 * peer and progress, plus statistics. Field names follow the seed.
 */
import type { ChunkProgress } from '../transfer/job-progress.js'

/** One chunk in the seed's shape. */
export interface SeedChunkStatus {
  status: ChunkProgress['status']
  peer_id?: string
  progress?: number
}

/** Builds the seed-shaped report from per-chunk states. */
export function chunkStatusReport (chunks: readonly ChunkProgress[]): Record<string, unknown> {
  const status: Record<string, SeedChunkStatus> = {}
  const counts = { completed: 0, downloading: 0, pending: 0, failed: 0 }
  chunks.forEach((c, i) => {
    counts[c.status]++
    const entry: SeedChunkStatus = { status: c.status }
    if (c.peer != null) entry.peer_id = c.peer
    if (c.status === 'downloading' && c.total != null && c.total > 0) entry.progress = Math.floor(100 * (c.received ?? 0) / c.total)
    status[String(i)] = entry
  })
  const total = chunks.length
  return {
    success: true,
    is_chunked: true,
    chunks_status: status,
    statistics: {
      total_chunks: total,
      completed_chunks: counts.completed,
      downloading_chunks: counts.downloading,
      pending_chunks: counts.pending,
      failed_chunks: counts.failed,
      progress_percent: total === 0 ? 100 : Math.round(1000 * counts.completed / total) / 10
    }
  }
}
