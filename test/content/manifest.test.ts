import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { base58btc } from 'multiformats/bases/base58'
import {
  chunkHash,
  createManifest,
  decodeManifest,
  encodeManifest,
  fileIdFromManifestBytes,
  isSafeFileName,
  manifestChunkCount,
  MAX_MANIFEST_BYTES,
  parseFileId,
  verifyManifestBytes,
  type ManifestInit
} from '../../src/content/manifest.js'
import { chunkSizeFor, MIB } from '../../src/content/chunk-size.js'
import { sha256 } from '../../src/content/hash.js'
import { hasCode } from '../../src/errors.js'

const isInvalidManifest = (err: unknown): boolean => hasCode(err, 'ERR_INVALID_MANIFEST')
const isInvalidId = (err: unknown): boolean => hasCode(err, 'ERR_INVALID_ID')

/** Distinct, recognisable digests: chunk i's hash is 32 bytes of value i+1. */
function fakeHashes (count: number): Uint8Array {
  const hashes = new Uint8Array(count * 32)
  for (let i = 0; i < count; i++) hashes.fill((i + 1) % 256, i * 32, (i + 1) * 32)
  return hashes
}

const INIT: ManifestInit = { name: 'holiday photos.tar', size: 2 * MIB + 5, chunkSize: MIB, hashes: fakeHashes(3) }

/** The wire shape with some fields replaced, encoded with dag-cbor. */
function encodeRaw (changes: Record<string, unknown>, drop: string[] = []): Uint8Array {
  const raw: Record<string, unknown> = { v: 1, name: INIT.name, size: INIT.size, chunkSize: INIT.chunkSize, hashes: INIT.hashes, ...changes }
  for (const key of drop) Reflect.deleteProperty(raw, key)
  return dagCbor.encode(raw)
}

describe('isSafeFileName', () => {
  it('accepts ordinary names, Unicode included', () => {
    for (const name of ['a', 'report.pdf', '.hidden', '...', 'été 2024 🎉.mkv', 'x'.repeat(255), 'é'.repeat(127)]) {
      assert.equal(isSafeFileName(name), true, name)
    }
  })

  it('rejects names that could leave a folder or break a terminal', () => {
    const bad: unknown[] = ['', '.', '..', '../x', 'a/b', '/etc/passwd', 'a\\b', '..\\x', 'a\0b', 'a\nb', 'a\u007fb',
      'a\u009bb', 'x'.repeat(256), 'é'.repeat(128), 'lone \ud800 surrogate', 42, null, undefined]
    for (const name of bad) assert.equal(isSafeFileName(name), false, JSON.stringify(name))
  })
})

describe('createManifest', () => {
  it('builds a frozen manifest with copied hashes', () => {
    const hashes = fakeHashes(3)
    const manifest = createManifest({ ...INIT, hashes })
    hashes.fill(0)
    assert.equal(manifest.version, 1)
    assert.equal(manifestChunkCount(manifest), 3)
    assert.deepEqual(chunkHash(manifest, 2), new Uint8Array(32).fill(3))
    assert.ok(Object.isFrozen(manifest))
  })

  it('describes an empty file with no hashes', () => {
    const manifest = createManifest({ name: 'empty', size: 0, chunkSize: MIB, hashes: new Uint8Array(0) })
    assert.equal(manifestChunkCount(manifest), 0)
    assert.deepEqual(decodeManifest(encodeManifest(manifest)), manifest)
  })

  it('rejects every invalid field', () => {
    const bad: Array<Partial<ManifestInit>> = [
      { name: '../x' }, { name: 'a/b' }, { name: '..' }, { name: '' },
      { size: -1 }, { size: 1.5 }, { size: Number.MAX_SAFE_INTEGER + 1 },
      { chunkSize: 1000 }, { chunkSize: 512 * MIB }, { chunkSize: MIB + 0.5 },
      { hashes: fakeHashes(2) }, { hashes: new Uint8Array(3 * 32 + 1) }
    ]
    for (const change of bad) {
      assert.throws(() => createManifest({ ...INIT, ...change }), isInvalidManifest, JSON.stringify(change))
    }
  })

  it('rejects chunk indices out of range', () => {
    const manifest = createManifest(INIT)
    for (const index of [-1, 3, 0.5]) {
      assert.throws(() => chunkHash(manifest, index), (err) => hasCode(err, 'ERR_INVALID_ARGUMENT'))
    }
  })
})

