/**
 * The distribution record's wire form (see record.ts for the model): a
 * DAG-CBOR envelope `{ body: bytes, sig: bytes }` whose body is the DAG-CBOR
 * map below. Records come from other peers, so decoding is strict: a byte cap
 * before parsing, caps on every count, an exact key set, exact types, a
 * sorted peer table with every entry used, distinct holders per chunk, and
 * bytes that are the canonical encoding of what they decode to.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { peerIdFromString } from '@libp2p/peer-id'
import { ShoalError } from '../errors.js'
import { parseFileId } from '../content/manifest.js'
import { equalBytes, SHA256_BYTES } from '../content/hash.js'
import { compareIds, isPlacementStrategy } from './placement.js'
import { MAX_RECORD_REPLICAS } from './replicas.js'
import type { DistributionRecord } from './record.js'

/** Largest encoded record accepted (1 M chunks × 2 replicas × 2 bytes, plus a large peer table). */
export const MAX_RECORD_BYTES = 8 * 1024 * 1024

/** Most chunks a record may describe (a 1 TiB file at its ~32 MiB chunks has 32 Ki). */
export const MAX_RECORD_CHUNKS = 1 << 20

/** Most peers in a record's table (indices are 16-bit). */
export const MAX_RECORD_PEERS = 0xffff

export { MAX_RECORD_REPLICAS }

/** Longest signature accepted (Ed25519's is 64 bytes; secp256k1 DER ≤ 72). */
const MAX_SIGNATURE_BYTES = 512

/** Longest peer ID string worth parsing (an Ed25519 one is 52 characters). */
const MAX_PEER_ID_CHARS = 128

/** The body's wire shape. */
type EncodedBody = {
  v: 1
  file: string
  n: number
  strategy: string
  chunks: number
  peers: string[]
  holders: Uint8Array
  version: number
  uploader: string
  signer: string
  prev: Uint8Array | null
}

const BODY_KEYS = ['chunks', 'file', 'holders', 'n', 'peers', 'prev', 'signer', 'strategy', 'uploader', 'v', 'version'] as const
const ENVELOPE_KEYS = ['body', 'sig'] as const

/** The canonical body bytes of `record`; throws ERR_INVALID_RECORD when it is not a valid record. */
export function encodeBody (record: DistributionRecord): Uint8Array {
  const n = record.replicas
  if (!Array.isArray(record.holders) || !record.holders.every((h) => Array.isArray(h) && h.length === n && h.every((p) => typeof p === 'string'))) {
    throw invalid(`every chunk needs exactly ${String(n)} holder peer IDs`)
  }
  const peers = [...new Set(record.holders.flat())].sort(compareIds)
  const index = new Map(peers.map((p, i) => [p, i]))
  const holders = new Uint8Array(record.holders.length * n * 2)
  const view = new DataView(holders.buffer)
  let offset = 0
  for (const chunk of record.holders) {
    for (const peer of chunk) {
      view.setUint16(offset, index.get(peer) ?? 0)
      offset += 2
    }
  }
  const body: EncodedBody = {
    v: 1,
    file: record.fileId,
    n,
    strategy: record.strategy,
    chunks: record.holders.length,
    peers,
    holders,
    version: record.version,
    uploader: record.uploader,
    signer: record.signer,
    prev: record.prev
  }
  validateBody(body)
  return dagCbor.encode(body)
}

/** Decodes and validates an envelope; the signature is not checked here. */
export function decodeRecordBytes (bytes: Uint8Array): { record: DistributionRecord, body: Uint8Array, signature: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) throw invalid('a record must be bytes')
  if (bytes.byteLength > MAX_RECORD_BYTES) throw invalid(`the record is ${bytes.byteLength} bytes, more than the ${MAX_RECORD_BYTES} allowed`)
  const envelope = decodeMap(bytes, ENVELOPE_KEYS, 'record')
  const body = envelope.body
  const signature = envelope.sig
  if (!(body instanceof Uint8Array) || !(signature instanceof Uint8Array)) throw invalid('record body and signature must be bytes')
  if (signature.byteLength === 0 || signature.byteLength > MAX_SIGNATURE_BYTES) throw invalid('record signature has an impossible length')
  const fields = decodeMap(body, BODY_KEYS, 'record body')
  const record = validateBody(fields)
  // Fields of exactly the right types re-encode canonically, so this proves
  // the input was the canonical encoding: one record, one byte string.
  if (!equalBytes(dagCbor.encode({ body, sig: signature }), bytes) || !equalBytes(dagCbor.encode(fields), body)) {
    throw invalid('record bytes are not canonical DAG-CBOR')
  }
  return { record, body, signature }
}

