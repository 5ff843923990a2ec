import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { UploadLimiter } from '../../src/transfer/upload-limiter.js'
import { hasCode } from '../../src/errors.js'

type Release = () => void

/** Acquires and records when the slot was granted, so tests can check order. */
function track (limiter: UploadLimiter, peer: string, log: string[], name: string, signal?: AbortSignal): Promise<Release> {
  return limiter.acquire(peer, signal).then((release) => {
    log.push(name)
    return release
  })
}

/** True when `promise` has settled once pending callbacks have run. */
async function isSettled (promise: Promise<unknown>): Promise<boolean> {
  let settled = false
  promise.then(() => { settled = true }, () => { settled = true })
  await nextTurn()
  return settled
}

describe('UploadLimiter', () => {
  it('grants at once under the caps and counts active uploads', async () => {
    const limiter = new UploadLimiter({ maxPerPeer: 2, maxTotal: 3 })
    assert.equal(limiter.active, 0)
    const releases = [await limiter.acquire('a'), await limiter.acquire('a'), await limiter.acquire('b')]
    assert.equal(limiter.active, 3)
    for (const release of releases) release()
    assert.equal(limiter.active, 0)
  })

  it('makes a peer at its cap wait without blocking other peers', async () => {
    const limiter = new UploadLimiter({ maxPerPeer: 1, maxTotal: 10 })
    const log: string[] = []
    const a1 = await track(limiter, 'a', log, 'a1')
    const a2 = track(limiter, 'a', log, 'a2')
    const b1 = await track(limiter, 'b', log, 'b1')
    assert.equal(await isSettled(a2), false)
    assert.deepEqual(log, ['a1', 'b1'])
    b1()
    assert.equal(await isSettled(a2), false, "another peer's release does not lift a's cap")
    a1()
    const release = await a2
    assert.deepEqual(log, ['a1', 'b1', 'a2'])
    release()
    assert.equal(limiter.active, 0)
  })

  it('makes everyone wait at the total cap and wakes waiters first-come first-served', async () => {
    const limiter = new UploadLimiter({ maxPerPeer: 5, maxTotal: 2 })
    const log: string[] = []
    const first = await track(limiter, 'a', log, 'first')
    const second = await track(limiter, 'b', log, 'second')
    const w1 = track(limiter, 'c', log, 'w1')
    const w2 = track(limiter, 'a', log, 'w2')
    const w3 = track(limiter, 'd', log, 'w3')
    assert.equal(await isSettled(w1), false)
    assert.equal(limiter.active, 2)

    second()
    const r1 = await w1
    assert.equal(await isSettled(w2), false, 'one slot freed, one waiter served')
    first()
    const r2 = await w2
    r1()
    const r3 = await w3
    assert.deepEqual(log, ['first', 'second', 'w1', 'w2', 'w3'])
    r2()
    r3()
    assert.equal(limiter.active, 0)
  })

  it('skips a waiter whose peer is still at its cap and serves the next one', async () => {
    const limiter = new UploadLimiter({ maxPerPeer: 1, maxTotal: 2 })
    const log: string[] = []
    const a1 = await track(limiter, 'a', log, 'a1')
    const b1 = await track(limiter, 'b', log, 'b1')
    const a2 = track(limiter, 'a', log, 'a2')
    const c1 = track(limiter, 'c', log, 'c1')
    b1() // a total slot frees; a is still at its cap, so c gets it
    const rc = await c1
    assert.equal(await isSettled(a2), false)
    a1()
    const ra = await a2
    assert.deepEqual(log, ['a1', 'b1', 'c1', 'a2'])
    rc()
    ra()
  })

  it('release is idempotent', async () => {
    const limiter = new UploadLimiter({ maxPerPeer: 1, maxTotal: 2 })
    const a = await limiter.acquire('a')
    const b = await limiter.acquire('b')
    a()
    a()
    assert.equal(limiter.active, 1, 'a second release does not free a slot twice')
    const log: string[] = []
    const a2 = await track(limiter, 'a', log, 'a2')
    const a3 = track(limiter, 'a', log, 'a3')
    a()
    assert.equal(await isSettled(a3), false, "a stale release does not lift the peer's cap")
    a2()
    b()
    const r3 = await a3
    r3()
    assert.equal(limiter.active, 0)
  })

  it('rejects a waiter with ERR_ABORTED when its signal aborts, and forgets it', async () => {
    const limiter = new UploadLimiter({ maxPerPeer: 1, maxTotal: 1 })
    const log: string[] = []
    const held = await limiter.acquire('a')
    const controller = new AbortController()
    const aborted = track(limiter, 'b', log, 'aborted', controller.signal)
    const next = track(limiter, 'c', log, 'next')
    controller.abort()
    await assert.rejects(aborted, (err) => hasCode(err, 'ERR_ABORTED'))
    held()
    const release = await next
    assert.deepEqual(log, ['next'], 'the aborted waiter never got a slot')
    assert.equal(limiter.active, 1)
    release()
    assert.equal(limiter.active, 0)
  })

  it('rejects at once with an already aborted signal when it would have to wait', async () => {
    const limiter = new UploadLimiter({ maxPerPeer: 1, maxTotal: 1 })
    const held = await limiter.acquire('a')
    await assert.rejects(limiter.acquire('b', AbortSignal.abort()), (err) => hasCode(err, 'ERR_ABORTED'))
    held()
    assert.equal(limiter.active, 0)
  })

  it('an abort after the slot was granted changes nothing', async () => {
    const limiter = new UploadLimiter({ maxPerPeer: 1, maxTotal: 1 })
    const held = await limiter.acquire('a')
    const controller = new AbortController()
    const waiting = limiter.acquire('b', controller.signal)
    held()
    const release = await waiting
    controller.abort()
    assert.equal(limiter.active, 1)
    release()
    assert.equal(limiter.active, 0)
  })

  describe('throttle', () => {
    it('passes at once without a rate limit', async () => {
      const limiter = new UploadLimiter({ maxPerPeer: 1, maxTotal: 1 })
      await limiter.throttle('a', 1e12)
    })

    it('limits each peer on its own with a per-peer rate', async () => {
      const limiter = new UploadLimiter({ maxPerPeer: 2, maxTotal: 4, peerRateBytesPerSecond: 1000 })
      const release = await limiter.acquire('a')
      await limiter.throttle('a', 250) // the burst
      const controller = new AbortController()
      const waiting = limiter.throttle('a', 10_000, controller.signal)
      // Another peer has its own bucket: its burst passes at once.
      await limiter.throttle('b', 250, AbortSignal.timeout(5000))
      controller.abort()
      await assert.rejects(waiting, (err) => hasCode(err, 'ERR_ABORTED'))
      release()
    })

    it('keeps the debt of a peer across upload slots: asking again does not reset its limit', async () => {
      const limiter = new UploadLimiter({ maxPerPeer: 1, maxTotal: 4, peerRateBytesPerSecond: 1000 })
      let release = await limiter.acquire('a')
      await limiter.throttle('a', 250) // the burst: the next chunk must wait
      release()
      release = await limiter.acquire('a')
      const controller = new AbortController()
      const waiting = limiter.throttle('a', 250, controller.signal)
      const outcome = await Promise.race([waiting.then(() => 'sent'), new Promise(resolve => { setTimeout(resolve, 100, 'waiting') })])
      controller.abort()
      await waiting.catch(() => {})
      release()
      assert.equal(outcome, 'waiting', 'a fresh slot must not come with a fresh burst')
    })

    it('rejects with ERR_ABORTED when aborted while rate limited', async () => {
      const limiter = new UploadLimiter({ maxPerPeer: 1, maxTotal: 1, rateBytesPerSecond: 1 })
      const controller = new AbortController()
      const waiting = limiter.throttle('a', 10_000, controller.signal)
      controller.abort()
      await assert.rejects(waiting, (err) => hasCode(err, 'ERR_ABORTED'))
    })
  })
})
