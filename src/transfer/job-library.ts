/**
 * What a download needs from the node's library of files, defined here so
 * that `transfer/` depends on nothing above it: `node/library.ts` implements
 * it (and re-exports these types).
 */
import type { Bitfield } from '../content/bitfield.js'
import type { Manifest } from '../content/manifest.js'

/** Reads chunk bytes of a partial download (verified chunks only). */
export interface PartialReader {
  read: (offset: number, length: number) => Promise<Uint8Array>
}

/** Why a copy stopped being shared. */
export type UnshareReason = 'changed' | 'deleted' | 'corrupt'

/** A copy on this node opened for a download to copy from (see local-source.ts): a complete file on disk, or chunks held for others. */
export interface LocalCopy {
  readonly path: string
  /** The chunks this copy has; every chunk when absent (a complete file). */
  readonly have?: Bitfield
  /** Reads bytes; ERR_FILE_CHANGED once the file changed or went since it was catalogued. */
  read: (offset: number, length: number) => Promise<Buffer>
  /** Stops sharing this copy: it no longer matches (see `unshare`). */
  unshare: (reason: UnshareReason, detail?: string) => void
  close: () => Promise<void>
}

/** Handle a download holds on its registration. */
export interface PartialRegistration {
  /** Announces a newly verified chunk to have-subscribers. */
  announce: (index: number) => void
  unregister: () => void
}

/** The library as a download uses it: serve what it has verified, open local copies, record the result. */
export interface JobLibrary {
  /** Serves the verified chunks of a download in progress to other peers. */
  registerPartial: (id: string, manifest: Manifest, have: Bitfield, reader: PartialReader) => PartialRegistration
  /** A complete, unchanged copy of `id` on this node's disk, other than `exclude`; else the chunks of it held here for others, if any. */
  openCopy: (id: string, exclude?: string) => Promise<LocalCopy | undefined>
  /** Records a finished download as a local copy, served from now on. */
  addDownloaded: (fileId: string, path: string) => Promise<void>
}
