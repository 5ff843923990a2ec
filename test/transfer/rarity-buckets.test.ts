import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { RarityBuckets } from '../../src/transfer/rarity-buckets.js'
import { seededRandom } from '../../src/transfer/simulate.js'

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)
const sorted = (a: Iterable<number>): number[] => [...a].sort((x, y) => x - y)
const holding = (chunks: number[]): { get: (i: number) => boolean } => ({ get: (i: number) => chunks.includes(i) })

describe('RarityBuckets', () => {
  it('starts with every chunk at level 0, in index order, or shuffled when given randomness', () => {
    const plain = new RarityBuckets(6)
    assert.deepEqual(plain.levels(), [0])
    assert.deepEqual(plain.bucket(0), range(0, 6))
    const shuffled = [1, 2].map(seed => [...new RarityBuckets(100, seededRandom(seed)).bucket(0)])
    assert.deepEqual(sorted(shuffled[0] ?? []), range(0, 100), 'every chunk, once')
    assert.notDeepEqual(shuffled[0], range(0, 100))
    assert.notDeepEqual(shuffled[0], shuffled[1])
    assert.deepEqual(new RarityBuckets(100, seededRandom(1)).bucket(0), shuffled[0], 'the same for a seed')
    const empty = new RarityBuckets(0)
    assert.deepEqual(empty.levels(), [])
    assert.deepEqual(empty.bucket(0), [])
  })

  it('moves chunks between levels as availability changes, rarest level first', () => {
    const b = new RarityBuckets(5)
    b.adjustAll(holding([0, 1, 2]), 1)
    b.adjustAll(holding([1, 2]), 1)
    assert.deepEqual(b.levels(), [0, 1, 2])
    assert.deepEqual([sorted(b.bucket(0)), sorted(b.bucket(1)), sorted(b.bucket(2))], [[3, 4], [0], [1, 2]])
    assert.deepEqual([0, 1, 3].map(i => b.availability(i)), [1, 2, 0])
    b.adjustAll(holding([0, 1, 2]), -1)
    assert.deepEqual(b.levels(), [0, 1])
    assert.deepEqual(sorted(b.bucket(0)), [0, 3, 4])
    b.adjust(3, -1)
    assert.equal(b.availability(3), 0, 'availability never goes below 0')
  })

  it('takes chunks out and puts them back at their current availability', () => {
    const b = new RarityBuckets(3)
    b.remove(1)
    b.remove(1)
    assert.equal(b.contains(1), false)
    assert.deepEqual(sorted(b.bucket(0)), [0, 2])
    b.adjust(1, 2)
    assert.equal(b.contains(1), false, 'adjusting a chunk out of the pool does not put it back')
    b.insert(1)
    b.insert(1)
    assert.deepEqual(b.levels(), [0, 2])
    assert.deepEqual(b.bucket(2), [1])
    for (const i of [0, 1, 2]) b.remove(i)
    assert.deepEqual(b.levels(), [], 'empty buckets go')
  })
})
