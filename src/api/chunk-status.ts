/**
 * Per-chunk status of a download, in two spellings of one report: seed 000's
 * `chunks_status` (snake_case, kept for its clients) and the camelCase form
 * every other route uses. A running job knows each chunk's state; a finished
 * or persisted one is rebuilt from what the catalog verified.
 */
import type { ChunkProgress } from '../transfer/job-progress.js'

/** One chunk in the seed's shape. */
export interface SeedChunkStatus {
  status: ChunkProgress['status']
  peer_id?: string
  progress?: number
}

/** One chunk in the camelCase shape. */
export interface ChunkStatusEntry {
  status: ChunkProgress['status']
  peerId?: string
  progress?: number
}

/** Counts of a report, shared by both spellings. */
interface ChunkCounts { total: number, completed: number, downloading: number, pending: number, failed: number, percent: number }

/**
 * Chunk states of a job that no longer runs: all completed when it completed,
 * otherwise the chunks the catalog holds as verified, the rest pending.
 */
export function finishedChunkStates (chunkCount: number, completed: boolean, verified: readonly number[]): ChunkProgress[] {
  const done = new Set(verified)
  return Array.from({ length: chunkCount }, (_, i): ChunkProgress => ({ status: completed || done.has(i) ? 'completed' : 'pending' }))
}

/** Seed 000's report (`GET /api/download/:id/chunks_status`), field names as the seed has them. */
export function chunkStatusReport (chunks: readonly ChunkProgress[]): Record<string, unknown> {
  const status: Record<string, SeedChunkStatus> = {}
  chunks.forEach((c, i) => {
    const { peerId, ...rest } = entry(c)
    status[String(i)] = peerId == null ? rest : { ...rest, peer_id: peerId }
  })
  const n = counts(chunks)
  return {
    success: true,
    is_chunked: true,
    chunks_status: status,
    statistics: {
      total_chunks: n.total,
      completed_chunks: n.completed,
      downloading_chunks: n.downloading,
      pending_chunks: n.pending,
      failed_chunks: n.failed,
      progress_percent: n.percent
    }
  }
}

/** The same report with camelCase names (`GET /api/downloads/:id/chunks`). */
export function chunkReport (chunks: readonly ChunkProgress[]): Record<string, unknown> {
  const status: Record<string, ChunkStatusEntry> = {}
  chunks.forEach((c, i) => { status[String(i)] = entry(c) })
  const n = counts(chunks)
  return {
    success: true,
    isChunked: true,
    chunksStatus: status,
    statistics: {
      totalChunks: n.total,
      completedChunks: n.completed,
      downloadingChunks: n.downloading,
      pendingChunks: n.pending,
      failedChunks: n.failed,
      progressPercent: n.percent
    }
  }
}

function entry (c: ChunkProgress): ChunkStatusEntry {
  const e: ChunkStatusEntry = { status: c.status }
  if (c.peer != null) e.peerId = c.peer
  if (c.status === 'downloading' && c.total != null && c.total > 0) e.progress = Math.floor(100 * (c.received ?? 0) / c.total)
  return e
}

function counts (chunks: readonly ChunkProgress[]): ChunkCounts {
  const n = { completed: 0, downloading: 0, pending: 0, failed: 0 }
  for (const c of chunks) n[c.status]++
  const total = chunks.length
  return { total, ...n, percent: total === 0 ? 100 : Math.round(1000 * n.completed / total) / 10 }
}
