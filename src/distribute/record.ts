/**
 * The distribution record: which peers hold each chunk of a distributed file,
 * signed so that holders can check it came from the uploader (or, for a
 * repair, from one of the holders the uploader chose). Pure: it encodes,
 * decodes, signs and verifies bytes.
 *
 * Trust model.
 * - The uploader's libp2p key is the root of trust. A record names its
 *   `uploader` and its `signer` (peer IDs, which embed their Ed25519 public
 *   keys); the signature is checked against the signer's ID, so another key
 *   cannot speak for a peer ID. Anyone may publish a record for a file, but
 *   then *they* are its uploader: a stranger cannot make a node store data
 *   under someone else's name. (Which uploaders a node accepts pushes from,
 *   and how much of its quota each may take, is the store protocol's policy.)
 * - Version 1 (the root) is signed by the uploader. The uploader may sign any
 *   later version, changing anything but the file, N, the strategy and itself.
 * - A repair update (record-chain.ts, `verifyUpdate`) may also be signed by a
 *   holder: one that holds a chunk in the previous version and is not
 *   replaced. It must chain to that version (`prev` = SHA-256 of its bytes,
 *   `version` + 1), keep the file, N, strategy and uploader, and only replace
 *   holders: every changed chunk keeps at least one of its previous holders
 *   (the copy's source), and no peer removed anywhere is added anywhere. So a
 *   holder can only hand a departed peer's copies to others; it cannot take
 *   over a file, change what the file is, or roll it back.
 * - What a signature cannot prove is that a replaced peer really left. A node
 *   applying a repair update should check that itself (it also watches the
 *   holders, with the same repair delay) before acting on it; a wrongly
 *   replaced peer still holds its copies and keeps serving them, and the
 *   uploader can re-sign the map at any time.
 * - Two holders may sign the same repair at once: the plan is deterministic so
 *   their maps agree, and `preferRecord` picks one the same way everywhere.
 *
 * Encoding: DAG-CBOR, canonical (one record, one byte string). The signed
 * bytes are the UTF-8 tag `shoal-distribution-record-v1`, a zero byte, and
 * the DAG-CBOR body, so a record signature can never be replayed as any other
 * kind of signed message. The map is compact: a sorted table of the peers and,
 * per chunk, N 16-bit indices into it (big-endian, in one byte string).
 */
import * as dagCbor from '@ipld/dag-cbor'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { ShoalError } from '../errors.js'
import { sha256 } from '../content/hash.js'
import type { PlacementStrategy } from './placement.js'
import { decodeRecordBytes, encodeBody, MAX_RECORD_BYTES } from './record-codec.js'

export { MAX_RECORD_BYTES, MAX_RECORD_CHUNKS, MAX_RECORD_PEERS, MAX_RECORD_REPLICAS } from './record-codec.js'

/** Domain-separation tag prefixed to the signed bytes. */
export const RECORD_SIGNING_TAG = 'shoal-distribution-record-v1'

/** A distribution record's content. */
export interface DistributionRecord {
  readonly fileId: string
  readonly replicas: number
  readonly strategy: PlacementStrategy
  /** Holders of each chunk: exactly `replicas` distinct peer IDs per chunk. */
  readonly holders: ReadonlyArray<readonly string[]>
  /** 1 for the uploader's first record, +1 for every update. */
  readonly version: number
  readonly uploader: string
  /** Who signed this version: the uploader, or a holder for a repair. */
  readonly signer: string
  /** SHA-256 of the previous version's bytes; null for version 1. */
  readonly prev: Uint8Array | null
}

/** A record with its signature and its canonical bytes. */
export interface SignedRecord {
  readonly record: DistributionRecord
  readonly signature: Uint8Array
  readonly bytes: Uint8Array
}

/** The first record of a distribution, signed by the uploader. */
export function rootRecord (init: Pick<DistributionRecord, 'fileId' | 'replicas' | 'strategy' | 'holders' | 'uploader'>): DistributionRecord {
  return { ...init, version: 1, signer: init.uploader, prev: null }
}

