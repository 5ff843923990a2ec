import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { TokenBucketLimiter, clientKey } from '../../src/tracker/rate-limit.js'
import { FakeClock } from './helpers.js'

describe('TokenBucketLimiter', () => {
  it('allows a burst, then refuses with the wait until the next token, then refills at the rate', () => {
    const clock = new FakeClock()
    const limiter = new TokenBucketLimiter({ perSecond: 1, burst: 3, maxKeys: 10, now: clock.now })
    assert.deepEqual([0, 1, 2].map(() => limiter.take('k')), [0, 0, 0])
    assert.equal(limiter.take('k'), 1000)
    clock.advance(250)
    assert.equal(limiter.take('k'), 750)
    clock.advance(750)
    assert.equal(limiter.take('k'), 0)
    assert.equal(limiter.take('k'), 1000)
    assert.equal(limiter.take('other'), 0, 'keys are independent')
  })

  it('never remembers more than maxKeys, evicting the least recently used', () => {
    const clock = new FakeClock()
    const limiter = new TokenBucketLimiter({ perSecond: 1, burst: 1, maxKeys: 100, now: clock.now })
    for (let i = 0; i < 10_000; i++) limiter.take(`k${i}`)
    assert.equal(limiter.size, 100)
    assert.ok(limiter.take('k9999') > 0, 'a recent key is still limited')
    assert.equal(limiter.take('k0'), 0, 'an evicted key starts afresh')
  })

  it('forgets buckets that have refilled completely', () => {
    const clock = new FakeClock()
    const limiter = new TokenBucketLimiter({ perSecond: 1, burst: 2, maxKeys: 100, now: clock.now })
    for (let i = 0; i < 50; i++) limiter.take(`k${i}`)
    clock.advance(2000)
    for (let i = 0; i < 30; i++) limiter.take('busy')
    assert.equal(limiter.size, 1)
  })
})

describe('clientKey', () => {
  it('keys IPv4 by address, IPv4-mapped IPv6 by the IPv4 address and IPv6 by /64', () => {
    assert.equal(clientKey('192.0.2.7'), '192.0.2.7')
    assert.equal(clientKey('::ffff:192.0.2.7'), '192.0.2.7')
    assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64')
    assert.equal(clientKey('2001:0DB8:0001:0002:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64')
    assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64')
    assert.equal(clientKey('::1'), '0:0:0:0::/64')
    assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64')
    assert.equal(clientKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64')
  })
})
