/** Shapes of the API's answers and events, as the dashboard reads them (README: HTTP API). */

export type JobState = 'running' | 'stalled' | 'paused' | 'completed' | 'failed' | 'cancelled'

export interface PeerContribution { peerId: string, bytes: number, rate: number, state: string, inFlight: number }

export interface Job {
  id: string
  fileId: string
  name: string
  dest: string
  state: JobState
  size: number
  bytesDone: number
  chunkCount: number
  chunksDone: number
  speed: number
  etaSeconds: number | null
  peers: PeerContribution[]
  peersUsed: number
  missingPeers: string[]
  bannedPeers: string[]
  error: string | null
  errorCode: string | null
}

export interface FileRow { id: string, name: string, size: number, chunks: number, paths: string[], link: string, /** A distribution record is kept: the map answers. */ distributed?: boolean }

export interface PeerView { peerId: string, connected: boolean, addrs: string[], via: string[], latencyMs: number | null, bytesUp: number, bytesDown: number }

/** `GET /api/node`'s `distribution`: the settings uploads are distributed by. */
export interface DistributionSettings { minFileSizeBytes: number, minPeers: number, replicas: number, strategy: string, chunkSizeBytes: number }

export interface NodeInfo { peerId: string, addrs: string[], dataDir: string, features?: { distribution?: boolean }, distribution?: DistributionSettings }

export interface NodeStats {
  at: number
  peers: PeerView[]
  bytesUp: number
  bytesDown: number
  downloadRate: number
  storage: { usedBytes: number, quotaBytes: number }
}

/** `GET /api/files/:id/distribution` (the distribution issue's shape). */
export interface Distribution {
  id: string
  replicas: number
  holders: Record<string, number>
  chunks: Array<{ index: number, holders: string[] }>
  /** Chunks being copied again right now, when the node says so. */
  repairing?: number[]
}

/** A chunk batch of the event stream (src/api/chunk-batch.ts). */
export interface ChunkBatch { id: string, peers: string[], chunks: number[] }

export type NoteKind = 'success' | 'error' | 'warning' | 'info'

export interface Note { id: number, at: number, kind: NoteKind, title: string, body: string }
