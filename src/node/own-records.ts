/**
 * The uploader's side of distribution records: for every file this node
 * distributed, the record chain it keeps (its own signed version, then any
 * repair updates holders sent back) and whether the push finished. One JSON
 * file per distributed file in `<dataDir>/distributions/`, written to a temp
 * file and renamed, synchronously: the pusher persists a version before it
 * pushes under it, so a node killed mid-push restarts with the exact record
 * its holders were told about and resumes it (`previous`), copying only the
 * chunks still missing.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { logger } from '../util/log.js'
import { verifyChain } from '../distribute/record-chain.js'
import type { SignedRecord } from '../distribute/record.js'

const log = logger('own-records')

/** Folder of the data dir holding the uploader's records. */
export const DISTRIBUTIONS_DIR = 'distributions'
const SUFFIX = '.json'

/** One file this node distributed. */
export interface OwnDistribution {
  readonly fileId: string
  /** The chain: an uploader-signed version (this node's), then repair updates. */
  readonly chain: readonly Uint8Array[]
  /** The chain's last version, verified. */
  readonly record: SignedRecord
  /** Every chunk had its copies when this was written. */
  readonly done: boolean
}

interface Stored { chain: string[], done: boolean }

/** The records of the files this node distributed, kept on disk. */
export class OwnRecords {
  readonly #dir: string
  readonly #files = new Map<string, OwnDistribution>()

  private constructor (dir: string) {
    this.#dir = dir
  }

  /** Loads every record in `<dataDir>/distributions/`, re-verified; one that no longer verifies is dropped. */
  static async open (dataDir: string): Promise<OwnRecords> {
    const records = new OwnRecords(join(dataDir, DISTRIBUTIONS_DIR))
    mkdirSync(records.#dir, { recursive: true })
    for (const name of readdirSync(records.#dir)) {
      const path = join(records.#dir, name)
      if (!name.endsWith(SUFFIX)) {
        rmSync(path, { force: true }) // a temp file of a write the node did not finish
        continue
      }
      const fileId = name.slice(0, -SUFFIX.length)
      try {
        const stored = JSON.parse(readFileSync(path, 'utf8')) as Stored
        const chain = stored.chain.map((b) => new Uint8Array(Buffer.from(b, 'base64')))
        const record = await verifyChain(chain, { fileId })
        records.#files.set(fileId, { fileId, chain, record, done: stored.done === true })
      } catch (err) {
        log.error('dropping the distribution record of %s: %s', fileId, err)
        rmSync(path, { force: true })
      }
    }
    return records
  }

  get (fileId: string): OwnDistribution | undefined {
    return this.#files.get(fileId)
  }

  list (): OwnDistribution[] {
    return [...this.#files.values()]
  }

  /** Keeps `chain` (verified by the caller; its last version is `record`) for its file. */
  put (chain: readonly Uint8Array[], record: SignedRecord, done: boolean): void {
    const fileId = record.record.fileId
    const path = join(this.#dir, fileId + SUFFIX)
    const temp = `${path}.${process.pid}.tmp`
    const stored: Stored = { chain: chain.map((b) => Buffer.from(b).toString('base64')), done }
    writeFileSync(temp, JSON.stringify(stored))
    renameSync(temp, path)
    this.#files.set(fileId, { fileId, chain: [...chain], record, done })
  }

  /** Forgets a file's record (released everywhere). */
  remove (fileId: string): void {
    rmSync(join(this.#dir, fileId + SUFFIX), { force: true })
    this.#files.delete(fileId)
  }
}
