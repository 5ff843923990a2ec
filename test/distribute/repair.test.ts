import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { placeChunks, type PlacementPeer, type PlacementStrategy } from '../../src/distribute/placement.js'
import { coarseCapacity, planRepair, ordersFrom, type RepairRequest } from '../../src/distribute/repair.js'
import { hasCode } from '../../src/errors.js'

const MIB = 1024 * 1024

const swarm = (count: number): PlacementPeer[] => Array.from({ length: count }, (_, i) => ({
  peerId: `peer-${String(i).padStart(2, '0')}`,
  freeBytes: 10_000 * MIB,
  bandwidthBytesPerSec: (1 + (i % 4)) * 5 * MIB
}))

/** A placed file and the repair request after `dead` leave. */
function scenario (strategy: PlacementStrategy, dead: string[], replicas = 3): { before: ReadonlyArray<readonly string[]>, req: RepairRequest } {
  const peers = swarm(20)
  const geometry = { fileId: 'file-r', chunkCount: 300, chunkSizeBytes: MIB }
  const { holders } = placeChunks({ ...geometry, replicas, strategy, peers })
  const live = peers.filter((p) => !dead.includes(p.peerId))
  return { before: holders, req: { ...geometry, replicas, strategy, holders, peers: live } }
}

describe('repair planning', () => {
  for (const strategy of ['weighted', 'round-robin'] as const) {
    it(`${strategy}: restores N live, distinct holders per chunk, copying from survivors only, one copy per lost replica`, () => {
      const dead = ['peer-03', 'peer-11']
      const { before, req } = scenario(strategy, dead)
      const plan = planRepair(req)
      const live = new Set(req.peers.map((p) => p.peerId))
      const lostCopies = before.reduce((n, h) => n + h.filter((p) => dead.includes(p)).length, 0)
      assert.ok(lostCopies > 0)
      assert.equal(plan.orders.length, lostCopies)
      assert.deepEqual(plan.departed, dead)
      assert.deepEqual(plan.lost, [])
      assert.deepEqual(plan.underReplicated, [])
      for (let c = 0; c < before.length; c++) {
        const after = plan.holders[c] as readonly string[]
        assert.equal(after.length, 3)
        assert.equal(new Set(after).size, 3)
        for (const p of after) assert.ok(live.has(p), `chunk ${c} still lists ${p}`)
        // Surviving copies stay, in place; untouched chunks are unchanged.
        before[c]?.forEach((p, slot) => { if (!dead.includes(p)) assert.equal(after[slot], p) })
      }
      for (const o of plan.orders) {
        const old = before[o.chunk] as readonly string[]
        assert.ok(old.includes(o.from) && !dead.includes(o.from), `order ${JSON.stringify(o)} reads from a non-survivor`)
        assert.ok(!old.includes(o.to) && live.has(o.to), `order ${JSON.stringify(o)} writes to a holder or a dead peer`)
        assert.ok(plan.holders[o.chunk]?.includes(o.to))
      }
    })
  }

  it('gives every holder the same plan, whatever order it lists the peers in', () => {
    const { req } = scenario('weighted', ['peer-07'])
    const a = planRepair(req)
    const b = planRepair({ ...req, peers: [...req.peers].reverse() })
    const c = planRepair({ ...req, peers: [...req.peers].sort((x, y) => x.bandwidthBytesPerSec! - y.bandwidthBytesPerSec!) })
    assert.deepEqual(b, a)
    assert.deepEqual(c, a)
  })

  it('spreads the copies over the survivors, by their bandwidth', () => {
    const { req } = scenario('weighted', ['peer-02', 'peer-09'])
    const plan = planRepair(req)
    const senders = new Set(plan.orders.map((o) => o.from))
    assert.ok(senders.size >= 10, `only ${senders.size} survivors send`)
    // Finish times (bytes / bandwidth) are balanced: the slowest sender is not far behind the mean.
    const finish = [...senders].map((peer) => ordersFrom(plan, peer).length / ((req.peers.find((p) => p.peerId === peer)?.bandwidthBytesPerSec ?? 1) / MIB))
    const mean = finish.reduce((a, b) => a + b, 0) / finish.length
    assert.ok(Math.max(...finish) <= 2 * mean, `max ${Math.max(...finish)} vs mean ${mean}`)
    assert.equal(ordersFrom(plan, 'peer-02').length, 0)
  })

  it('reports chunks with no survivor as lost, and chunks without room as under-replicated', () => {
    const peers = swarm(5)
    const holders = [['peer-00', 'peer-01'], ['peer-01', 'peer-02'], ['peer-03', 'peer-04']]
    const base = { fileId: 'f', chunkCount: 3, chunkSizeBytes: MIB, replicas: 2, strategy: 'weighted' as const, holders }
    const plan = planRepair({ ...base, peers: peers.filter((p) => p.peerId !== 'peer-00' && p.peerId !== 'peer-01') })
    assert.deepEqual(plan.lost, [0])
    assert.deepEqual(plan.holders[0], holders[0])
    assert.equal(plan.orders.length, 1)
    assert.deepEqual(plan.orders[0], { chunk: 1, from: 'peer-02', to: plan.holders[1]?.[0] })
    assert.ok(['peer-03', 'peer-04'].includes(plan.holders[1]?.[0] as string))

    const full = planRepair({ ...base, peers: [peers[1], { ...peers[2]!, freeBytes: 0 }, { ...peers[3]!, freeBytes: 0 }, { ...peers[4]!, freeBytes: 0 }] as PlacementPeer[] })
    assert.deepEqual(full.underReplicated, [0])
    assert.deepEqual(full.orders, [])
  })

  it('plans capacities coarsely: figures a few copies apart plan alike; nothing is rounded up', () => {
    const GiB = 1024 ** 3
    const MiB = 1024 ** 2
    assert.equal(coarseCapacity(GiB), coarseCapacity(GiB - 7 * MiB), 'a fresh 1 GiB, and the same after copies landed between two survivors\' queries')
    assert.equal(coarseCapacity(GiB - 3 * MiB), coarseCapacity(GiB - 7 * MiB))
    for (const bytes of [0, -5, 1, 2, 1000, 65 * MiB + 12345, GiB, 3 * GiB + 7]) {
      const c = coarseCapacity(bytes)
      assert.ok(Number.isSafeInteger(c) && c <= Math.max(0, bytes) && c >= Math.max(0, bytes) * (1 - 9 / 64) - 1, `${bytes} → ${c}`)
    }
  })

  it('refuses a map of the wrong length and bad replica counts with ERR_INVALID_ARGUMENT', () => {
    const { req } = scenario('weighted', [])
    assert.throws(() => planRepair({ ...req, chunkCount: 299 }), (err) => hasCode(err, 'ERR_INVALID_ARGUMENT'))
    assert.throws(() => planRepair({ ...req, replicas: 0 }), (err) => hasCode(err, 'ERR_INVALID_ARGUMENT'))
    assert.deepEqual(planRepair(req).orders, [])
  })
})
