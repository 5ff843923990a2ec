/**
 * Fuzzing what strangers and users hand to a node as content descriptions:
 * manifests (DAG-CBOR from any peer: random bytes, mutated valid manifests,
 * well-typed maps with hostile values, CBOR headers claiming 4 GiB) and share
 * links or IDs (random text, mutated valid links). Outcomes: a valid result
 * that re-encodes to the same bytes / fields, or a coded error.
 */
import '../../src/polyfill.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import * as dagCbor from '@ipld/dag-cbor'
import { createManifest, decodeManifest, encodeManifest, fileIdFromManifestBytes, isSafeFileName, parseFileId, verifyManifestBytes } from '../../src/content/manifest.js'
import { MAX_LINK_PEERS, formatLink, parseTarget } from '../../src/content/link.js'
import { MIB } from '../../src/content/chunk-size.js'
import { check, mutated, outcome } from './fuzz.js'

const MANIFEST = ['ERR_INVALID_MANIFEST']

/** Valid manifests of small files (hash lists stay short). */
const validManifest = fc.record({
  name: fc.string({ minLength: 1, maxLength: 40 }).filter(isSafeFileName),
  chunkSize: fc.constantFrom(16 * 1024, 64 * 1024, MIB),
  chunks: fc.nat({ max: 6 })
}).chain(({ name, chunkSize, chunks }) => fc.record({
  name: fc.constant(name),
  chunkSize: fc.constant(chunkSize),
  size: chunks === 0 ? fc.constant(0) : fc.integer({ min: (chunks - 1) * chunkSize + 1, max: chunks * chunkSize }),
  hashes: fc.uint8Array({ minLength: chunks * 32, maxLength: chunks * 32 })
})).map(init => createManifest(init))

const validBytes = validManifest.map(m => encodeManifest(m))

/** A value that is almost what a field should be, or not at all. */
const hostileValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('..', '.', '', 'a/b', 'a\\b', 'x\u0000y', '\u202egnp.exe', '.hidden', 'x'.repeat(256), 'é'.repeat(128)),
  fc.integer(), fc.double(), fc.constantFrom(-1, 0, 1, 2 ** 53, Number.MAX_SAFE_INTEGER, 16 * 1024, MIB, 256 * MIB + 1),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.uint8Array({ maxLength: 100 }), fc.boolean(), fc.constant(null),
  fc.array(fc.nat(), { maxLength: 3 })
)
const KEYS = ['v', 'name', 'size', 'chunkSize', 'hashes', 'extra', '__proto__']
const hostileMap = fc.dictionary(fc.constantFrom(...KEYS), hostileValue, { maxKeys: 7 })

/** Checks a decoded manifest is one the encoder would have produced from `bytes`. */
function assertCanonical (bytes: Uint8Array, result: ReturnType<typeof outcome<ReturnType<typeof decodeManifest>>>): void {
  if (!result.ok) return
  assert.ok(isSafeFileName(result.value.name))
  assert.deepEqual(Buffer.from(encodeManifest(result.value)), Buffer.from(bytes))
}

