import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ChunkTable } from '../../src/transfer/chunk-table.js'

/** The peers `index` is requested from, in the order asked. */
const holders = (t: ChunkTable, index: number): number[] => Array.from({ length: t.holderCount(index) }, (_, n) => t.holder(index, n))

describe('ChunkTable', () => {
  it('names only integer chunks in range', () => {
    const t = new ChunkTable(4)
    assert.equal(t.length, 4)
    assert.deepEqual([0, 3].map(i => t.has(i)), [true, true])
    assert.deepEqual([-1, 4, 1.5, NaN, Infinity].map(i => t.has(i)), [false, false, false, false, false])
  })

  it('keeps the peers a chunk is requested from, first and copies, in the order asked', () => {
    const t = new ChunkTable(2)
    assert.deepEqual(holders(t, 0), [])
    assert.equal(t.isHeldBy(0, 7), false)
    t.addHolder(0, 7)
    t.addHolder(0, 7)
    assert.deepEqual(holders(t, 0), [7], 'a peer is a holder once')
    t.addHolder(0, 8)
    t.addHolder(0, 9)
    t.addHolder(0, 8)
    assert.deepEqual(holders(t, 0), [7, 8, 9])
    assert.deepEqual([7, 8, 9, 6].map(p => t.isHeldBy(0, p)), [true, true, true, false])
    assert.deepEqual(holders(t, 1), [], 'other chunks are untouched')
  })

  it('removes a holder wherever it is; the next copy becomes the first', () => {
    const t = new ChunkTable(1)
    for (const p of [7, 8, 9]) t.addHolder(0, p)
    t.removeHolder(0, 8)
    assert.deepEqual(holders(t, 0), [7, 9])
    t.removeHolder(0, 6)
    assert.deepEqual(holders(t, 0), [7, 9], 'removing a peer that is no holder changes nothing')
    t.removeHolder(0, 7)
    assert.deepEqual(holders(t, 0), [9])
    assert.equal(t.isHeldBy(0, 7), false)
    t.addHolder(0, 7)
    assert.deepEqual(holders(t, 0), [9, 7], 'a copy again after the copies were gone')
    t.removeHolder(0, 9)
    t.removeHolder(0, 7)
    t.removeHolder(0, 7)
    assert.deepEqual(holders(t, 0), [])
  })

  it('clears all holders at once, and done is independent of them', () => {
    const t = new ChunkTable(2)
    for (const p of [1, 2]) t.addHolder(0, p)
    t.addHolder(1, 1)
    t.clearHolders(0)
    t.clearHolders(1)
    assert.deepEqual([holders(t, 0), holders(t, 1)], [[], []])
    t.addHolder(0, 3)
    t.addHolder(0, 4)
    assert.equal(t.isDone(0), false)
    t.setDone(0)
    assert.equal(t.isDone(0), true)
    assert.deepEqual(holders(t, 0), [3, 4], 'marking done does not drop the copies')
    t.clearHolders(0)
    assert.equal(t.isDone(0), true, 'clearing the copies does not undo done')
    assert.equal(t.isDone(1), false)
  })

  it('keeps back-off times, zero until set', () => {
    const t = new ChunkTable(2)
    assert.deepEqual([t.notBefore(0), t.notBefore(1)], [0, 0])
    t.setNotBefore(1, 500)
    assert.deepEqual([t.notBefore(0), t.notBefore(1)], [0, 500])
  })

  it('counts failures per chunk and peer, returns the chunk\'s total, and forgets them', () => {
    const t = new ChunkTable(2)
    assert.equal(t.failures(0, 1), 0)
    assert.equal(t.addFailure(0, 1, 1), 1)
    assert.equal(t.addFailure(0, 2, 3), 4, 'the total over peers')
    assert.equal(t.addFailure(0, 1, 1), 5)
    assert.deepEqual([t.failures(0, 1), t.failures(0, 2), t.failures(1, 1)], [2, 3, 0])
    t.forgetFailures(0, 1)
    t.forgetFailures(1, 1)
    assert.deepEqual([t.failures(0, 1), t.failures(0, 2)], [0, 3])
    t.resetFailures()
    assert.equal(t.failures(0, 2), 0)
    assert.equal(t.addFailure(0, 2, 1), 1, 'counting starts again after a reset')
  })
})
