import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Registry, type Announce, type RegistryInit } from '../../src/tracker/registry.js'
import { hasCode } from '../../src/errors.js'
import { FakeClock } from './helpers.js'
import { FILE_ENTRY_BYTES, FILE_LINK_BYTES, chargedBytes, peerBytes } from '../../src/tracker/budget.js'

const TTL_MS = 180_000

function setup (init: Partial<RegistryInit> = {}): { registry: Registry, clock: FakeClock } {
  const clock = new FakeClock()
  const registry = new Registry({ peerTtlMs: TTL_MS, maxPeers: 100, maxFilesPerPeer: 100, maxIndexBytes: 1e9, ipShareBytes: Infinity, now: clock.now, ...init })
  return { registry, clock }
}

function ann (peerId: string, files: string[] = [], more: Partial<Announce> = {}): Announce {
  return { peerId, addrs: [`/ip4/10.0.0.1/tcp/4001/p2p/${peerId}`], files, left: [], event: 'update', ip: '192.0.2.1', ...more }
}

const quota = (err: unknown): boolean => hasCode(err, 'ERR_QUOTA_EXCEEDED')

describe('Registry', () => {
  it('registers a peer with its addresses and files', () => {
    const { registry, clock } = setup()
    const { change, held } = registry.announce(ann('A', ['f1', 'f2']))
    assert.equal(held, 2)
    assert.deepEqual(change, { peerId: 'A', removed: false, replaced: false, added: ['f1', 'f2'], dropped: [] })
    const peer = registry.peer('A')
    assert.deepEqual(peer?.addrs, ['/ip4/10.0.0.1/tcp/4001/p2p/A'])
    assert.deepEqual([...peer?.files ?? []], ['f1', 'f2'])
    assert.equal(peer?.lastSeen, clock.ms)
    assert.deepEqual(registry.providers('f1', 10).map(p => p.peerId), ['A'])
    assert.deepEqual(registry.providers('unknown', 10), [])
    assert.equal(registry.peerCount, 1)
    assert.equal(registry.fileCount, 2)
    assert.equal(registry.entryCount, 2)
  })

  it('applies files and left incrementally; a file in both stays held', () => {
    const { registry } = setup()
    registry.announce(ann('A', ['f1', 'f2', 'f3']))
    const { change, held } = registry.announce(ann('A', ['f4', 'f1'], { left: ['f2', 'f4', 'never-held'] }))
    assert.deepEqual(change.added, ['f4'])
    assert.deepEqual(change.dropped, ['f2'])
    assert.equal(held, 3)
    assert.deepEqual([...registry.peer('A')?.files ?? []].sort(), ['f1', 'f3', 'f4'])
    assert.equal(registry.hasFile('f2'), false, 'a file nobody holds leaves the index')
    assert.equal(registry.entryCount, 3)
  })

  it('replaces the whole set on started, and replaces addresses on every announce', () => {
    const { registry } = setup()
    registry.announce(ann('A', ['f1', 'f2']))
    const { change } = registry.announce(ann('A', ['f2', 'f3'], { event: 'started', addrs: ['/ip4/10.0.0.2/tcp/1/p2p/A'], left: ['f3'] }))
    assert.equal(change.replaced, true)
    assert.deepEqual(change.added, ['f3'])
    assert.deepEqual(change.dropped, ['f1'])
    assert.deepEqual([...registry.peer('A')?.files ?? []].sort(), ['f2', 'f3'])
    assert.deepEqual(registry.peer('A')?.addrs, ['/ip4/10.0.0.2/tcp/1/p2p/A'])
  })

  it('removes a peer and its files on stopped; stopping an unknown peer is harmless', () => {
    const { registry } = setup()
    registry.announce(ann('A', ['f1']))
    registry.announce(ann('B', ['f1', 'f2']))
    const { change, held } = registry.announce(ann('A', [], { event: 'stopped' }))
    assert.equal(change.removed, true)
    assert.equal(held, 0)
    assert.equal(registry.peer('A'), undefined)
    assert.deepEqual(registry.providers('f1', 10).map(p => p.peerId), ['B'])
    assert.equal(registry.announce(ann('nobody', [], { event: 'stopped' })).change.removed, true)
    assert.equal(registry.peerCount, 1)
    assert.equal(registry.entryCount, 2)
  })

  it('expires peers silent for the TTL, and a re-announce restarts the clock', () => {
    const { registry, clock } = setup()
    registry.announce(ann('A', ['f1']))
    clock.advance(1000)
    registry.announce(ann('B', ['f1']))
    clock.advance(1000)
    registry.announce(ann('A'))
    clock.advance(TTL_MS - 1500)
    assert.deepEqual(registry.sweep(), [], 'nobody has been silent for a full TTL yet')
    clock.advance(1000)
    assert.deepEqual(registry.sweep(), ['B'])
    assert.deepEqual(registry.providers('f1', 10).map(p => p.peerId), ['A'])
    clock.advance(1000)
    assert.deepEqual(registry.sweep(), ['A'])
    assert.equal(registry.peerCount, 0)
    assert.equal(registry.fileCount, 0)
    assert.equal(registry.entryCount, 0)
  })

  it('evicts the least recently announced peer beyond maxPeers, never the one announcing', () => {
    const { registry } = setup({ maxPeers: 2 })
    registry.announce(ann('A'))
    registry.announce(ann('B'))
    registry.announce(ann('A', ['f1']))
    const { evicted } = registry.announce(ann('C'))
    assert.deepEqual(evicted, ['B'])
    assert.deepEqual(registry.peers(0, 10).map(p => p.peerId), ['A', 'C'])
  })

  it('refuses an announce beyond maxFilesPerPeer and leaves the index untouched', () => {
    const { registry } = setup({ maxFilesPerPeer: 3 })
    registry.announce(ann('A', ['f1', 'f2']))
    assert.throws(() => registry.announce(ann('A', ['f3', 'f4'])), quota)
    assert.throws(() => registry.announce(ann('A', ['f1', 'f2', 'f3', 'f4'], { event: 'started' })), quota)
    assert.deepEqual([...registry.peer('A')?.files ?? []], ['f1', 'f2'])
    assert.equal(registry.entryCount, 2)
  })

  it('keeps the index within its byte budget by evicting the least recently announced peers', () => {
    const addrs = ann('X').addrs
    const perPeer = chargedBytes(addrs, 10)
    const { registry } = setup({ maxIndexBytes: perPeer * 5 })
    const files = (p: string): string[] => Array.from({ length: 10 }, (_, i) => `${p}-f${i}`)
    for (const p of ['A', 'B', 'C', 'D', 'E']) assert.deepEqual(registry.announce(ann(p, files(p))).evicted, [])
    registry.announce(ann('A'))
    assert.deepEqual(registry.announce(ann('F', files('F'))).evicted, ['B'], 'B, not A which just announced')
    assert.ok(registry.bytes <= perPeer * 5)
    assert.equal(registry.bytes, 5 * (peerBytes(addrs) + 10 * (FILE_LINK_BYTES + FILE_ENTRY_BYTES)))
    assert.equal(registry.hasFile('B-f0'), false)
    for (const p of ['A', 'C', 'D', 'E', 'F']) registry.announce(ann(p, [], { event: 'stopped' }))
    assert.equal(registry.bytes, 0, 'accounting returns to zero')
  })

  it('evicts within an address over its share, leaving other addresses and its fresh peers alone', () => {
    const addrs = ann('X').addrs
    const share = chargedBytes(addrs, 100) * 3
    const { registry } = setup({ ipShareBytes: share, maxFilesPerPeer: 1000 })
    const big = (p: string): string[] => Array.from({ length: 100 }, (_, i) => `${p}-f${i}`)
    registry.announce(ann('honest', ['h1'], { ip: '198.51.100.1' }))
    registry.announce(ann('neighbour', ['n1'], { ip: '198.51.100.2' }))
    registry.announce(ann('sybil0', big('s0'), { ip: '198.51.100.2' }))
    registry.announce(ann('sybil1', big('s1'), { ip: '198.51.100.2' }))
    registry.announce(ann('neighbour', ['n1'], { ip: '198.51.100.2' })) // re-announces: now the most recent of its address
    const { evicted } = registry.announce(ann('sybil2', big('s2'), { ip: '198.51.100.2' }))
    assert.deepEqual(evicted, ['sybil0'])
    assert.ok(registry.ipBytes('198.51.100.2') <= share)
    assert.ok(registry.peer('honest') !== undefined && registry.peer('neighbour') !== undefined)
    assert.throws(() => registry.announce(ann('huge', [...big('a'), ...big('b'), ...big('c'), ...big('d')], { ip: '198.51.100.3' })), quota,
      'a peer larger than a share is refused, not let in to evict everyone')
    // Moving to another address moves its charge.
    registry.announce(ann('sybil2', [], { ip: '198.51.100.3' }))
    assert.equal(registry.ipBytes('198.51.100.3'), chargedBytes(ann('sybil2').addrs, 100))
  })

  it('returns all holders up to the maximum and a uniform sample of distinct holders beyond it', () => {
    const { registry } = setup({ maxPeers: 1000, random: mulberry32(7) })
    for (let i = 0; i < 500; i++) registry.announce(ann(`P${i}`, ['hot']))
    registry.announce(ann('Q', ['cold']))
    const sample = registry.providers('hot', 200).map(p => p.peerId)
    assert.equal(sample.length, 200)
    assert.equal(new Set(sample).size, 200)
    assert.ok(sample.every(id => /^P\d+$/.test(id)))
    assert.ok(sample.some(id => Number(id.slice(1)) < 250) && sample.some(id => Number(id.slice(1)) >= 250))
    assert.equal(registry.providers('hot', 1000).length, 500)
  })

  it('keeps holders consistent when peers leave from the middle', () => {
    const { registry } = setup()
    for (const id of ['A', 'B', 'C', 'D']) registry.announce(ann(id, ['f']))
    registry.announce(ann('B', [], { left: ['f'] }))
    registry.announce(ann('A', [], { event: 'stopped' }))
    assert.deepEqual(registry.providers('f', 10).map(p => p.peerId).sort(), ['C', 'D'])
    registry.announce(ann('C', [], { left: ['f'] }))
    registry.announce(ann('D', [], { left: ['f'] }))
    assert.equal(registry.hasFile('f'), false)
  })

  it('pages peers (least recently seen first) and files', () => {
    const { registry } = setup()
    for (const id of ['A', 'B', 'C']) registry.announce(ann(id, [`f-${id}`]))
    registry.announce(ann('A'))
    assert.deepEqual(registry.peers(0, 10).map(p => p.peerId), ['B', 'C', 'A'])
    assert.deepEqual(registry.peers(1, 1).map(p => p.peerId), ['C'])
    assert.deepEqual(registry.peers(5, 10), [])
    assert.deepEqual(registry.files(1, 5), [{ id: 'f-B', peers: 1 }, { id: 'f-C', peers: 1 }])
  })

  it('restores saved peers with their last-seen time, skipping expired, duplicate and oversized ones', () => {
    const { registry, clock } = setup({ maxFilesPerPeer: 2 })
    const saved = (peerId: string, agoMs: number, files: string[] = ['f1']): Parameters<Registry['restore']>[0] =>
      ({ peerId, addrs: [`/ip4/10.0.0.1/tcp/1/p2p/${peerId}`], files, lastSeen: clock.ms - agoMs })
    assert.equal(registry.restore(saved('old', TTL_MS)), false)
    assert.equal(registry.restore(saved('A', 60_000)), true)
    assert.equal(registry.restore(saved('A', 1000)), false)
    assert.equal(registry.restore(saved('big', 0, ['f1', 'f2', 'f3'])), false)
    assert.equal(registry.restore({ ...saved('future', 0), lastSeen: clock.ms + 10 * TTL_MS }), true)
    assert.equal(registry.peer('A')?.lastSeen, clock.ms - 60_000)
    assert.equal(registry.peer('future')?.lastSeen, clock.ms, 'a clock-skewed future time is clamped to now')
    assert.deepEqual(registry.providers('f1', 10).map(p => p.peerId), ['A', 'future'])
    clock.advance(TTL_MS - 60_000)
    assert.deepEqual(registry.sweep(), ['A'])
  })
})

/** A small seeded PRNG, so the sampling test is deterministic. */
function mulberry32 (seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6D2B79F5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
