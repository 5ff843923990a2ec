/**
 * The manifest: what a file is (name, size, chunk size, chunk hashes), encoded
 * deterministically as DAG-CBOR so that the same file gives the same bytes —
 * and so the same file ID (a CIDv1 of those bytes) — on every machine.
 *
 * Manifests arrive from strangers, so decoding is strict: a size cap before
 * anything is parsed, an exact key set, exact types, a hash list whose length
 * matches the geometry, a name that passes the file name rule
 * (./file-name.ts: it cannot leave a download folder, hide behind bidi or
 * control characters, or pose as a download's own files), and bytes
 * that are the canonical encoding of what they decode to (one manifest, one
 * byte string, one ID).
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 as sha256Hasher } from 'multiformats/hashes/sha2'
import { ShoalError, hasCode } from '../errors.js'
import { assertChunkSize, chunkCount, MIB } from './chunk-size.js'
import { equalBytes, SHA256_BYTES, sha256 } from './hash.js'
import { assertSafeFileName } from './file-name.js'

// The name rule lives in its own module; these stay importable from here.
export { isSafeFileName, MAX_FILE_NAME_BYTES } from './file-name.js'

/** Largest encoded manifest accepted (a 1 TiB file needs ~1 MiB). */
export const MAX_MANIFEST_BYTES = 2 * MIB

/** Multicodec of DAG-CBOR, the manifest's encoding. */
const DAG_CBOR_CODE = dagCbor.code

/** Multihash code of SHA2-256. */
const SHA2_256_CODE = sha256Hasher.code

/** Longest string worth parsing as a file ID (a canonical one is 59 characters). */
const MAX_FILE_ID_CHARS = 128

/** A file's description; `hashes` is every chunk's SHA-256, concatenated in chunk order. */
export interface Manifest {
  readonly version: 1
  readonly name: string
  readonly size: number
  readonly chunkSize: number
  readonly hashes: Uint8Array
}

/** What `createManifest` needs. */
export interface ManifestInit {
  name: string
  size: number
  chunkSize: number
  hashes: Uint8Array
}

/** The manifest's wire shape; keys are short but explicit and versioned by `v`. */
interface EncodedManifest {
  v: 1
  name: string
  size: number
  chunkSize: number
  hashes: Uint8Array
}

const ENCODED_KEYS = ['chunkSize', 'hashes', 'name', 'size', 'v'] as const

/** Builds a manifest; throws ERR_INVALID_MANIFEST when any field is invalid. The hashes are copied. */
export function createManifest (init: ManifestInit): Manifest {
  validateFields(init.name, init.size, init.chunkSize, init.hashes)
  return Object.freeze({
    version: 1,
    name: init.name,
    size: init.size,
    chunkSize: init.chunkSize,
    hashes: new Uint8Array(init.hashes)
  })
}

/** Number of chunks the manifest describes. */
export function manifestChunkCount (manifest: Manifest): number {
  return manifest.hashes.byteLength / SHA256_BYTES
}

/** The SHA-256 of chunk `index` (a view into the manifest, not a copy). */
export function chunkHash (manifest: Manifest, index: number): Uint8Array {
  const count = manifestChunkCount(manifest)
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `chunk index ${String(index)} is out of range (0..${count - 1})`, { index, count })
  }
  return manifest.hashes.subarray(index * SHA256_BYTES, (index + 1) * SHA256_BYTES)
}

/** The manifest's canonical DAG-CBOR bytes: equal manifests give equal bytes. */
export function encodeManifest (manifest: Manifest): Uint8Array {
  validateFields(manifest.name, manifest.size, manifest.chunkSize, manifest.hashes)
  const encoded: EncodedManifest = {
    v: 1,
    name: manifest.name,
    size: manifest.size,
    chunkSize: manifest.chunkSize,
    hashes: manifest.hashes
  }
  return dagCbor.encode(encoded)
}

/** Decodes and strictly validates manifest bytes; throws ERR_INVALID_MANIFEST on anything amiss. */
export function decodeManifest (bytes: Uint8Array): Manifest {
  assertManifestSize(bytes)
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new ShoalError('ERR_INVALID_MANIFEST', `manifest is not valid DAG-CBOR: ${(err as Error).message}`, {}, { cause: err })
  }
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) {
    throw invalid('manifest is not a map')
  }
  const record = value as Record<string, unknown>
  const keys = Object.keys(record).sort()
  if (keys.length !== ENCODED_KEYS.length || keys.some((key, i) => key !== ENCODED_KEYS[i])) {
    throw invalid(`manifest keys must be exactly ${ENCODED_KEYS.join(', ')}`, { keys })
  }
  if (record.v !== 1) throw invalid(`unsupported manifest version: ${String(record.v)}`)
  const manifest = createManifest(record as unknown as ManifestInit)
  // Decoding is lenient about some encodings (floats for integers, key order);
  // requiring the canonical bytes keeps one manifest ↔ one file ID.
  if (!equalBytes(encodeManifest(manifest), bytes)) throw invalid('manifest bytes are not canonical DAG-CBOR')
  return manifest
}

