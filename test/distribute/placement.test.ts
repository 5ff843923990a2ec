import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { placeChunks, rankPeers, type PlacementPeer, type PlacementRequest, type PlacementStrategy } from '../../src/distribute/placement.js'
import { hasCode } from '../../src/errors.js'

const MIB = 1024 * 1024
const ROOM = 1024 * MIB

function peers (ids: string[], opts: { local?: string, freeBytes?: Record<string, number>, bandwidth?: Record<string, number> } = {}): PlacementPeer[] {
  return ids.map((peerId) => ({
    peerId,
    freeBytes: opts.freeBytes?.[peerId] ?? ROOM,
    bandwidthBytesPerSec: opts.bandwidth?.[peerId] ?? 10 * MIB,
    local: peerId === opts.local
  }))
}

function request (strategy: PlacementStrategy, candidates: PlacementPeer[], chunkCount: number, replicas: number): PlacementRequest {
  return { fileId: 'file-a', chunkCount, chunkSizeBytes: MIB, replicas, strategy, peers: candidates }
}

const countsOf = (holders: ReadonlyArray<readonly string[]>): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const chunk of holders) for (const p of chunk) counts[p] = (counts[p] ?? 0) + 1
  return counts
}

describe('round-robin placement', () => {
  it('deals chunks out in turn; the local node counts as one peer and keeps its share', () => {
    // 'z-local' sorts last by ID, but the local node comes first in the ring.
    const { holders, counts } = placeChunks(request('round-robin', peers(['b', 'a', 'z-local', 'c'], { local: 'z-local' }), 10, 1))
    assert.deepEqual(holders.map((h) => h[0]), ['z-local', 'a', 'b', 'c', 'z-local', 'a', 'b', 'c', 'z-local', 'a'])
    assert.deepEqual(Object.fromEntries(counts), { 'z-local': 3, a: 3, b: 2, c: 2 })
  })

  it('puts the replicas of a chunk on the next distinct peers, and shares stay exact', () => {
    const { holders } = placeChunks(request('round-robin', peers(['local', 'p1', 'p2', 'p3', 'p4'], { local: 'local' }), 15, 3))
    assert.deepEqual(holders[0], ['local', 'p1', 'p2'])
    assert.deepEqual(holders[4], ['p4', 'local', 'p1'])
    for (const h of holders) assert.equal(new Set(h).size, 3)
    // 45 copies over 5 peers: 9 each, 3 of them as first holder.
    assert.deepEqual(countsOf(holders), { local: 9, p1: 9, p2: 9, p3: 9, p4: 9 })
    assert.deepEqual(countsOf(holders.map((h) => h.slice(0, 1))), { local: 3, p1: 3, p2: 3, p3: 3, p4: 3 })
  })

  it('gives a peer no more than its quota holds; its surplus goes to the next peer in the ring', () => {
    const candidates = peers(['a', 'b', 'c', 'd'], { freeBytes: { b: 2 * MIB + 5 } })
    const { holders, counts } = placeChunks(request('round-robin', candidates, 12, 1))
    assert.equal(counts.get('b'), 2)
    assert.deepEqual(holders.map((h) => h[0]), ['a', 'b', 'c', 'd', 'a', 'b', 'c', 'd', 'a', 'c', 'c', 'd'])
  })
})