describe('fuzz: manifest decoder', () => {
  it('random bytes: a canonical manifest or ERR_INVALID_MANIFEST', async () => {
    await check(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      assertCanonical(bytes, outcome(() => decodeManifest(bytes), MANIFEST))
    }), 300)
  })

  it('mutated valid manifests: a canonical manifest or ERR_INVALID_MANIFEST', async () => {
    await check(fc.property(mutated(validBytes), (bytes) => {
      assertCanonical(bytes, outcome(() => decodeManifest(bytes), MANIFEST))
    }), 300)
  })

  it('maps with hostile keys and values: a canonical manifest or ERR_INVALID_MANIFEST', async () => {
    await check(fc.property(hostileMap, (map) => {
      let bytes: Uint8Array
      try {
        bytes = dagCbor.encode(map)
      } catch {
        return // not encodable as DAG-CBOR (e.g. a float like NaN): nothing a peer could send either
      }
      assertCanonical(bytes, outcome(() => decodeManifest(bytes), MANIFEST))
    }), 300)
  })

  it('valid manifests round-trip, and verify against their own ID only', async () => {
    await check(fc.property(validBytes, mutated(validBytes), (bytes, other) => {
      const id = fileIdFromManifestBytes(bytes)
      assert.deepEqual(Buffer.from(encodeManifest(verifyManifestBytes(id, bytes))), Buffer.from(bytes))
      const result = outcome(() => verifyManifestBytes(id, other), MANIFEST)
      if (result.ok) assert.deepEqual(Buffer.from(other), Buffer.from(bytes))
    }), 100)
  })

  it('CBOR headers claiming up to 4 GiB of bytes, text, items or entries fail at once without allocating', async () => {
    const before = process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed
    // major types: 2 byte string, 3 text, 4 array, 5 map; additional info 26 = 4-byte length, 27 = 8-byte
    await check(fc.property(fc.constantFrom(2, 3, 4, 5), fc.integer({ min: 1 << 20, max: 0xffffffff }), fc.uint8Array({ maxLength: 8 }), fc.boolean(), (major, claimed, tail, nested) => {
      const header = Buffer.alloc(5)
      header[0] = (major << 5) | 26
      header.writeUInt32BE(claimed, 1)
      // Also as the value of a valid-looking key: { v: <huge thing> }
      const prefix = nested ? Buffer.from([0xa1, 0x61, 0x76]) : Buffer.alloc(0)
      const bytes = Buffer.concat([prefix, header, tail])
      assert.equal(outcome(() => decodeManifest(bytes), MANIFEST).ok, false)
    }), 100)
    const after = process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed
    assert.ok(after - before < 256 * MIB, `grew by ${Math.round((after - before) / MIB)} MiB`)
  })
})

describe('fuzz: file IDs and share links', () => {
  it('random strings as file IDs: the canonical ID itself or ERR_INVALID_ID', async () => {
    const input = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.stringMatching(/^b[a-z2-7]{58}$/), validBytes.map(fileIdFromManifestBytes).chain(id => fc.constantFrom(id, id.toUpperCase(), ` ${id}`, id.slice(0, -1))))
    await check(fc.property(input, (id) => {
      const result = outcome(() => parseFileId(id), ['ERR_INVALID_ID'])
      if (result.ok) assert.equal(result.value.toString(), id)
    }), 300)
  })

  const validLink = fc.record({
    manifest: validManifest,
    peers: fc.array(fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([ip, port]) => `/ip4/${ip}/tcp/${port}`), { maxLength: 3 })
  }).map(({ manifest, peers }) => formatLink({ id: fileIdFromManifestBytes(encodeManifest(manifest)), name: manifest.name, size: manifest.size, peers }))

  /** Text edits of a string: replaced, inserted and deleted characters. */
  const mutatedText = fc.tuple(validLink, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 4 })), { minLength: 1, maxLength: 3 }))
    .map(([link, edits]) => edits.reduce((s, [at, kind, text]) => {
      const i = at % (s.length + 1)
      return kind === 0 ? s.slice(0, i) + text + s.slice(i + 1) : kind === 1 ? s.slice(0, i) + text + s.slice(i) : s.slice(0, i) + s.slice(i + text.length)
    }, link))

  const linkShaped = fc.tuple(fc.constantFrom('shoal://', 'SHOAL://', 'shoal:', 'http://', ''), validBytes.map(fileIdFromManifestBytes), fc.array(fc.tuple(fc.constantFrom('name', 'size', 'peer', 'x'), fc.string({ unit: 'binary', maxLength: 20 })), { maxLength: 20 }))
    .map(([scheme, id, params]) => scheme + id + (params.length === 0 ? '' : '?' + params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')))

  it('random, link-shaped and mutated links: a valid target or ERR_INVALID_LINK / ERR_INVALID_ID', async () => {
    const input = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), linkShaped, mutatedText)
    await check(fc.property(input, (text) => {
      const result = outcome(() => parseTarget(text), ['ERR_INVALID_LINK', 'ERR_INVALID_ID'])
      if (!result.ok) return
      const t = result.value
      assert.equal(parseFileId(t.id).toString(), t.id)
      if (t.name !== undefined) assert.ok(isSafeFileName(t.name))
      if (t.size !== undefined) assert.ok(Number.isSafeInteger(t.size) && t.size >= 0)
      assert.ok(t.peers.length <= MAX_LINK_PEERS)
    }), 400)
  })

  it('valid links round-trip through parseTarget', async () => {
    await check(fc.property(validLink, (link) => {
      const t = parseTarget(link)
      assert.equal(formatLink(t), link)
    }), 100)
  })
})