describe('encodeManifest and file IDs', () => {
  it('is deterministic: same input, same bytes, same ID', () => {
    const a = encodeManifest(createManifest(INIT))
    const b = encodeManifest(createManifest({ ...INIT, hashes: fakeHashes(3) }))
    assert.deepEqual(a, b)
    assert.equal(fileIdFromManifestBytes(a), fileIdFromManifestBytes(b))
  })

  it('gives different IDs to different manifests', () => {
    const a = fileIdFromManifestBytes(encodeManifest(createManifest(INIT)))
    const b = fileIdFromManifestBytes(encodeManifest(createManifest({ ...INIT, name: 'other.tar' })))
    assert.notEqual(a, b)
  })

  it('round-trips', () => {
    const manifest = createManifest(INIT)
    assert.deepEqual(decodeManifest(encodeManifest(manifest)), manifest)
  })

  it('makes a CIDv1 dag-cbor sha2-256 ID in base32', () => {
    const bytes = encodeManifest(createManifest(INIT))
    const id = fileIdFromManifestBytes(bytes)
    assert.match(id, /^bafyrei[a-z2-7]{52}$/)
    const cid = parseFileId(id)
    assert.equal(cid.version, 1)
    assert.equal(cid.code, 0x71)
    assert.equal(cid.multihash.code, 0x12)
    assert.deepEqual(cid.multihash.digest, sha256(bytes))
  })

  it('keeps the manifest of a 1 TiB file under 1 MiB', () => {
    const size = 1024 * 1024 * MIB
    const chunkSize = chunkSizeFor(size)
    const manifest = createManifest({ name: 'huge.img', size, chunkSize, hashes: fakeHashes(31_776) })
    const bytes = encodeManifest(manifest)
    assert.ok(bytes.byteLength <= MIB, `${bytes.byteLength} bytes`)
    assert.deepEqual(verifyManifestBytes(fileIdFromManifestBytes(bytes), bytes), manifest)
  })
})

describe('decodeManifest', () => {
  it('rejects bytes that are not a manifest', () => {
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      new Uint8Array([0xff, 0x00, 0x12]),
      dagCbor.encode([1, 2, 3]),
      dagCbor.encode('manifest'),
      dagCbor.encode(null),
      dagCbor.encode(CID.parse(fileIdFromManifestBytes(encodeManifest(createManifest(INIT)))))
    ]
    for (const bytes of bad) assert.throws(() => decodeManifest(bytes), isInvalidManifest)
  })

  it('rejects anything over MAX_MANIFEST_BYTES before parsing it', () => {
    const huge = encodeRaw({ name: 'x', size: 100_000 * 16 * 1024, chunkSize: 16 * 1024, hashes: fakeHashes(100_000) })
    assert.ok(huge.byteLength > MAX_MANIFEST_BYTES)
    assert.throws(() => decodeManifest(huge), isInvalidManifest)
  })

  it('requires exactly the known keys', () => {
    assert.doesNotThrow(() => decodeManifest(encodeRaw({})))
    assert.throws(() => decodeManifest(encodeRaw({ extra: 1 })), isInvalidManifest)
    assert.throws(() => decodeManifest(encodeRaw(JSON.parse('{"__proto__": {"polluted": true}}'))), isInvalidManifest)
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
    for (const key of ['v', 'name', 'size', 'chunkSize', 'hashes']) {
      assert.throws(() => decodeManifest(encodeRaw({}, [key])), isInvalidManifest, key)
    }
  })

  it('rejects wrong versions, types and values', () => {
    const bad: Array<Record<string, unknown>> = [
      { v: 2 }, { v: '1' }, { v: null },
      { name: '../x' }, { name: 'a/b' }, { name: '..' }, { name: '.' }, { name: 'a\\b' }, { name: 'nul\0' }, { name: 7 },
      { name: new TextEncoder().encode('bytes') }, { name: 'x'.repeat(300) },
      { size: -1 }, { size: 2.5 }, { size: '3' }, { size: 2n ** 60n }, { size: MIB },
      { chunkSize: 0 }, { chunkSize: 100 }, { chunkSize: 257 * MIB }, { chunkSize: 1.5 }, { chunkSize: '1048576' },
      { hashes: 'abc' }, { hashes: [1, 2, 3] }, { hashes: fakeHashes(2) }, { hashes: new Uint8Array(97) }
    ]
    for (const change of bad) {
      assert.throws(() => decodeManifest(encodeRaw(change)), isInvalidManifest, String(Object.keys(change)))
    }
  })

  it('rejects non-canonical encodings of a valid manifest', () => {
    const canonical = Buffer.from(encodeManifest(createManifest({ name: 'a', size: 3, chunkSize: MIB, hashes: fakeHashes(1) })))
    // size 3 as a float64 instead of the integer 3
    const sizeInt = Buffer.from('6473697a6503', 'hex')
    const sizeFloat = Buffer.concat([sizeInt.subarray(0, 5), Buffer.from('fb4008000000000000', 'hex')])
    const floatSize = Buffer.from(canonical.toString('hex').replace(sizeInt.toString('hex'), sizeFloat.toString('hex')), 'hex')
    assert.notDeepEqual(floatSize, canonical)
    assert.throws(() => decodeManifest(floatSize), isInvalidManifest)
    // keys out of canonical order: "name" before "v"
    const v = '617601'
    const name = '646e616d656161'
    assert.ok(canonical.toString('hex').startsWith(`a5${v}${name}`))
    const unsorted = Buffer.from(canonical.toString('hex').replace(`a5${v}${name}`, `a5${name}${v}`), 'hex')
    assert.throws(() => decodeManifest(unsorted), isInvalidManifest)
    // size 3 as a one-byte integer (18 03) instead of the immediate 03
    const longSize = Buffer.from(canonical.toString('hex').replace('6473697a6503', '6473697a651803'), 'hex')
    assert.throws(() => decodeManifest(longSize), isInvalidManifest)
  })
})

