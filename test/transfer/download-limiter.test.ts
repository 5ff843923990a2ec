import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DownloadLimiter } from '../../src/transfer/download-limiter.js'

const MIB = 1024 * 1024

/** A clock tests move by hand. */
class FakeClock {
  ms = 1_000_000
  readonly now = (): number => this.ms
  advance (ms: number): void { this.ms += ms }
}

describe('DownloadLimiter', () => {
  it('grants everything without limits', () => {
    const limiter = new DownloadLimiter({ rateBytesPerSecond: 0, peerRateBytesPerSecond: 0 })
    assert.equal(limiter.limited, false)
    assert.equal(limiter.grant('a', 16, MIB), 16)
  })

  it('paces requests to the total rate over all peers', () => {
    const clock = new FakeClock()
    const limiter = new DownloadLimiter({ rateBytesPerSecond: MIB, peerRateBytesPerSecond: 0, now: clock.now })
    assert.equal(limiter.grant('a', 16, MIB), 1, 'one chunk while out of debt')
    assert.equal(limiter.grant('b', 16, MIB), 0, 'the total is spent for every peer')
    clock.advance(1000)
    assert.equal(limiter.grant('b', 16, MIB), 1)
    // Over 10 s of pumping every 250 ms, about 10 chunks of 1 MiB go out at 1 MiB/s.
    let granted = 0
    for (let t = 0; t < 40; t++) { clock.advance(250); granted += limiter.grant(t % 2 === 0 ? 'a' : 'b', 16, MIB) }
    assert.ok(granted >= 9 && granted <= 11, `granted ${granted}`)
  })

  it('limits each peer on its own with a per-peer rate', () => {
    const clock = new FakeClock()
    const limiter = new DownloadLimiter({ rateBytesPerSecond: 0, peerRateBytesPerSecond: MIB, now: clock.now })
    assert.equal(limiter.grant('a', 4, MIB), 1)
    assert.equal(limiter.grant('a', 4, MIB), 0)
    assert.equal(limiter.grant('b', 4, MIB), 1, 'another peer has its own budget')
  })

  it('takes back what was granted and not requested', () => {
    const clock = new FakeClock()
    const limiter = new DownloadLimiter({ rateBytesPerSecond: 4 * MIB, peerRateBytesPerSecond: 0, now: clock.now })
    assert.equal(limiter.grant('a', 1, 256 * 1024), 1)
    limiter.refund('a', 1, 256 * 1024)
    assert.equal(limiter.grant('a', 8, 256 * 1024), 4, 'the whole 1 MiB burst again')
  })

  it('gives a job its own limit on top of the node\'s, shared over the job\'s peers', () => {
    const clock = new FakeClock()
    const node = new DownloadLimiter({ rateBytesPerSecond: 0, peerRateBytesPerSecond: 0, now: clock.now })
    assert.equal(node.forJob(0), node, 'no limit: the node\'s own limiter')
    const job = node.forJob(MIB)
    assert.equal(job.limited, true)
    assert.equal(job.grant('a', 16, MIB), 1, 'one chunk while out of debt')
    assert.equal(job.grant('b', 16, MIB), 0, 'the job\'s budget is spent for all its peers')
    assert.equal(node.grant('b', 16, MIB), 16, 'other downloads of the node are not held back')
    let granted = 0
    for (let t = 0; t < 40; t++) { clock.advance(250); granted += job.grant(t % 2 === 0 ? 'a' : 'b', 16, MIB) }
    assert.ok(granted >= 9 && granted <= 11, `about 10 chunks in 10 s at 1 MiB/s: granted ${granted}`)
  })

  it('keeps the node\'s total limit over a job with a higher limit of its own', () => {
    const clock = new FakeClock()
    const node = new DownloadLimiter({ rateBytesPerSecond: MIB, peerRateBytesPerSecond: 0, now: clock.now })
    const job = node.forJob(100 * MIB)
    assert.equal(job.grant('a', 16, MIB), 1)
    assert.equal(node.grant('a', 16, MIB), 0, 'the job spent the node\'s total too')
    assert.equal(job.grant('a', 16, MIB), 0)
  })
})