/** The file ID of manifest bytes: a CIDv1 (dag-cbor, sha2-256) in its canonical base32 form ("bafy…"). */
export function fileIdFromManifestBytes (bytes: Uint8Array): string {
  return CID.createV1(DAG_CBOR_CODE, createDigest(SHA2_256_CODE, sha256(bytes))).toString()
}

/**
 * Parses a file ID. Only the canonical base32 string of a CIDv1 with codec
 * dag-cbor and a 32-byte sha2-256 multihash is accepted, so IDs can be
 * compared as strings. Throws ERR_INVALID_ID otherwise.
 */
export function parseFileId (id: string): CID {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_FILE_ID_CHARS) {
    throw new ShoalError('ERR_INVALID_ID', 'not a file ID', { id: String(id).slice(0, MAX_FILE_ID_CHARS) })
  }
  let cid: CID
  try {
    cid = CID.parse(id)
  } catch (err) {
    throw new ShoalError('ERR_INVALID_ID', `not a file ID: ${id}`, { id }, { cause: err })
  }
  if (cid.version !== 1 || cid.code !== DAG_CBOR_CODE || cid.multihash.code !== SHA2_256_CODE ||
    cid.multihash.size !== SHA256_BYTES || cid.toString() !== id) {
    throw new ShoalError('ERR_INVALID_ID', `not a Shoal file ID (CIDv1, dag-cbor, sha2-256, base32): ${id}`, { id })
  }
  return cid
}

/**
 * Checks that `bytes` are the manifest named by `id` and decodes them. Throws
 * ERR_INVALID_ID for a bad ID and ERR_INVALID_MANIFEST when the bytes do not
 * hash to it or are not a valid manifest. In the second case the bytes are
 * the ones the ID names, so the ID itself designates an invalid file: the
 * error says so (see `namesInvalidManifest`) and no other peer can do better.
 */
export function verifyManifestBytes (id: string, bytes: Uint8Array): Manifest {
  const expected = parseFileId(id)
  assertManifestSize(bytes)
  if (!equalBytes(sha256(bytes), expected.multihash.digest)) {
    throw invalid('manifest bytes do not match the file ID', { id })
  }
  try {
    return decodeManifest(bytes)
  } catch (err) {
    const e = err as ShoalError
    throw new ShoalError('ERR_INVALID_MANIFEST', `${id} names an invalid manifest: ${e.message}`, { ...e.details, id, [ID_NAMES_INVALID]: true }, { cause: err })
  }
}

/** Detail key set on the error of a manifest that matches its ID but is invalid. */
const ID_NAMES_INVALID = 'idNamesInvalidManifest'

/**
 * True for the error `verifyManifestBytes` throws when the bytes matched the
 * ID but were not a valid manifest: the ID is bad, whoever is asked, so a
 * search for the manifest should stop rather than ask other peers.
 */
export function namesInvalidManifest (err: unknown): boolean {
  return hasCode(err, 'ERR_INVALID_MANIFEST') && (err as ShoalError).details?.[ID_NAMES_INVALID] === true
}

function assertManifestSize (bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array)) throw invalid('manifest must be bytes')
  if (bytes.byteLength > MAX_MANIFEST_BYTES) {
    throw invalid(`manifest is ${bytes.byteLength} bytes, more than the ${MAX_MANIFEST_BYTES} allowed`, { bytes: bytes.byteLength })
  }
}

function validateFields (name: unknown, size: unknown, chunkSize: unknown, hashes: unknown): void {
  assertSafeFileName(name, 'ERR_INVALID_MANIFEST', 'manifest name')
  if (!Number.isSafeInteger(size) || (size as number) < 0) throw invalid(`invalid manifest size: ${String(size)}`)
  assertChunkSize(chunkSize, 'ERR_INVALID_MANIFEST')
  if (!(hashes instanceof Uint8Array)) throw invalid('manifest hashes must be bytes')
  const expected = SHA256_BYTES * chunkCount(size as number, chunkSize)
  if (hashes.byteLength !== expected) {
    throw invalid(`manifest hashes are ${hashes.byteLength} bytes, expected ${expected}`, { expected, actual: hashes.byteLength })
  }
}

function invalid (message: string, details: Record<string, unknown> = {}): ShoalError {
  return new ShoalError('ERR_INVALID_MANIFEST', message, details)
}
