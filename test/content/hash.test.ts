import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { equalBytes, SHA256_BYTES, sha256, toHex } from '../../src/content/hash.js'

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'

describe('hash', () => {
  it('computes SHA-256 of bytes and of parts', () => {
    const abc = new TextEncoder().encode('abc')
    assert.equal(toHex(sha256(new Uint8Array(0))), EMPTY_SHA256)
    assert.equal(toHex(sha256(abc)), ABC_SHA256)
    assert.equal(toHex(sha256([abc.subarray(0, 1), abc.subarray(1)])), ABC_SHA256)
    assert.equal(toHex(sha256([])), EMPTY_SHA256)
    assert.equal(sha256(abc).byteLength, SHA256_BYTES)
  })

  it('returns plain Uint8Arrays that match node:crypto', () => {
    const data = new Uint8Array(100_000).map((_, i) => i * 7)
    const digest = sha256(data)
    assert.equal(Object.getPrototypeOf(digest), Uint8Array.prototype)
    assert.deepEqual(digest, new Uint8Array(createHash('sha256').update(data).digest()))
  })

  it('compares bytes', () => {
    assert.equal(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true)
    assert.equal(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false)
    assert.equal(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])), false)
    assert.equal(equalBytes(new Uint8Array(0), new Uint8Array(0)), true)
    const big = new Uint8Array([9, 1, 2, 9])
    assert.equal(equalBytes(big.subarray(1, 3), new Uint8Array([1, 2])), true)
  })

  it('formats hex, honouring views', () => {
    assert.equal(toHex(new Uint8Array([0, 15, 255])), '000fff')
    assert.equal(toHex(new Uint8Array([1, 2, 3, 4]).subarray(1, 3)), '0203')
  })
})