describe('parseFileId and verifyManifestBytes', () => {
  const bytes = encodeManifest(createManifest(INIT))
  const id = fileIdFromManifestBytes(bytes)

  it('accepts its own IDs and the bytes they name', () => {
    assert.equal(parseFileId(id).toString(), id)
    assert.deepEqual(verifyManifestBytes(id, bytes), createManifest(INIT))
  })

  it('rejects anything that is not a canonical dag-cbor sha2-256 CIDv1', () => {
    const digest = createDigest(0x12, sha256(bytes))
    const bad: unknown[] = [
      '', 'hello', 'x'.repeat(500), id.slice(0, -1), `${id}a`, id.toUpperCase(), ` ${id}`,
      CID.createV1(0x55, digest).toString(), // raw codec
      CID.createV0(digest).toString(), // Qm…
      CID.createV1(0x71, createDigest(0x13, new Uint8Array(64))).toString(), // sha2-512
      CID.createV1(0x71, createDigest(0x12, new Uint8Array(20))).toString(), // short digest
      CID.createV1(0x71, digest).toString(base58btc), // right CID, other base
      42, null
    ]
    for (const value of bad) assert.throws(() => parseFileId(value as string), isInvalidId, String(value))
  })

  it('detects tampered bytes', () => {
    const tampered = new Uint8Array(bytes)
    tampered[tampered.byteLength - 1]! ^= 1
    assert.throws(() => verifyManifestBytes(id, tampered), isInvalidManifest)
    const other = encodeManifest(createManifest({ ...INIT, name: 'evil.sh' }))
    assert.throws(() => verifyManifestBytes(id, other), isInvalidManifest)
    assert.throws(() => verifyManifestBytes(id, bytes.subarray(1)), isInvalidManifest)
  })

  it('rejects a bad ID before looking at the bytes', () => {
    assert.throws(() => verifyManifestBytes('nope', bytes), isInvalidId)
  })

  it('rejects invalid bytes even when they match the ID', () => {
    const garbage = dagCbor.encode({ v: 1, name: '../../etc/passwd', size: 0, chunkSize: MIB, hashes: new Uint8Array(0) })
    assert.throws(() => verifyManifestBytes(fileIdFromManifestBytes(garbage), garbage), isInvalidManifest)
    const oversize = new Uint8Array(MAX_MANIFEST_BYTES + 1)
    assert.throws(() => verifyManifestBytes(fileIdFromManifestBytes(oversize), oversize), isInvalidManifest)
  })
})
