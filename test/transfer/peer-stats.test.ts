import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { EWMA_ALPHA, INITIAL_WINDOW, MIN_WINDOW, PIPELINE_SLACK_MS, PeerStats, RATE_SAMPLE_MS } from '../../src/transfer/peer-stats.js'

const MiB = 1024 * 1024

/** A peer measured at `bytesPerSecond` over one sample starting at `t0`. */
function measured (bytesPerSecond: number, rttMs = 0, t0 = 0): PeerStats {
  const p = new PeerStats('a')
  if (rttMs > 0) p.onRtt(rttMs)
  p.startSample(t0)
  p.onData(bytesPerSecond, t0 + 1000)
  return p
}

describe('PeerStats', () => {
  it('starts unmeasured, active, with the initial window', () => {
    const p = new PeerStats('a')
    assert.equal(p.id, 'a')
    assert.equal(p.state, 'active')
    assert.equal(p.rate, 0)
    assert.equal(p.rttMs, 0)
    assert.equal(p.window(MiB, 16), INITIAL_WINDOW)
    assert.equal(p.window(MiB, 3), 3, 'the cap applies to the initial window too')
  })

  it('measures rate only over samples of at least RATE_SAMPLE_MS, then as a moving average', () => {
    const p = new PeerStats('a')
    p.startSample(1000)
    p.onData(MiB, 1000 + RATE_SAMPLE_MS - 1)
    assert.equal(p.rate, 0, 'a too short sample does not count yet')
    assert.equal(p.bytes, MiB)
    p.onData(MiB, 1000 + 2 * RATE_SAMPLE_MS)
    const first = 2 * MiB * 1000 / (2 * RATE_SAMPLE_MS)
    assert.equal(p.rate, first, 'the first sample is taken as is')
    p.onData(MiB, 1000 + 2 * RATE_SAMPLE_MS + 1000)
    assert.equal(p.rate, first + EWMA_ALPHA * (MiB - first), 'later samples are blended in')
    assert.equal(p.bytes, 3 * MiB)
    assert.equal(p.lastDataAt, 1000 + 2 * RATE_SAMPLE_MS + 1000)
  })

  it('does not count idle time as slowness once a new sample starts', () => {
    const p = new PeerStats('a')
    p.startSample(0)
    p.onData(MiB, 1000)
    p.startSample(60_000)
    p.onData(MiB, 61_000)
    assert.equal(p.rate, MiB, 'a minute idle between the samples does not lower the rate')
    assert.equal(p.lastDataAt, 61_000)
  })

  it('averages round-trip times', () => {
    const p = new PeerStats('a')
    p.onRtt(100)
    assert.equal(p.rttMs, 100)
    p.onRtt(200)
    assert.equal(p.rttMs, 100 + EWMA_ALPHA * 100)
  })

  it('sizes the window to bandwidth × (RTT + slack), in chunks', () => {
    assert.equal(measured(10 * MiB).window(MiB, 64), Math.ceil(10 * PIPELINE_SLACK_MS / 1000))
    assert.equal(measured(10 * MiB, 500).window(MiB, 64), Math.ceil(10 * (500 + PIPELINE_SLACK_MS) / 1000))
    assert.ok(measured(20 * MiB, 100).window(MiB, 64) > measured(10 * MiB, 100).window(MiB, 64), 'grows with the rate')
    assert.ok(measured(10 * MiB, 1000).window(MiB, 64) > measured(10 * MiB, 100).window(MiB, 64), 'grows with the RTT')
    assert.equal(measured(10 * MiB, 100).window(256 * 1024, 64), Math.ceil(10 * 4 * (100 + PIPELINE_SLACK_MS) / 1000), 'counts in chunks of the given size')
  })

  it('keeps at least MIN_WINDOW requests and at most the cap', () => {
    assert.equal(measured(1024).window(MiB, 16), MIN_WINDOW)
    assert.equal(measured(1000 * MiB, 100).window(MiB, 16), 16)
  })

  it('halves the window per error or bad chunk, at most four times, never below one', () => {
    const p = measured(1000 * MiB, 100)
    p.errors = 1
    assert.equal(p.window(MiB, 16), 8)
    p.badChunks = 1
    assert.equal(p.window(MiB, 16), 4)
    p.errors = 10
    assert.equal(p.window(MiB, 16), 1, 'the penalty is capped at 16× and the window at one')
    const slow = measured(1024)
    slow.errors = 1
    assert.equal(slow.window(MiB, 16), 1)
  })

  it('gives stalled and banned peers no window; data revives a stalled peer, not a banned one', () => {
    const p = measured(10 * MiB)
    p.state = 'stalled'
    assert.equal(p.window(MiB, 16), 0)
    p.onData(1, 5000)
    assert.equal(p.state, 'active')
    assert.ok(p.window(MiB, 16) > 0)
    p.state = 'banned'
    p.onData(1, 6000)
    assert.equal(p.state, 'banned')
    assert.equal(p.window(MiB, 16), 0)
  })

  it('moves lastDataAt forward when a sample starts, never back', () => {
    const p = new PeerStats('a')
    p.onData(1, 5000)
    p.startSample(3000)
    assert.equal(p.lastDataAt, 5000)
    p.startSample(9000)
    assert.equal(p.lastDataAt, 9000)
  })
})
