import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  chunkCount,
  chunkRange,
  chunkSizeFor,
  DEFAULT_CHUNK_SIZE_BYTES,
  MAX_CHUNK_SIZE_BYTES,
  MAX_CHUNKS_PER_MANIFEST,
  MIB,
  MIN_CHUNK_SIZE_BYTES
} from '../../src/content/chunk-size.js'
import { hasCode } from '../../src/errors.js'

const TIB = 1024 * 1024 * MIB
const GIB = 1024 * MIB

describe('chunkSizeFor', () => {
  it('uses the default 1 MiB for files up to ~31 GiB', () => {
    assert.equal(DEFAULT_CHUNK_SIZE_BYTES, MIB)
    assert.equal(chunkSizeFor(0), MIB)
    assert.equal(chunkSizeFor(1), MIB)
    assert.equal(chunkSizeFor(GIB), MIB)
    assert.equal(chunkSizeFor(MAX_CHUNKS_PER_MANIFEST * MIB), MIB)
  })

  it('grows by whole MiB past MAX_CHUNKS_PER_MANIFEST chunks', () => {
    assert.equal(chunkSizeFor(MAX_CHUNKS_PER_MANIFEST * MIB + 1), 2 * MIB)
    assert.equal(chunkSizeFor(100 * GIB), 4 * MIB)
  })

  it('gives a 1 TiB file 33 MiB chunks, 31,776 of them', () => {
    const size = chunkSizeFor(TIB)
    assert.equal(size, 33 * MIB)
    assert.equal(chunkCount(TIB, size), 31_776)
    assert.ok(chunkCount(TIB, size) <= MAX_CHUNKS_PER_MANIFEST)
  })

  it('honours a larger base chunk size', () => {
    assert.equal(chunkSizeFor(GIB, 4 * MIB), 4 * MIB)
    assert.equal(chunkSizeFor(1.5 * MIB, 1.5 * MIB), 1.5 * MIB)
  })

  it('honours a smaller base chunk size while the chunk count allows it', () => {
    assert.equal(chunkSizeFor(100 * MIB, MIN_CHUNK_SIZE_BYTES), MIN_CHUNK_SIZE_BYTES)
    assert.equal(chunkSizeFor(MAX_CHUNKS_PER_MANIFEST * MIN_CHUNK_SIZE_BYTES, MIN_CHUNK_SIZE_BYTES), MIN_CHUNK_SIZE_BYTES)
    assert.equal(chunkSizeFor(MAX_CHUNKS_PER_MANIFEST * MIN_CHUNK_SIZE_BYTES + 1, MIN_CHUNK_SIZE_BYTES), MIB)
  })

  it('rejects bad sizes and files too large to share', () => {
    for (const size of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      assert.throws(() => chunkSizeFor(size), (err) => hasCode(err, 'ERR_INVALID_ARGUMENT'), String(size))
    }
    for (const base of [0, MIN_CHUNK_SIZE_BYTES - 1, MAX_CHUNK_SIZE_BYTES + 1, MIB + 0.5]) {
      assert.throws(() => chunkSizeFor(1, base), (err) => hasCode(err, 'ERR_INVALID_ARGUMENT'), String(base))
    }
    assert.equal(chunkSizeFor(MAX_CHUNKS_PER_MANIFEST * MAX_CHUNK_SIZE_BYTES), MAX_CHUNK_SIZE_BYTES)
    assert.throws(() => chunkSizeFor(MAX_CHUNKS_PER_MANIFEST * MAX_CHUNK_SIZE_BYTES + 1), (err) => hasCode(err, 'ERR_INVALID_ARGUMENT'))
  })
})

describe('chunkCount and chunkRange', () => {
  it('counts chunks, the last one short', () => {
    assert.equal(chunkCount(0, MIB), 0)
    assert.equal(chunkCount(1, MIB), 1)
    assert.equal(chunkCount(MIB, MIB), 1)
    assert.equal(chunkCount(MIB + 1, MIB), 2)
  })

  it('locates every chunk', () => {
    const size = 2 * MIB + 10
    assert.deepEqual(chunkRange(size, MIB, 0), { offset: 0, length: MIB })
    assert.deepEqual(chunkRange(size, MIB, 1), { offset: MIB, length: MIB })
    assert.deepEqual(chunkRange(size, MIB, 2), { offset: 2 * MIB, length: 10 })
    assert.deepEqual(chunkRange(TIB, 33 * MIB, 31_775), { offset: 31_775 * 33 * MIB, length: TIB - 31_775 * 33 * MIB })
  })

  it('rejects indices out of range and bad geometry', () => {
    for (const index of [-1, 3, 1.5, Number.NaN]) {
      assert.throws(() => chunkRange(2 * MIB + 10, MIB, index), (err) => hasCode(err, 'ERR_INVALID_ARGUMENT'), String(index))
    }
    assert.throws(() => chunkRange(0, MIB, 0), (err) => hasCode(err, 'ERR_INVALID_ARGUMENT'))
    assert.throws(() => chunkCount(10, 0), (err) => hasCode(err, 'ERR_INVALID_ARGUMENT'))
    assert.throws(() => chunkCount(-1, MIB), (err) => hasCode(err, 'ERR_INVALID_ARGUMENT'))
  })
})