describe('placement, both strategies', () => {
  for (const strategy of ['round-robin', 'weighted'] as const) {
    it(`${strategy}: replicas of a chunk are always on distinct peers`, () => {
      const { holders } = placeChunks(request(strategy, peers(['a', 'b', 'c', 'd', 'e']), 200, 3))
      assert.equal(holders.length, 200)
      for (const h of holders) {
        assert.equal(h.length, 3)
        assert.equal(new Set(h).size, 3)
      }
    })

    it(`${strategy}: N below 1 or not an integer is ERR_INVALID_ARGUMENT, N above the peers ERR_DISTRIBUTION_REQUIRED`, () => {
      const candidates = peers(['a', 'b', 'c'])
      for (const n of [0, -1, 1.5, Number.NaN]) {
        assert.throws(() => placeChunks(request(strategy, candidates, 4, n)), (err) => hasCode(err, 'ERR_INVALID_ARGUMENT'), `N=${n}`)
      }
      assert.throws(() => placeChunks(request(strategy, candidates, 4, 4)), (err) => hasCode(err, 'ERR_DISTRIBUTION_REQUIRED'))
      // A peer without room for a single chunk does not count as a peer.
      const oneFull = peers(['a', 'b', 'c'], { freeBytes: { c: MIB - 1 } })
      assert.throws(() => placeChunks(request(strategy, oneFull, 4, 3)), (err) => hasCode(err, 'ERR_DISTRIBUTION_REQUIRED'))
      assert.equal(placeChunks(request(strategy, candidates, 4, 3)).holders.length, 4)
    })

    it(`${strategy}: never exceeds a quota, and fails with ERR_QUOTA_EXCEEDED when the copies cannot all fit`, () => {
      const freeBytes = { a: 3 * MIB, b: 50 * MIB, c: 40 * MIB, d: 7 * MIB }
      // 'a' has the largest bandwidth by far: weighted placement would give it most, its quota stops it.
      const candidates = peers(['a', 'b', 'c', 'd'], { freeBytes, bandwidth: { a: 1000 * MIB } })
      const { counts } = placeChunks({ ...request(strategy, candidates, 40, 2), lastChunkSizeBytes: MIB / 2 })
      assert.equal([...counts.values()].reduce((x, y) => x + y, 0), 80)
      for (const [peer, n] of counts) assert.ok(n * MIB <= freeBytes[peer as keyof typeof freeBytes] + MIB / 2, `${peer} holds ${n} chunks`)
      assert.equal(counts.get('a'), 3)
      assert.throws(() => placeChunks(request(strategy, candidates, 60, 2)), (err) => hasCode(err, 'ERR_QUOTA_EXCEEDED'))
    })

    it(`${strategy}: the same inputs in any order give the same placement`, () => {
      const candidates = peers(['a', 'b', 'c', 'd', 'e', 'f'], { local: 'c', bandwidth: { a: MIB, b: 3 * MIB, f: 20 * MIB } })
      const one = placeChunks(request(strategy, candidates, 100, 2))
      const two = placeChunks(request(strategy, [...candidates].reverse(), 100, 2))
      assert.deepEqual(two.holders, one.holders)
    })
  }

  it('weighted: rankPeers lists every candidate, the placement\'s holders first, leaving out the excluded', () => {
    const req = request('weighted', peers(['a', 'b', 'c', 'd', 'e']), 50, 2)
    const { holders } = placeChunks(req)
    for (let chunk = 0; chunk < 50; chunk++) {
      const ranked = rankPeers(req, chunk)
      assert.equal(ranked.length, 5)
      assert.deepEqual(ranked.slice(0, 2), holders[chunk])
      const rest = rankPeers(req, chunk, new Set(holders[chunk]))
      assert.deepEqual(rest, ranked.slice(2))
    }
  })

  it('weighted: a peer with twice the weight gets about twice the chunks', () => {
    // Weight √(quota × bandwidth): 'big' has 4 × the bandwidth, so 2 × the weight.
    const { counts } = placeChunks(request('weighted', peers(['big', 'small'], { freeBytes: { big: 64 * ROOM, small: 64 * ROOM }, bandwidth: { big: 40 * MIB, small: 10 * MIB } }), 30_000, 1))
    const ratio = (counts.get('big') ?? 0) / (counts.get('small') ?? 1)
    assert.ok(ratio > 1.9 && ratio < 2.1, `ratio ${ratio}`)
  })

  it('rejects duplicate peers, bad quotas and unknown strategies with ERR_INVALID_ARGUMENT', () => {
    const bad: PlacementRequest[] = [
      request('weighted', peers(['a', 'a']), 2, 1),
      request('weighted', [{ peerId: 'a', freeBytes: -1 }], 2, 1),
      request('weighted', [{ peerId: 'a', freeBytes: MIB, bandwidthBytesPerSec: 0 }], 2, 1),
      request('striped' as PlacementStrategy, peers(['a']), 2, 1),
      { ...request('weighted', peers(['a']), 2, 1), chunkSizeBytes: 0 }
    ]
    for (const r of bad) assert.throws(() => placeChunks(r), (err) => hasCode(err, 'ERR_INVALID_ARGUMENT'))
  })
})
