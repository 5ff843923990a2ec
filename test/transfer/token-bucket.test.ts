import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { BURST_MS, PeerBuckets, sleep, TokenBucket } from '../../src/transfer/token-bucket.js'
import { hasCode } from '../../src/errors.js'

/** A clock tests move by hand. */
class FakeClock {
  ms = 1_000_000
  readonly now = (): number => this.ms
  advance (ms: number): void { this.ms += ms }
}

const isAborted = (err: unknown): boolean => hasCode(err, 'ERR_ABORTED')

describe('TokenBucket.ready and refund', () => {
  it('is ready while out of debt, so one chunk larger than the burst may go, then the debt is waited out', () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(1000, clock.now) // burst 250 bytes
    assert.equal(bucket.ready(), true)
    bucket.reserve(1000) // 750 in debt
    assert.equal(bucket.ready(), false)
    clock.advance(700)
    assert.equal(bucket.ready(), false)
    clock.advance(51)
    assert.equal(bucket.ready(), true)
  })

  it('takes refunds back, never beyond the burst', () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(1000, clock.now)
    bucket.reserve(1000)
    bucket.refund(1000)
    assert.equal(bucket.reserve(250), 0, 'back to the full burst')
    bucket.refund(10_000)
    assert.equal(bucket.reserve(300), 50, 'a refund does not grow the burst')
  })

  it('is always ready without a rate', () => {
    const bucket = new TokenBucket(0)
    bucket.reserve(1e12)
    bucket.refund(5)
    assert.equal(bucket.ready(), true)
  })
})

describe('TokenBucket.reserve', () => {
  it('starts with a burst of BURST_MS worth of the rate, then charges debt at the rate', () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(1000, clock.now) // 1000 B/s: a 250-byte burst
    assert.equal(BURST_MS, 250)
    assert.equal(bucket.rate, 1000)
    assert.equal(bucket.reserve(100), 0)
    assert.equal(bucket.reserve(150), 0, 'the whole burst may go at once')
    assert.equal(bucket.reserve(50), 50, '50 bytes of debt at 1000 B/s is 50 ms')
    assert.equal(bucket.reserve(100), 150, 'debt accumulates across takers')
  })

  it('refills with time, never beyond the burst', () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(2000, clock.now) // burst 500 bytes
    assert.equal(bucket.reserve(700), 100) // 200 bytes in debt
    clock.advance(60) // +120 bytes
    assert.equal(bucket.reserve(0), 40, 'the remaining debt is 80 bytes')
    clock.advance(40)
    assert.equal(bucket.reserve(0), 0, 'debt paid off exactly')
    clock.advance(10_000)
    assert.equal(bucket.reserve(500), 0, 'a long idle period refills one burst')
    assert.equal(bucket.reserve(2), 1, 'and no more')
  })

  it('charges an oversized single take as debt', () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(1024 * 1024, clock.now)
    const wait = bucket.reserve(4 * 1024 * 1024)
    assert.equal(wait, 3750, '4 MiB less a quarter-second burst at 1 MiB/s')
  })

  it('treats rate 0 (and below) as unlimited', () => {
    const clock = new FakeClock()
    for (const rate of [0, -5]) {
      const bucket = new TokenBucket(rate, clock.now)
      for (let i = 0; i < 5; i++) assert.equal(bucket.reserve(1e12), 0)
    }
  })

  it('does not turn a clock that steps backwards into a long wait', () => {
    // The default clock is Date.now, which NTP or a user can move back. Time that did not
    // pass must not be charged: a bucket with a full burst still lets a small send through.
    const clock = new FakeClock()
    const bucket = new TokenBucket(1000, clock.now)
    clock.advance(-10_000)
    assert.equal(bucket.reserve(100), 0)
  })
})

describe('sleep', () => {
  it('resolves after the time passes', async () => {
    await sleep(1)
    await sleep(0)
    await sleep(-5)
  })

  it('rejects with ERR_ABORTED when aborted while sleeping', async () => {
    const controller = new AbortController()
    const sleeping = sleep(60_000, controller.signal)
    controller.abort()
    await assert.rejects(sleeping, isAborted)
  })

  it('rejects at once with an already aborted signal', async () => {
    await assert.rejects(sleep(60_000, AbortSignal.abort()), isAborted)
  })

  it('removes its abort listener when it completes', async () => {
    const controller = new AbortController()
    let listeners = 0
    const signal = controller.signal
    const add = signal.addEventListener.bind(signal)
    const remove = signal.removeEventListener.bind(signal)
    signal.addEventListener = ((...args: Parameters<typeof add>) => { listeners++; add(...args) }) as typeof add
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => { listeners--; remove(...args) }) as typeof remove
    await sleep(1, signal)
    assert.equal(listeners, 0)
    controller.abort() // must not throw or reject anything late
  })
})

describe('PeerBuckets', () => {
  it('has no buckets without a per-peer rate', () => {
    assert.equal(new PeerBuckets(0).get('a'), undefined)
  })

  it('gives each peer its own bucket, the same one while it holds debt', () => {
    const clock = new FakeClock()
    const buckets = new PeerBuckets(1000, clock.now)
    buckets.get('a')?.reserve(1000)
    assert.equal(buckets.get('a')?.ready(), false, 'the debt is remembered')
    assert.equal(buckets.get('b')?.ready(), true, 'another peer has its own')
  })

  it('forgets buckets that refilled, and only those', () => {
    const clock = new FakeClock()
    const buckets = new PeerBuckets(1000, clock.now)
    buckets.get('idle')
    buckets.get('busy')?.reserve(10_000)
    for (let i = 0; i < 1022; i++) buckets.get(`p${i % 10}`) // the 1,024th lookup sweeps
    assert.equal(buckets.size, 1, 'only the peer in debt is kept')
    assert.equal(buckets.get('busy')?.ready(), false)
  })
})
