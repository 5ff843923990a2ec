import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { JobProgress, RATE_WINDOW_MS } from '../../src/transfer/job-progress.js'

/** A clock tests move by hand; JobProgress takes the time as an argument. */
class FakeClock {
  ms = 5_000_000
  advance (ms: number): number { this.ms += ms; return this.ms }
}

const KIB = 1024

describe('JobProgress', () => {
  describe('chunk states', () => {
    it('starts with every chunk pending', () => {
      const progress = new JobProgress(4, 4 * KIB, 0)
      assert.deepEqual(progress.chunk(0), { status: 'pending' })
      assert.deepEqual(progress.counts(), { completed: 0, downloading: 0, failed: 0, pending: 4 })
      assert.equal(progress.chunksDone, 0)
      assert.equal(progress.bytesDone, 0)
      assert.equal(progress.bytesReceived, 0)
    })

    it('goes pending → downloading (with bytes and peer) → completed', () => {
      const progress = new JobProgress(3, 3 * KIB, 0)
      progress.requested(1, 'peerA', KIB)
      assert.deepEqual(progress.chunk(1), { status: 'downloading', peer: 'peerA', received: 0, total: KIB })
      progress.received(1, 'peerA', 256, 256)
      progress.received(1, 'peerA', 1000, 744)
      assert.deepEqual(progress.chunk(1), { status: 'downloading', peer: 'peerA', received: 1000, total: KIB })
      assert.deepEqual(progress.counts(), { completed: 0, downloading: 1, failed: 0, pending: 2 })
      progress.received(1, 'peerA', KIB, 24)
      progress.completed(1, 'peerA', KIB)
      assert.deepEqual(progress.chunk(1), { status: 'completed', peer: 'peerA' })
      assert.deepEqual(progress.counts(), { completed: 1, downloading: 0, failed: 0, pending: 2 })
      assert.equal(progress.chunksDone, 1)
      assert.equal(progress.bytesDone, KIB)
      assert.equal(progress.bytesReceived, KIB)
    })

    it('returns copies: callers cannot change the recorded state', () => {
      const progress = new JobProgress(1, KIB, 0)
      progress.requested(0, 'a', KIB)
      const view = progress.chunk(0)
      view.received = 999
      assert.equal(progress.chunk(0).received, 0)
    })

    it('goes downloading → failed (with the peer) → downloading again elsewhere', () => {
      const progress = new JobProgress(2, 2 * KIB, 0)
      progress.requested(0, 'bad', KIB)
      progress.failed(0, 'bad')
      assert.deepEqual(progress.chunk(0), { status: 'failed', peer: 'bad' })
      assert.deepEqual(progress.counts(), { completed: 0, downloading: 0, failed: 1, pending: 1 })
      progress.requested(0, 'good', KIB)
      assert.deepEqual(progress.chunk(0), { status: 'downloading', peer: 'good', received: 0, total: KIB })
      assert.deepEqual(progress.counts(), { completed: 0, downloading: 1, failed: 0, pending: 1 })
      progress.completed(0, 'good', KIB)
      assert.deepEqual(progress.counts(), { completed: 1, downloading: 0, failed: 0, pending: 1 })
    })

    it('records a failure without a peer', () => {
      const progress = new JobProgress(1, KIB, 0)
      progress.failed(0, undefined)
      assert.deepEqual(progress.chunk(0), { status: 'failed' })
    })

    it('goes downloading → pending when a request is released without fault', () => {
      const progress = new JobProgress(2, 2 * KIB, 0)
      progress.requested(0, 'slow', KIB)
      progress.released(0)
      assert.deepEqual(progress.chunk(0), { status: 'pending' })
      assert.deepEqual(progress.counts(), { completed: 0, downloading: 0, failed: 0, pending: 2 })
      progress.released(1)
      assert.deepEqual(progress.counts().pending, 2)
    })

    it('completed chunks stay completed, counted once', () => {
      const progress = new JobProgress(2, 2 * KIB, 0)
      progress.requested(0, 'a', KIB)
      progress.completed(0, 'a', KIB)
      progress.completed(0, 'b', KIB) // endgame: the loser finishing too
      progress.failed(0, 'c')
      progress.requested(0, 'd', KIB)
      assert.deepEqual(progress.chunk(0), { status: 'completed', peer: 'a' })
      assert.equal(progress.chunksDone, 1)
      assert.equal(progress.bytesDone, KIB)
      assert.deepEqual(progress.counts(), { completed: 1, downloading: 0, failed: 0, pending: 1 })
    })

    it('ignores progress reported by a peer that no longer holds the request', () => {
      const progress = new JobProgress(1, KIB, 0)
      progress.requested(0, 'a', KIB)
      progress.requested(0, 'b', KIB) // reassigned
      progress.received(0, 'a', 512, 512)
      assert.deepEqual(progress.chunk(0), { status: 'downloading', peer: 'b', received: 0, total: KIB })
      assert.equal(progress.bytesReceived, 512, 'the bytes still count as received')
    })

    it('counts restored chunks (resume) as completed with no peer', () => {
      const progress = new JobProgress(3, 2 * KIB + 100, 0)
      progress.restored(0, KIB)
      progress.restored(2, 100)
      assert.deepEqual(progress.chunk(2), { status: 'completed' })
      assert.equal(progress.chunksDone, 2)
      assert.equal(progress.bytesDone, KIB + 100)
      assert.equal(progress.bytesReceived, 0, 'nothing was transferred')
      assert.deepEqual(progress.counts(), { completed: 2, downloading: 0, failed: 0, pending: 1 })
    })
  })

  describe('speed and ETA', () => {
    it('has no speed and an unknown ETA before any byte arrives', () => {
      const clock = new FakeClock()
      const progress = new JobProgress(10, 10 * KIB, clock.ms)
      assert.equal(progress.speed, 0)
      assert.equal(progress.etaSeconds, undefined)
      progress.tick(clock.advance(2000))
      assert.equal(progress.speed, 0)
      assert.equal(progress.etaSeconds, undefined)
    })

    it('is the bytes of the last RATE_WINDOW_MS over that span; a young job divides by at least RATE_MIN_SPAN_MS', () => {
      const clock = new FakeClock()
      const progress = new JobProgress(100, 100_000, clock.ms)
      assert.equal(RATE_WINDOW_MS, 3000)
      progress.received(0, 'a', 1000, 1000, clock.advance(100))
      assert.equal(progress.speed, 1000, 'the first block over the minimum span of 1 s, not over 100 ms')
      progress.received(1, 'a', 3000, 3000, clock.advance(1900))
      progress.tick(clock.ms)
      assert.equal(progress.speed, 2000, '4000 bytes over the 2 s since the start')
      progress.tick(clock.advance(900))
      assert.equal(progress.speed, 4000 / 2.9, '4000 bytes over the 2.9 s since the start')
      progress.tick(clock.advance(1200))
      assert.equal(progress.speed, 3000 / 2.85, 'the first block left the window: 3000 bytes over the 11 slots and 100 ms it covers')
      progress.tick(clock.advance(2000))
      assert.equal(progress.speed, 0, 'nothing arrived for a whole window: exactly 0, not a decaying average')
    })

    it('keeps a rate per peer, summing to the job speed; a silent peer reads 0', () => {
      const clock = new FakeClock()
      const progress = new JobProgress(100, 100_000, clock.ms)
      progress.requested(0, 'a', 10_000)
      progress.requested(1, 'b', 10_000)
      clock.advance(3000)
      for (let i = 0; i < 12; i++) {
        progress.received(0, 'a', 500 * (i + 1), 500, clock.advance(250))
        if (i < 4) progress.received(1, 'b', 100 * (i + 1), 100, clock.ms)
      }
      progress.tick(clock.ms)
      assert.ok(Math.abs(progress.peerRate('a') - 2000) < 2000 * 0.1, `500 bytes every 250 ms: ${progress.peerRate('a')}`)
      assert.ok(Math.abs(progress.peerRate('b') - 400 / 3) < 400 / 3 * 0.1, `b sent 400 bytes in the first second of the window: ${progress.peerRate('b')}`)
      assert.equal(progress.speed, progress.peerRate('a') + progress.peerRate('b'))
      assert.equal(progress.peerRate('nobody'), 0)
      progress.tick(clock.advance(1000))
      assert.equal(progress.peerRate('b'), 0, 'b has been silent for a whole window')
      assert.ok(progress.peerRate('a') > 0)
    })

    it('computes the ETA from the bytes still missing, rounded up', () => {
      const clock = new FakeClock()
      const progress = new JobProgress(10, 10_000, clock.ms)
      progress.received(0, 'a', 3000, 3000, clock.advance(1000))
      progress.completed(0, 'a', 3000)
      progress.tick(clock.ms) // 3000 B/s over the first second
      assert.equal(progress.etaSeconds, 3, '7000 bytes at 3000 B/s is 2.33 s, shown as 3')
      progress.restored(1, 6999)
      assert.equal(progress.etaSeconds, 1)
    })

    it('reports an ETA of 0 once every byte is done, whatever the speed', () => {
      const progress = new JobProgress(2, 2 * KIB, 0)
      progress.restored(0, KIB)
      progress.restored(1, KIB)
      assert.equal(progress.speed, 0)
      assert.equal(progress.etaSeconds, 0)
      assert.equal(new JobProgress(0, 0, 0).etaSeconds, 0, 'an empty file is done at once')
    })
  })
})
