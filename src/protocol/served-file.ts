/**
 * What the protocol handlers need from the node's storage, and nothing more:
 * a file's manifest, which chunks we can serve, the bytes of one chunk, and a
 * way to hear about chunks as they arrive (for have-updates).
 */
import type { Bitfield } from '../content/bitfield.js'
import type { Manifest } from '../content/manifest.js'

/** A file this node can serve, in whole or in part. */
export interface ServedFile {
  readonly id: string
  readonly manifest: Manifest
  readonly manifestBytes: Uint8Array
  /** The chunks held now. The caller must not mutate it. */
  readonly have: Bitfield
  /** Resolves with the chunk's bytes (already verified); rejects with ERR_CHUNK_NOT_AVAILABLE or ERR_FILE_CHANGED. */
  readChunk: (index: number) => Promise<Uint8Array>
  /** Subscribes to newly held chunks; returns the unsubscribe function. */
  onHave: (listener: (index: number) => void) => () => void
}

/** Looks up servable files by ID. */
export interface FileProvider {
  getServedFile: (id: string) => ServedFile | undefined
}
