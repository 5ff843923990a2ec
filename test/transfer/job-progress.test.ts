import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { JobProgress, SPEED_WINDOW_MS } from '../../src/transfer/job-progress.js'

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
    it('has no speed and an unknown ETA before the first full window', () => {
      const clock = new FakeClock()
      const progress = new JobProgress(10, 10 * KIB, clock.ms)
      assert.equal(progress.speed, 0)
      assert.equal(progress.etaSeconds, undefined)
      progress.received(0, 'a', KIB, KIB)
      progress.tick(clock.advance(SPEED_WINDOW_MS - 1))
      assert.equal(progress.speed, 0, 'a window shorter than SPEED_WINDOW_MS is not folded in')
      assert.equal(progress.etaSeconds, undefined)
    })

    it('takes the first window as the speed, then averages windows with weight one half', () => {
      const clock = new FakeClock()
      const progress = new JobProgress(100, 100_000, clock.ms)
      assert.equal(SPEED_WINDOW_MS, 1000)
      progress.received(0, 'a', 1000, 1000)
      progress.tick(clock.advance(1000))
      assert.equal(progress.speed, 1000)

      progress.received(1, 'a', 3000, 3000)
      progress.tick(clock.advance(1000))
      assert.equal(progress.speed, 2000, '1000 + (3000 - 1000) / 2')

      progress.tick(clock.advance(2000)) // a 2 s window with nothing received
      assert.equal(progress.speed, 1000, '2000 + (0 - 2000) / 2')

      progress.received(2, 'a', 4000, 4000)
      progress.tick(clock.advance(500))
      assert.equal(progress.speed, 1000, 'half a window later nothing changes yet')
      progress.tick(clock.advance(1500)) // 4000 bytes over 2 s
      assert.equal(progress.speed, 1500)
    })

    it('computes the ETA from the bytes still missing, rounded up', () => {
      const clock = new FakeClock()
      const progress = new JobProgress(10, 10_000, clock.ms)
      progress.received(0, 'a', 3000, 3000)
      progress.completed(0, 'a', 3000)
      progress.tick(clock.advance(1000)) // 3000 B/s
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
