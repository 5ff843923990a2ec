/**
 * Versions of a distribution record, and who may sign them (the trust model
 * is in record.ts's header). A holder keeps the uploader's root and the
 * repair updates after it; `verifyChain` checks the lot, `verifyUpdate` one
 * new version against the current one, `preferRecord` settles two valid
 * versions the same way on every node.
 */
import { ShoalError } from '../errors.js'
import { compareIds } from './placement.js'
import { equalBytes } from '../content/hash.js'
import { recordHash, verifyRecord, type DistributionRecord, type SignedRecord } from './record.js'
import { decodeRecordBytes } from './record-codec.js'

/** What a chain is checked against: the file and uploader the caller expects, when it knows them. */
export interface ChainExpectations {
  readonly fileId?: string
  readonly uploader?: string
}

/**
 * Verifies a root record (any version, signed by its uploader) followed by
 * updates, each checked against its predecessor. Returns the last version.
 * Throws ERR_INVALID_RECORD (malformed, or not a link of this chain),
 * ERR_INVALID_SIGNATURE (bad signature, or a signer without the right to make
 * the change) or ERR_STALE_MESSAGE (a version that is not newer).
 */
export async function verifyChain (chain: readonly Uint8Array[], expect: ChainExpectations = {}): Promise<SignedRecord> {
  const [rootBytes, ...updates] = chain
  if (rootBytes === undefined) throw new ShoalError('ERR_INVALID_RECORD', 'an empty record chain')
  let current = await verifyRecord(rootBytes)
  const { record } = current
  if (record.signer !== record.uploader) {
    throw new ShoalError('ERR_INVALID_SIGNATURE', 'the first record of a chain must be signed by the uploader', { signer: record.signer, uploader: record.uploader })
  }
  if (expect.fileId !== undefined && record.fileId !== expect.fileId) {
    throw new ShoalError('ERR_INVALID_RECORD', `the record is for file ${record.fileId}, not ${expect.fileId}`)
  }
  if (expect.uploader !== undefined && record.uploader !== expect.uploader) {
    throw new ShoalError('ERR_INVALID_SIGNATURE', `the record's uploader is ${record.uploader}, not ${expect.uploader}`)
  }
  for (const bytes of updates) current = await verifyUpdate(current, bytes)
  return current
}

/**
 * The part of a verified chain a holder keeps: from its last version signed
 * by the uploader on. That version roots the chain by itself (verifyChain
 * takes a root of any version), so the chain stays short however many
 * repairs came before, as long as the uploader re-signs now and then
 * (`RESIGN_CHAIN_LENGTH`).
 */
export function rootChain (chain: readonly Uint8Array[]): Uint8Array[] {
  for (let i = chain.length - 1; i > 0; i--) {
    const { record } = decodeRecordBytes(chain[i] as Uint8Array)
    if (record.signer === record.uploader) return chain.slice(i)
  }
  return [...chain]
}

/** Chain length past which an online uploader re-signs the current map as its own version (well under MAX_STORE_CHAIN_RECORDS). */
export const RESIGN_CHAIN_LENGTH = 4

/**
 * Verifies `bytes` as the version after `previous` (already verified): the
 * signature, the chain link, and the signer's right to make the change.
 */
export async function verifyUpdate (previous: SignedRecord, bytes: Uint8Array): Promise<SignedRecord> {
  const next = await verifyRecord(bytes)
  const prev = previous.record
  const rec = next.record
  if (rec.fileId !== prev.fileId || rec.replicas !== prev.replicas || rec.strategy !== prev.strategy ||
    rec.uploader !== prev.uploader || rec.holders.length !== prev.holders.length) {
    throw new ShoalError('ERR_INVALID_RECORD', 'an update must keep the file, replicas, strategy, uploader and chunk count')
  }
  if (rec.version <= prev.version) {
    throw new ShoalError('ERR_STALE_MESSAGE', `version ${rec.version} is not newer than version ${prev.version}`, { version: rec.version, current: prev.version })
  }
  if (rec.version !== prev.version + 1 || rec.prev === null || !equalBytes(rec.prev, recordHash(previous.bytes))) {
    throw new ShoalError('ERR_INVALID_RECORD', `version ${rec.version} does not chain to version ${prev.version}`)
  }
  if (rec.signer !== rec.uploader) assertRepair(prev, rec)
  return next
}

/**
 * The repair rule for a signer other than the uploader: it holds a chunk in
 * the previous version and is not replaced; at least one chunk changes; each
 * changed chunk keeps one of its previous holders (the copy's source); and no
 * peer removed from any chunk is added to any chunk.
 */
function assertRepair (prev: DistributionRecord, next: DistributionRecord): void {
  const removed = new Set<string>()
  const added = new Set<string>()
  let signerHeld = false
  let changed = 0
  for (let c = 0; c < prev.holders.length; c++) {
    const before = prev.holders[c] as readonly string[]
    const after = next.holders[c] as readonly string[]
    if (before.includes(next.signer)) signerHeld = true
    const gone = before.filter((p) => !after.includes(p))
    if (gone.length === 0) continue
    changed++
    if (gone.length === before.length) throw refused(`a repair replaced every holder of chunk ${c}: there was nothing to copy from`)
    for (const p of gone) removed.add(p)
    for (const p of after) if (!before.includes(p)) added.add(p)
  }
  if (!signerHeld) throw refused(`repair signer ${next.signer} held no chunk of the previous version`)
  if (removed.has(next.signer)) throw refused(`repair signer ${next.signer} replaced itself`)
  if (changed === 0) throw refused('a repair update changes nothing')
  for (const p of added) if (removed.has(p)) throw refused(`peer ${p} is both replaced and added`)
}

/**
 * Of two valid versions of one file's record, the one to keep: the higher
 * version; at equal versions (two holders signed the same repair) the one
 * whose bytes hash lower — the same choice on every node.
 */
export function preferRecord (a: SignedRecord, b: SignedRecord): SignedRecord {
  if (a.record.version !== b.record.version) return a.record.version > b.record.version ? a : b
  const ha = Buffer.from(recordHash(a.bytes)).toString('hex')
  const hb = Buffer.from(recordHash(b.bytes)).toString('hex')
  return compareIds(ha, hb) <= 0 ? a : b
}

function refused (message: string): ShoalError {
  return new ShoalError('ERR_INVALID_SIGNATURE', message)
}
