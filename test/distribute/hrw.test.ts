/**
 * Rendezvous hashing must give the same numbers on every machine and every
 * Shoal version that shares a distribution (survivors repair by computing the
 * same plan), so these golden values pin it: changing the hash is a protocol
 * change, not a refactor.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { chunkKey, chunkState, pairUniform, peerKey } from '../../src/distribute/hrw.js'
import { placeChunks } from '../../src/distribute/placement.js'

describe('rendezvous hash', () => {
  it('matches the golden values (keys, pair number and a small placement)', () => {
    assert.deepEqual(chunkKey('bafy-example', 7), { hi: 1287296138, lo: 2522298915 })
    const peer = peerKey('12D3KooWexample')
    assert.deepEqual(peer, { hi: 1586440519, lo: 695300065 })
    assert.equal(pairUniform(chunkState(chunkKey('bafy-example', 7)), peer.hi, peer.lo), 0.2657220880818852)
    const peers = ['a', 'b', 'c', 'd', 'e'].map((id, i) => ({ peerId: id, freeBytes: (i + 1) * 1e9, bandwidthBytesPerSec: 1e6 * (5 - i) }))
    const { holders } = placeChunks({ fileId: 'golden', chunkCount: 12, chunkSizeBytes: 1 << 20, replicas: 2, strategy: 'weighted', peers })
    assert.deepEqual(holders, [['b', 'd'], ['c', 'b'], ['c', 'b'], ['a', 'b'], ['d', 'c'], ['e', 'd'], ['c', 'd'], ['c', 'a'], ['e', 'b'], ['d', 'c'], ['d', 'c'], ['b', 'e']])
  })

  it('gives pair numbers strictly inside (0, 1), uniform, and independent across peers', () => {
    const peers = Array.from({ length: 50 }, (_, i) => peerKey(`p${i}`))
    const buckets = new Array<number>(10).fill(0)
    let n = 0
    for (let c = 0; c < 2000; c++) {
      const state = chunkState(chunkKey('f', c))
      for (const p of peers) {
        const u = pairUniform(state, p.hi, p.lo)
        assert.ok(u > 0 && u < 1)
        buckets[Math.floor(u * 10)]! += 1
        n++
      }
    }
    // 100,000 draws, 10,000 expected per decile (σ ≈ 95): ±4 % is > 4σ.
    for (const b of buckets) assert.ok(Math.abs(b / (n / 10) - 1) < 0.04, `decile count ${b}`)
  })
})