/** The next version after `previous`, with new holders, to be signed by `signer`. */
export function nextRecord (previous: SignedRecord, holders: ReadonlyArray<readonly string[]>, signer: string): DistributionRecord {
  return { ...previous.record, holders, version: previous.record.version + 1, signer, prev: recordHash(previous.bytes) }
}

/** Signs `record` with `privateKey`, which must be the key of `record.signer`. */
export async function signRecord (record: DistributionRecord, privateKey: PrivateKey): Promise<SignedRecord> {
  const body = encodeBody(record)
  const signerKey = peerIdFromString(record.signer).publicKey
  if (signerKey === undefined || !signerKey.equals(privateKey.publicKey)) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', 'the signing key is not the key of the record\'s signer', { signer: record.signer })
  }
  const signature = await privateKey.sign(signingBytes(body))
  const bytes = dagCbor.encode({ body, sig: signature })
  if (bytes.byteLength > MAX_RECORD_BYTES) {
    throw new ShoalError('ERR_INVALID_RECORD', `the record is ${bytes.byteLength} bytes, more than the ${MAX_RECORD_BYTES} allowed`)
  }
  return { record, signature, bytes }
}

/**
 * Decodes record bytes and checks the signature against the signer's peer
 * ID. Throws ERR_INVALID_RECORD for anything malformed and
 * ERR_INVALID_SIGNATURE for a bad signature. It does not judge whether the
 * signer may sign this version: see `verifyUpdate` / `verifyChain`.
 */
export async function verifyRecord (bytes: Uint8Array): Promise<SignedRecord> {
  const { record, body, signature } = decodeRecordBytes(bytes)
  const key = peerIdFromString(record.signer).publicKey
  let valid = false
  if (key !== undefined) {
    try {
      valid = await key.verify(signingBytes(body), signature)
    } catch (err) {
      throw new ShoalError('ERR_INVALID_SIGNATURE', 'the record signature could not be checked', { signer: record.signer }, { cause: err })
    }
  }
  if (!valid) throw new ShoalError('ERR_INVALID_SIGNATURE', `the record is not signed by its signer ${record.signer}`, { signer: record.signer })
  return { record, signature, bytes }
}

/** SHA-256 of a record's bytes: what the next version's `prev` names. */
export function recordHash (bytes: Uint8Array): Uint8Array {
  return sha256(bytes)
}

/** How many chunks each peer holds, e.g. for `holders` summaries in the API. */
export function holderCounts (record: DistributionRecord): Map<string, number> {
  const counts = new Map<string, number>()
  for (const chunk of record.holders) for (const peer of chunk) counts.set(peer, (counts.get(peer) ?? 0) + 1)
  return counts
}

/** The map as the API and `shoal map --json` show it (issue 10: `GET /api/files/:id/distribution`). */
export interface DistributionView {
  id: string
  replicas: number
  holders: Record<string, number>
  chunks: Array<{ index: number, holders: string[] }>
}

/** The record's map in the shape of `DistributionView`. */
export function distributionView (record: DistributionRecord): DistributionView {
  return {
    id: record.fileId,
    replicas: record.replicas,
    holders: Object.fromEntries(holderCounts(record)),
    chunks: record.holders.map((holders, index) => ({ index, holders: [...holders] }))
  }
}

function signingBytes (body: Uint8Array): Uint8Array {
  return taggedSigningBytes(RECORD_SIGNING_TAG, body)
}

/** What is signed for `body` under `tag`: the tag, a zero byte, the body (so a signature of one kind is never valid as another). */
export function taggedSigningBytes (tagText: string, body: Uint8Array): Uint8Array {
  const tag = new TextEncoder().encode(tagText)
  const out = new Uint8Array(tag.byteLength + 1 + body.byteLength)
  out.set(tag, 0)
  out.set(body, tag.byteLength + 1)
  return out
}