function decodeMap (bytes: Uint8Array, keys: readonly string[], what: string): Record<string, unknown> {
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new ShoalError('ERR_INVALID_RECORD', `${what} is not valid DAG-CBOR: ${(err as Error).message}`, {}, { cause: err })
  }
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) throw invalid(`${what} is not a map`)
  const map = value as Record<string, unknown>
  const actual = Object.keys(map).sort()
  if (actual.length !== keys.length || actual.some((k, i) => k !== keys[i])) throw invalid(`${what} keys must be exactly ${keys.join(', ')}`)
  return map
}

/** Checks every field of a body (decoded or about to be encoded) and expands its map. */
function validateBody (b: Record<string, unknown>): DistributionRecord {
  if (b.v !== 1) throw invalid(`unsupported record version: ${String(b.v)}`)
  try {
    parseFileId(b.file as string)
  } catch (err) {
    throw new ShoalError('ERR_INVALID_RECORD', 'record file ID is not a file ID', {}, { cause: err })
  }
  const n = b.n
  if (!isCount(n, 1, MAX_RECORD_REPLICAS)) throw invalid(`record replicas must be 1..${MAX_RECORD_REPLICAS}`)
  if (!isPlacementStrategy(b.strategy)) throw invalid(`unknown placement strategy: ${String(b.strategy).slice(0, 40)}`)
  if (!isCount(b.chunks, 0, MAX_RECORD_CHUNKS)) throw invalid(`record chunk count must be 0..${MAX_RECORD_CHUNKS}`)
  if (!isCount(b.version, 1, Number.MAX_SAFE_INTEGER)) throw invalid('record version must be an integer ≥ 1')
  const uploader = peerIdWithKey(b.uploader, 'uploader')
  const signer = peerIdWithKey(b.signer, 'signer')
  if (b.version === 1 ? b.prev !== null : !(b.prev instanceof Uint8Array && b.prev.byteLength === SHA256_BYTES)) {
    throw invalid('record prev must be null for version 1 and a SHA-256 otherwise')
  }
  const peers = b.peers
  if (!Array.isArray(peers) || peers.length > MAX_RECORD_PEERS) throw invalid(`record peer table must be an array of at most ${MAX_RECORD_PEERS}`)
  for (let i = 0; i < peers.length; i++) {
    canonicalPeerId(peers[i], 'holder')
    if (i > 0 && compareIds(peers[i - 1] as string, peers[i] as string) >= 0) throw invalid('record peer table must be sorted and without duplicates')
  }
  const holders = b.holders
  const chunks = b.chunks as number
  if (!(holders instanceof Uint8Array) || holders.byteLength !== chunks * n * 2) throw invalid('record holder indices have the wrong length')
  const view = new DataView(holders.buffer, holders.byteOffset, holders.byteLength)
  const used = new Uint8Array(peers.length)
  const map: string[][] = []
  for (let c = 0; c < chunks; c++) {
    const chunk: string[] = []
    for (let r = 0; r < n; r++) {
      const i = view.getUint16((c * n + r) * 2)
      if (i >= peers.length) throw invalid(`chunk ${c} names peer ${i}, past the table`)
      const peer = peers[i] as string
      if (chunk.includes(peer)) throw invalid(`chunk ${c} names peer ${peer} twice`)
      used[i] = 1
      chunk.push(peer)
    }
    map.push(chunk)
  }
  if (used.includes(0)) throw invalid('record peer table lists a peer that holds nothing')
  return {
    fileId: b.file as string,
    replicas: n,
    strategy: b.strategy,
    holders: map,
    version: b.version as number,
    uploader,
    signer,
    prev: b.prev as Uint8Array | null
  }
}

function isCount (value: unknown, min: number, max: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max
}

function canonicalPeerId (value: unknown, what: string): ReturnType<typeof peerIdFromString> {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PEER_ID_CHARS) throw invalid(`record ${what} is not a peer ID`)
  let id: ReturnType<typeof peerIdFromString>
  try {
    id = peerIdFromString(value)
  } catch (err) {
    throw new ShoalError('ERR_INVALID_RECORD', `record ${what} is not a peer ID: ${value}`, {}, { cause: err })
  }
  if (id.toString() !== value) throw invalid(`record ${what} is not a canonical peer ID: ${value}`)
  return id
}

/** A peer ID that embeds its public key (Ed25519 or secp256k1), so signatures can be checked against it. */
function peerIdWithKey (value: unknown, what: string): string {
  const id = canonicalPeerId(value, what)
  if (id.publicKey === undefined) throw invalid(`record ${what} ${String(value)} does not embed a public key`)
  return value as string
}

function invalid (message: string): ShoalError {
  return new ShoalError('ERR_INVALID_RECORD', message)
}
