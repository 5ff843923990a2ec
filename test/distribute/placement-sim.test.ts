/**
 * Weighted placement at scale: 1,000 peers of random capacities (seeded),
 * 25,000 chunks × 2 replicas. What "±5 % of capacity shares" means here is
 * explained in src/distribute/simulate.ts: shares are judged on 8 bins of
 * peers sorted by weight, each bin expecting the same number of copies
 * (6,250, so hash noise is ~1.3 % and a 5 % miss is a real bias); each single
 * peer must also stay within 5 standard deviations of its expectation (with
 * 1,000 peers the largest is ~3.3 by chance alone).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { simulateWeightedPlacement } from '../../src/distribute/simulate.js'
import { seededRandom } from '../../src/transfer/simulate.js'

describe('weighted placement simulation (1,000 peers)', () => {
  it('gives capacity shares within ±5 %, and one peer leaving or joining moves only its own copies', () => {
    const r = simulateWeightedPlacement({ peers: 1000, chunks: 25_000, replicas: 2, bins: 8, random: seededRandom(20261203) })
    assert.ok(r.binErrorMax <= 0.05, `largest bin share error ${(r.binErrorMax * 100).toFixed(2)} %`)
    assert.ok(r.peerZMax < 5, `a peer is ${r.peerZMax.toFixed(2)} standard deviations off its share`)

    // Leaving: the peer with the most copies goes; exactly its copies move (≤ 1.1 × is the
    // requirement), and no copy of a chunk it did not hold moves.
    assert.ok(r.leave.own > 50, `the leaver held ${r.leave.own} copies`)
    assert.ok(r.leave.moved <= 1.1 * r.leave.own, `moved ${r.leave.moved} for ${r.leave.own} held`)
    assert.equal(r.leave.moved, r.leave.own)
    assert.equal(r.leave.movedElsewhere, 0)

    // Joining: the new peer takes the copies it now ranks for, and nothing else moves.
    assert.ok(r.join.own > 0)
    assert.equal(r.join.moved, r.join.own)
    assert.equal(r.join.movedElsewhere, 0)
  })
})
