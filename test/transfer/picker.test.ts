import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ChunkTable } from '../../src/transfer/chunk-table.js'
import { Picker, type PickerSource } from '../../src/transfer/picker.js'
import { seededRandom } from '../../src/transfer/simulate.js'

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)
const sorted = (a: Iterable<number>): number[] => [...a].sort((x, y) => x - y)

/** A source holding `chunks` (all of `length` when omitted, then complete). */
function source (handle: number, length: number, chunks?: number[]): PickerSource {
  const held = new Set(chunks ?? range(0, length))
  return { handle, have: { length, get: (i: number) => held.has(i) }, complete: chunks === undefined }
}

function picker (chunkCount: number, sequential = false): { chunks: ChunkTable, p: Picker } {
  const chunks = new ChunkTable(chunkCount)
  return { chunks, p: new Picker(chunks, { sequential, maxRetries: 2, random: seededRandom(1) }) }
}

function pick (p: Picker, s: PickerSource, room: number, now = 0): number[] {
  const picked: number[] = []
  p.pick(s, room, now, picked)
  return picked
}

describe('Picker', () => {
  it('takes the rarest chunks a source holds first, counting complete sources once for all chunks', () => {
    const { p } = picker(6)
    const a = source(0, 6, [0, 1, 2, 3])
    const b = source(1, 6, [2, 3, 4, 5])
    const full = source(2, 6)
    for (const s of [a, b, full]) p.changeAvailability(s, 1)
    assert.deepEqual(sorted(pick(p, a, 2)), [0, 1], 'held by a and the seeder only: rarer than 2 and 3')
    assert.deepEqual(sorted(pick(p, full, 2)), [4, 5])
    assert.deepEqual(sorted(pick(p, a, 4)), [2, 3])
  })

  it('says the download reached its end only when every chunk a source holds is requested', () => {
    const { p } = picker(4)
    const a = source(0, 4, [0, 1])
    p.changeAvailability(a, 1)
    assert.equal(p.allAssigned(), false)
    pick(p, a, 1)
    assert.equal(p.allAssigned(), false, 'chunk of a still unrequested')
    pick(p, a, 4)
    assert.equal(p.allAssigned(), true, 'chunks 2 and 3 have no known source yet: nothing more to request')
    const b = source(1, 4, [2, 3])
    p.changeAvailability(b, 1)
    assert.equal(p.allAssigned(), false, 'b holds chunks nobody was asked for')
    pick(p, b, 4)
    assert.equal(p.allAssigned(), true)
    p.putBack(2)
    assert.equal(p.allAssigned(), false, 'a failed request puts its chunk back')
  })

  it('does not hand out a chunk nobody has until a source announces it', () => {
    const { p } = picker(3)
    const a = source(0, 3, [0])
    p.changeAvailability(a, 1)
    assert.deepEqual(pick(p, source(5, 3), 3), [0], 'chunks 1 and 2 have no source yet')
    p.announce(1)
    assert.deepEqual(pick(p, source(5, 3), 3), [1])
    p.changeAvailability(a, -1)
    assert.deepEqual(pick(p, source(5, 3), 3), [], 'chunk 2 still has no source')
  })

  it('hands out a chunk taken by nobody, and again once put back', () => {
    const { p } = picker(2)
    const full = source(0, 2)
    p.changeAvailability(full, 1)
    p.take(0)
    assert.deepEqual(pick(p, full, 2), [1])
    p.putBack(0)
    p.putBack(0)
    assert.deepEqual(pick(p, full, 2), [0])
    assert.deepEqual(pick(p, full, 2), [])
  })

  it('is eligible only for missing, held, unrequested chunks, past their back-off, not failed too often', () => {
    const { chunks, p } = picker(6)
    const a = source(0, 6, [0, 1, 2, 3, 4])
    assert.equal(p.eligible(0, a, 0), true)
    chunks.setDone(0)
    assert.equal(p.eligible(0, a, 0), false, 'done')
    assert.equal(p.eligible(5, a, 0), false, 'not held')
    chunks.addHolder(1, 0)
    assert.equal(p.eligible(1, a, 0), false, 'requested from a already')
    assert.equal(p.eligible(1, source(1, 6), 0), true, 'another source may race it')
    chunks.setNotBefore(2, 100)
    assert.equal(p.eligible(2, a, 99), false, 'backed off')
    assert.equal(p.eligible(2, a, 100), true)
    chunks.addFailure(3, 0, 1)
    assert.equal(p.eligible(3, a, 0), true, 'one failure of maxRetries 2')
    chunks.addFailure(3, 0, 1)
    assert.equal(p.eligible(3, a, 0), false, 'maxRetries failures from a')
    assert.equal(p.eligible(3, source(1, 6), 0), true, 'failures count per source')
  })

  it('goes by index in sequential mode, skipping chunks requested or done', () => {
    const { chunks, p } = picker(8, true)
    const evens = source(0, 8, [0, 2, 4, 6])
    const full = source(1, 8)
    for (const s of [evens, full]) p.changeAvailability(s, 1)
    assert.deepEqual(pick(p, full, 2), [0, 1])
    for (const i of [0, 1]) chunks.addHolder(i, 1)
    assert.deepEqual(pick(p, evens, 2), [2, 4])
    for (const i of [2, 4]) chunks.addHolder(i, 0)
    chunks.setDone(0)
    chunks.setDone(3)
    assert.deepEqual(pick(p, full, 8), [5, 6, 7])
  })
})

