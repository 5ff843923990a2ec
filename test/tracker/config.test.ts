import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { resolveTrackerConfig } from '../../src/tracker/config.js'

const invalid = (key: string) => (err: any): boolean => err.code === 'ERR_INVALID_CONFIG' && err.details.key === key

describe('tracker config', () => {
  it('fills defaults, derives the TTL from the interval, and freezes the result', () => {
    const config = resolveTrackerConfig({ announceIntervalSeconds: 30 })
    assert.equal(config.host, '127.0.0.1')
    assert.equal(config.port, 7070)
    assert.equal(config.peerTtlSeconds, 90)
    assert.equal(config.maxPeers, 100_000)
    assert.deepEqual(config.peerRateLimit, { perSecond: 1, burst: 10 })
    assert.deepEqual(config.ipRateLimit, { perSecond: 100, burst: 1000 })
    assert.equal(config.maxIndexBytes, 48 * 1024 * 1024)
    assert.equal(config.ipShare, 1 / 8)
    assert.equal(config.maxClockSkewSeconds, 60)
    assert.equal(config.dataDir, undefined)
    assert.match(config.version, /^\d+\.\d+\.\d+/)
    assert.ok(Object.isFrozen(config))
    assert.equal(resolveTrackerConfig({ ipRateLimit: false }).ipRateLimit, false)
  })

  it('names the bad option', () => {
    assert.throws(() => resolveTrackerConfig({ nope: true } as any), invalid('nope'))
    assert.throws(() => resolveTrackerConfig({ port: -1 }), invalid('port'))
    assert.throws(() => resolveTrackerConfig({ port: 65536 }), invalid('port'))
    assert.throws(() => resolveTrackerConfig({ maxPeers: 1.5 }), invalid('maxPeers'))
    assert.throws(() => resolveTrackerConfig({ announceIntervalSeconds: 0 }), invalid('announceIntervalSeconds'))
    assert.throws(() => resolveTrackerConfig({ announceIntervalSeconds: 60, peerTtlSeconds: 60 }), invalid('peerTtlSeconds'))
    assert.throws(() => resolveTrackerConfig({ peerRateLimit: { perSecond: 0, burst: 1 } }), invalid('peerRateLimit'))
    assert.throws(() => resolveTrackerConfig({ ipRateLimit: { perSecond: 1, burst: 0 } }), invalid('ipRateLimit'))
    assert.throws(() => resolveTrackerConfig({ dataDir: '' }), invalid('dataDir'))
    assert.throws(() => resolveTrackerConfig({ maxIndexBytes: 0 }), invalid('maxIndexBytes'))
    assert.throws(() => resolveTrackerConfig({ ipShare: 1.5 }), invalid('ipShare'))
    assert.throws(() => resolveTrackerConfig({ maxClockSkewSeconds: -1 }), invalid('maxClockSkewSeconds'))
    assert.throws(() => resolveTrackerConfig({ host: '' }), invalid('host'))
  })
})
