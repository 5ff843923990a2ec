import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { BufferPool } from '../../src/transfer/buffer-pool.js'
import { CHUNK_MEMORY_BUDGET_BYTES, MIN_CHUNK_BUDGET, chunkBudget } from '../../src/transfer/chunk-budget.js'

const MIB = 1024 * 1024

describe('BufferPool', () => {
  it('hands out buffers of the exact length that own their memory', () => {
    const pool = new BufferPool(() => 4)
    const b = pool.acquire(1000)
    assert.equal(b.byteLength, 1000)
    assert.equal(b.byteOffset, 0)
    assert.equal(b.buffer.byteLength, 1000)
  })

  it('reuses released buffers of the same length only', () => {
    const pool = new BufferPool(() => 4)
    const a = pool.acquire(1000)
    pool.release(a)
    assert.notEqual(pool.acquire(2000), a)
    assert.equal(pool.acquire(1000), a)
    assert.notEqual(pool.acquire(1000), a)
  })

  it('keeps at most maxFree(length) idle buffers of each length', () => {
    const pool = new BufferPool((length) => length === 100 ? 2 : 1)
    const small = [pool.acquire(100), pool.acquire(100), pool.acquire(100)]
    const big = [pool.acquire(200), pool.acquire(200)]
    for (const b of [...small, ...big]) pool.release(b)
    const again = new Set([pool.acquire(100), pool.acquire(100), pool.acquire(100)])
    assert.equal(small.filter(b => again.has(b)).length, 2)
    const bigAgain = new Set([pool.acquire(200), pool.acquire(200)])
    assert.equal(big.filter(b => bigAgain.has(b)).length, 1)
  })

  it('ignores views into a larger buffer', () => {
    const pool = new BufferPool(() => 4)
    const view = Buffer.allocUnsafeSlow(2000).subarray(0, 1000)
    pool.release(view)
    assert.notEqual(pool.acquire(1000), view)
  })
})

describe('chunkBudget', () => {
  it('fits the memory budget, and never fewer than MIN_CHUNK_BUDGET chunks', () => {
    assert.equal(chunkBudget(MIB), CHUNK_MEMORY_BUDGET_BYTES / MIB)
    assert.equal(chunkBudget(16 * 1024), CHUNK_MEMORY_BUDGET_BYTES / (16 * 1024))
    assert.equal(chunkBudget(3 * MIB) * 3 * MIB <= CHUNK_MEMORY_BUDGET_BYTES, true)
    assert.equal(chunkBudget(256 * MIB), MIN_CHUNK_BUDGET)
    assert.equal(chunkBudget(0), CHUNK_MEMORY_BUDGET_BYTES)
  })
})
