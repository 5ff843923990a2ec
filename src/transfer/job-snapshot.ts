/**
 * What status shows of a download: a point-in-time view of a running job
 * (DownloadJob.snapshot) or of one at rest (restingSnapshot).
 */
import { manifestChunkCount, type Manifest } from '../content/manifest.js'
import type { DownloadState } from '../store/catalog.js'
import type { PeerContribution } from './source-pool.js'

/** A point-in-time view of a job, for the API, the CLI and the dashboard. */
export interface JobSnapshot {
  id: string
  fileId: string
  name: string
  dest: string
  state: DownloadState
  size: number
  bytesDone: number
  chunkCount: number
  chunksDone: number
  /** Bytes per second over the last rate window; 0 once the job is over. */
  speed: number
  /** Seconds left at that speed; null when unknown and once the job is over. */
  etaSeconds: number | null
  peers: PeerContribution[]
  /** Sources that gave at least one verified byte (`bytes > 0`): what "from N peers" counts. */
  peersUsed: number
  /** Sources lost (disconnected, or no longer holding the file) while the job is stalled. */
  missingPeers: string[]
  /** Sources banned for sending chunks that did not match the manifest: not gone, lying. */
  bannedPeers: string[]
  error: string | null
  errorCode: string | null
  /** True when the destination already held the file, verified: nothing was transferred. */
  alreadyComplete?: boolean
}

/** The view of a job that is not running: `chunksDone` chunks verified, nothing moving. */
export function restingSnapshot (job: { id: string, fileId: string, dest: string, state: JobSnapshot['state'], error: string | null }, manifest: Manifest | undefined, chunksDone: number): JobSnapshot {
  return {
    id: job.id,
    fileId: job.fileId,
    name: manifest?.name ?? '',
    dest: job.dest,
    state: job.state,
    size: manifest?.size ?? 0,
    bytesDone: manifest == null ? 0 : Math.min(manifest.size, chunksDone * manifest.chunkSize),
    chunkCount: manifest == null ? 0 : manifestChunkCount(manifest),
    chunksDone,
    speed: 0,
    etaSeconds: null,
    peers: [],
    peersUsed: 0,
    missingPeers: [],
    bannedPeers: [],
    error: job.error,
    errorCode: null
  }
}
