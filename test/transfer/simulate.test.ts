import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { hasCode } from '../../src/errors.js'
import { mbitps, randomPeers, seededRandom, simulate, type SimOptions, type SimPeerSpec, type SimResult } from '../../src/transfer/simulate.js'

const MiB = 1024 * 1024
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)
const peer = (mbit: number, rttMs: number, more: Partial<SimPeerSpec> = {}): SimPeerSpec => ({ uploadBytesPerSecond: mbitps(mbit), rttMs, ...more })
/** A 200 MiB file of 1 MiB chunks. */
const file = (peers: SimPeerSpec[], more: Partial<SimOptions> = {}): SimOptions => ({ peers, chunkCount: 200, chunkSize: MiB, seed: 1, ...more })

describe('simulate', () => {
  describe('the simulator', () => {
    it('is deterministic for a seed', () => {
      // Chunks are interchangeable among full seeders; a flaky peer makes the seed show.
      const opts = file([...randomPeers(20, 5, [mbitps(1), mbitps(100)], [1, 100]), peer(50, 5, { corruptRate: 0.5 })])
      const a = simulate(opts)
      const b = simulate(opts)
      assert.equal(a.simMs, b.simMs)
      assert.deepEqual(a.peers, b.peers)
      assert.notDeepEqual(simulate({ ...opts, seed: 2 }).peers, a.peers)
    })

    it('accounts for every byte received', () => {
      const r = simulate(file([peer(100, 20), peer(1, 20)]))
      assert.equal(r.outcome, 'complete')
      assert.equal(r.fileBytes, 200 * MiB)
      assert.equal(r.peers.reduce((sum, p) => sum + p.bytes, 0), r.fileBytes)
      assert.equal(r.receivedBytes, r.fileBytes + r.duplicateBytes + r.corruptBytes)
      assert.ok(r.peers.every(p => p.chunks * MiB === p.bytes))
      assert.ok(r.cpuByCall.assign !== undefined && r.cpuByCall.assign.calls > 0)
      assert.ok(r.cpuMs > 0 && r.cpuRatio === r.cpuMs / r.simMs)
    })

    it('is bounded by the downloader\'s own link when it has one', () => {
      const r = simulate(file([peer(100, 10), peer(100, 10)], { downloadBytesPerSecond: mbitps(50) }))
      assert.equal(r.outcome, 'complete')
      assert.ok(r.aggregateBytesPerSecond <= mbitps(50))
      assert.ok(r.aggregateBytesPerSecond >= 0.9 * mbitps(50))
    })

    it('downloads from peers holding different subsets, and sequentially', () => {
      const peers = [peer(50, 10, { chunks: range(0, 120) }), peer(50, 10, { chunks: range(80, 200) }), peer(20, 10, { chunks: range(50, 150) })]
      for (const sequential of [false, true]) {
        const r = simulate(file(peers, { sequential }))
        assert.equal(r.outcome, 'complete')
        assert.ok(r.peers.every(p => p.chunks > 0))
      }
    })

    it('ends `stalled` when a chunk has no source', () => {
      const r = simulate(file([peer(50, 10, { chunks: range(0, 199) })], { maxSimMs: 60_000 }))
      assert.equal(r.outcome, 'stalled')
      assert.equal(r.peers[0]?.chunks, 199)
      assert.ok(r.stalledMs > 0)
    })

    it('rejects options it cannot simulate', () => {
      const bad = (err: unknown): boolean => hasCode(err, 'ERR_INVALID_ARGUMENT')
      assert.throws(() => simulate(file([])), bad)
      assert.throws(() => simulate(file([peer(0, 10)])), bad)
      assert.throws(() => simulate(file([peer(10, -1)])), bad)
      assert.throws(() => simulate({ ...file([peer(10, 1)]), chunkCount: 0 }), bad)
    })

    it('has seeded helpers', () => {
      const r = seededRandom(42)
      const xs = Array.from({ length: 1000 }, () => r())
      assert.ok(xs.every(x => x >= 0 && x < 1))
      assert.deepEqual(Array.from({ length: 3 }, seededRandom(42)), xs.slice(0, 3))
      assert.equal(mbitps(8), 1e6)
      const peers = randomPeers(500, 1, [mbitps(1), mbitps(100)], [1, 100])
      assert.ok(peers.every(p => p.uploadBytesPerSecond >= mbitps(1) && p.uploadBytesPerSecond <= mbitps(100) && p.rttMs >= 1 && p.rttMs <= 100))
      assert.deepEqual(randomPeers(500, 1, [mbitps(1), mbitps(100)], [1, 100]), peers)
      assert.notDeepEqual(randomPeers(500, 2, [mbitps(1), mbitps(100)], [1, 100]), peers)
    })
  })

  describe('the scheduler, simulated', () => {
    it('gets ≥ 85 % of 10 + 30 + 60 Mbit/s from three seeders, each in proportion (±10 points)', () => {
      const r = simulate(file([peer(10, 1), peer(30, 1), peer(60, 1)]))
      assert.equal(r.outcome, 'complete')
      assert.ok(r.aggregateRatio >= 0.85, `aggregate ${r.aggregateRatio}`)
      for (const p of r.peers) assert.ok(Math.abs(p.byteShare - p.bandwidthShare) <= 0.10, `${p.id}: ${p.byteShare} of the bytes, ${p.bandwidthShare} of the bandwidth`)
    })

    it('does not wait for slow peers at the end', () => {
      const fast = [peer(80, 10), peer(90, 20), peer(100, 30), peer(110, 40)]
      const fastOnly = simulate(file(fast))
      const fastChunkMs = MiB * 1000 / mbitps(80)
      for (const slow of [[peer(1, 20)], [peer(1, 20), peer(2, 20), peer(3, 20)]]) {
        const r = simulate(file([...fast, ...slow]))
        assert.equal(r.outcome, 'complete')
        assert.ok(r.simMs <= fastOnly.simMs + fastChunkMs, `${r.simMs} ms with ${slow.length} slow peer(s), ${fastOnly.simMs} ms without`)
        assert.ok(r.tailMs <= fastOnly.tailMs + fastChunkMs, `the last 1 % took ${r.tailMs} ms, ${fastOnly.tailMs} ms without`)
      }
    })

    it('completes from the others when a peer goes silent', () => {
      const others = 3 * mbitps(50)
      for (const stallTimeoutMs of [15_000, 2_000]) {
        const r = simulate(file([peer(50, 10, { silentAtMs: 1000 }), peer(50, 10), peer(50, 10), peer(50, 10)], { stallTimeoutMs }))
        assert.equal(r.outcome, 'complete')
        assert.ok((r.peers[0]?.chunks ?? 0) <= 8)
        assert.ok(r.simMs <= 1.1 * r.fileBytes * 1000 / others, `${r.simMs} ms`)
        if (stallTimeoutMs === 2_000) assert.equal(r.peers[0]?.state, 'stalled')
      }
    })

    it('ends `stalled` when the only source of some chunks goes silent for good', () => {
      // BUG (see report): a stalled peer still counts as a source, so the job never reports `stalled`.
      const r = simulate(file([peer(50, 10, { chunks: range(0, 150) }), peer(50, 10, { chunks: range(100, 200), silentAtMs: 1000 })], { maxSimMs: 120_000 }))
      assert.equal(r.outcome, 'stalled')
    })

    it('asks again a sole source that was silent for a while, and completes', () => {
      // BUG (see report): nothing is requested from a stalled peer again, so it never recovers.
      const r = simulate(file([peer(50, 10, { chunks: range(0, 150) }), peer(50, 10, { chunks: range(100, 200), silentAtMs: 1000, silentForMs: 30_000 })], { maxSimMs: 300_000 }))
      assert.equal(r.outcome, 'complete')
    })

    it('bans a peer that sends corrupt chunks, and completes from the others', () => {
      for (const corruptRate of [1, 0.2]) {
        const r = simulate(file([peer(50, 10, { corruptRate }), peer(50, 10), peer(50, 10), peer(50, 10)]))
        assert.equal(r.outcome, 'complete')
        assert.equal(r.peers[0]?.state, 'banned')
        assert.ok(r.corruptBytes >= 3 * MiB)
      }
    })

    describe('1,000 peers of random speeds (1–100 Mbit/s, RTT 1–100 ms), 32,000 × 1 MiB', () => {
      let r: SimResult
      before(() => {
        r = simulate({ peers: randomPeers(1000, 7, [mbitps(1), mbitps(100)], [1, 100]), chunkCount: 32_000, chunkSize: MiB, seed: 1 })
      })

      it('gets ≥ 90 % of the sum of their bandwidths', () => {
        assert.equal(r.outcome, 'complete')
        assert.ok(r.aggregateRatio >= 0.9, `aggregate ${(100 * r.aggregateRatio).toFixed(1)} % (last 1 % took ${r.tailMs.toFixed(0)} ms of ${r.simMs.toFixed(0)})`)
      })

      // The CPU figure (scheduler time ≤ 1 % of simulated time) is a timing on a
      // shared machine: it is measured and reported by `npm run bench`
      // (bench/scheduler-sim.ts), not asserted here.
      it('reports the time spent in each scheduler call', (t) => {
        const calls = Object.entries(r.cpuByCall).map(([name, c]) => `${name} ${c.ms.toFixed(0)} ms`).join(', ')
        t.diagnostic(`scheduler ${(100 * r.cpuRatio).toFixed(2)} % of ${r.simMs.toFixed(0)} ms simulated (${calls})`)
        assert.ok(r.cpuByCall.assign !== undefined && r.cpuByCall.onChunkDone !== undefined)
      })
    })
  })
})
