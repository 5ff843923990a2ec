/**
 * The holder watch: a holder is declared departed only once it has been
 * unreachable, without a break, for longer than the repair delay; a
 * reconnection or an answered probe resets its clock; probes are bounded,
 * jittered and abortable. Then the same over real libp2p: three nodes on
 * 127.0.0.1, one stopped, a 2 s delay.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { HolderWatch } from '../../src/distribute/holder-watch.js'
import { feedConnections, pingProbe } from '../../src/distribute/holder-watch-libp2p.js'
import { rootRecord, type DistributionRecord } from '../../src/distribute/record.js'
import { createShoalLibp2p } from '../../src/net/create-libp2p.js'
import { fileIdFromManifestBytes } from '../../src/content/manifest.js'
import { FakeClock } from '../helpers/fake-clock.js'

const DELAY_MS = 10_000
const FILE = fileIdFromManifestBytes(new TextEncoder().encode('watched file'))

const record = (holders: string[][], fileId = FILE): DistributionRecord =>
  rootRecord({ fileId, replicas: holders[0]?.length ?? 1, strategy: 'weighted', holders, uploader: 'up' })

/** A watch on a fake clock whose probe answers for the peers in `up`. */
function fakeWatch (up = new Set<string>(), init: { probeConcurrency?: number } = {}): { watch: HolderWatch, clock: FakeClock, probes: string[], events: string[] } {
  const clock = new FakeClock()
  const probes: string[] = []
  const events: string[] = []
  const watch = new HolderWatch({
    self: 'me',
    repairDelayMs: DELAY_MS,
    clock,
    random: () => 0.5,
    ...init,
    probe: async (peer, signal) => {
      probes.push(peer)
      assert.ok(signal instanceof AbortSignal)
      if (!up.has(peer)) throw new Error('unreachable')
    }
  })
  watch.on('holder:departed', (p, files) => events.push(`departed ${p} ${files.length}`))
  watch.on('holder:returned', (p) => events.push(`returned ${p}`))
  return { watch, clock, probes, events }
}

describe('holder watch (fake clock)', () => {
  it('declares a holder departed only after the delay, once, and never one that stays connected', async () => {
    const { watch, clock, probes, events } = fakeWatch()
    watch.watch(record([['me', 'a'], ['b', 'me'], ['a', 'b']]))
    watch.connected('a')
    watch.start()
    await clock.advance(DELAY_MS - 1)
    assert.deepEqual(events, [])
    assert.equal(watch.isDeparted('b'), false)
    assert.ok(probes.length > 0 && probes.every((p) => p === 'b'), `probes: ${probes.join(',')} (a connected peer is not probed)`)
    await clock.advance(DELAY_MS / 8 + 2)
    assert.deepEqual(events, ['departed b 1'])
    assert.deepEqual([...watch.departed()], ['b'])
    await clock.advance(10 * DELAY_MS)
    assert.deepEqual(events, ['departed b 1'], 'declared once')
    assert.equal(watch.isDeparted('a'), false)
    assert.equal(watch.isDeparted('me'), false)
    watch.stop()
    assert.equal(clock.pending, 0, 'stop clears the timer')
  })

  it('declares a holder departed the moment the delay has passed, by its own timer or when asked, not at the next periodic check', async () => {
    const { watch, clock, events } = fakeWatch()
    watch.watch(record([['me', 'a']]))
    watch.connected('a')
    watch.start()
    await clock.advance(DELAY_MS / 16)
    watch.disconnected('a')
    // Checks run every DELAY_MS / 8; the last one (at DELAY_MS) saw a gone for 15/16 of the delay.
    await clock.advance(DELAY_MS)
    assert.deepEqual(events, [])
    assert.equal(watch.isDeparted('a'), false, 'exactly one delay is not longer than it')
    await clock.advance(1)
    assert.deepEqual(events, ['departed a 1'], 'declared at once (the next periodic check is DELAY_MS / 16 away)')
    assert.equal(watch.isDeparted('a'), true)
    await clock.advance(DELAY_MS)
    assert.deepEqual(events, ['departed a 1'])
    watch.stop()
  })

  it('keeps the verdict on a departed holder once a repaired version no longer names it, until it connects again', async () => {
    const { watch, clock, events } = fakeWatch()
    watch.watch(record([['me', 'a'], ['me', 'b']]))
    watch.start()
    watch.connected('b')
    await clock.advance(2 * DELAY_MS)
    assert.deepEqual(events, ['departed a 1'])
    // The repair replaced a with c: a is no longer watched, but a rival repair replacing it is judged by it.
    watch.watch(record([['me', 'c'], ['me', 'b']]))
    assert.equal(watch.isDeparted('a'), true)
    assert.deepEqual(events, ['departed a 1'])
    // Named again by some version: still departed, no new event; back on the network: not any more.
    assert.deepEqual(watch.watch(record([['me', 'a'], ['me', 'b']])), ['a'])
    watch.connected('a')
    assert.equal(watch.isDeparted('a'), false)
    watch.watch(record([['me', 'c'], ['me', 'b']]))
    assert.equal(watch.isDeparted('a'), false, 'a peer never declared departed is not')
    watch.stop()
  })

  it('restarts the clock when a holder reconnects before the delay, and declares it after a full delay apart', async () => {
    const { watch, clock, events } = fakeWatch()
    watch.watch(record([['me', 'a']]))
    watch.connected('a')
    watch.start()
    await clock.advance(DELAY_MS * 3)
    watch.disconnected('a')
    await clock.advance(DELAY_MS * 0.9)
    watch.connected('a')
    await clock.advance(1_000)
    watch.disconnected('a')
    // 0.9 + 0.9 delays unreachable in total, but never one delay continuously.
    await clock.advance(DELAY_MS * 0.9)
    assert.deepEqual(events, [])
    await clock.advance(DELAY_MS * 0.1 + DELAY_MS / 8 + 1)
    assert.deepEqual(events, ['departed a 1'])
    // It comes back: declared returned, no longer departed.
    watch.connected('a')
    assert.deepEqual(events, ['departed a 1', 'returned a'])
    assert.equal(watch.isDeparted('a'), false)
    watch.stop()
  })

  it('keeps a holder that answers probes alive without a connection, and notices a departed one answering again', async () => {
    const up = new Set(['a'])
    const { watch, clock, events } = fakeWatch(up)
    watch.watch(record([['me', 'a', 'b']]))
    watch.start()
    await clock.advance(DELAY_MS * 5)
    assert.deepEqual(events, ['departed b 1'])
    up.add('b')
    await clock.advance(DELAY_MS / 2)
    assert.deepEqual(events, ['departed b 1', 'returned b'])
    watch.stop()
  })

  it('bounds probes in flight, gives each a signal, and aborts them on stop', async () => {
    const clock = new FakeClock()
    let inFlight = 0
    let peak = 0
    const signals: AbortSignal[] = []
    const watch = new HolderWatch({
      self: 'me',
      repairDelayMs: DELAY_MS,
      clock,
      probeConcurrency: 3,
      probe: async (_peer, signal) => {
        signals.push(signal)
        peak = Math.max(peak, ++inFlight)
        // Hangs until aborted, like a dial to a black hole.
        await new Promise<void>((resolve) => { signal.addEventListener('abort', () => { resolve() }) })
        inFlight--
        throw new Error('aborted')
      }
    })
    watch.watch(record([['me', 'p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']], FILE))
    watch.start()
    await clock.advance(DELAY_MS * 2)
    assert.equal(peak, 3)
    assert.equal(signals.length, 3)
    watch.stop()
    await clock.advance(1)
    assert.ok(signals.every((s) => s.aborted))
    assert.equal(inFlight, 0)
  })

  it('forgets the holders of a file no longer watched', async () => {
    const { watch, clock, events } = fakeWatch()
    const other = fileIdFromManifestBytes(new TextEncoder().encode('other'))
    watch.watch(record([['me', 'a']]))
    watch.watch(record([['me', 'b']], other))
    watch.unwatch(FILE)
    watch.start()
    await clock.advance(DELAY_MS * 2)
    assert.deepEqual(events, ['departed b 1'])
    assert.deepEqual(watch.status().map((s) => s.peerId), ['b'])
    // A file received later whose holders include b: b is reported departed at once (no second event).
    const third = fileIdFromManifestBytes(new TextEncoder().encode('third'))
    assert.deepEqual(watch.watch(record([['me', 'b']], third)), ['b'])
    assert.deepEqual(watch.status().find((s) => s.peerId === 'b')?.files.length, 2)
    // A newer version of a file still naming b (its chunk had no survivor to copy from) keeps the verdict.
    watch.unwatch(third)
    assert.deepEqual(watch.watch(record([['me', 'b'], ['me', 'c']], other)), ['b'])
    await clock.advance(DELAY_MS / 2)
    assert.deepEqual(events, ['departed b 1'], 'c got a fresh clock; b was not declared twice')
    assert.equal(watch.isDeparted('c'), false)
    watch.stop()
  })
})

describe('holder watch (real libp2p)', () => {
  it('three nodes on 127.0.0.1: a stopped holder is declared departed 2–4 s later, the live one never', async (t) => {
    const REAL_DELAY_MS = 2_000
    const nodes = await Promise.all([0, 1, 2].map(async () => {
      const node = await createShoalLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], maxConnections: 20, mdns: false, bootstrap: [] })
      await node.start()
      t.after(async () => { await node.stop() })
      return node
    }))
    const [me, live, leaving] = nodes as [typeof nodes[0], typeof nodes[0], typeof nodes[0]]
    await me.dial(live.getMultiaddrs()[0]!, { signal: AbortSignal.timeout(10_000) })
    await me.dial(leaving.getMultiaddrs()[0]!, { signal: AbortSignal.timeout(10_000) })
    const ids = nodes.map((n) => n.peerId.toString())
    const watch = new HolderWatch({ self: ids[0]!, repairDelayMs: REAL_DELAY_MS, probe: pingProbe(me) })
    const unfeed = feedConnections(watch, me)
    t.after(() => { unfeed(); watch.stop() })
    watch.watch(record([[ids[0]!, ids[1]!], [ids[1]!, ids[2]!], [ids[2]!, ids[0]!]]))
    watch.start()

    const departed = new Promise<{ peer: string, at: number }>((resolve) => {
      watch.once('holder:departed', (peer) => { resolve({ peer, at: performance.now() }) })
    })
    const stoppedAt = performance.now()
    await leaving.stop()
    const result = await departed
    const elapsed = result.at - stoppedAt
    t.diagnostic(`declared departed after ${elapsed.toFixed(0)} ms (delay ${REAL_DELAY_MS} ms)`)
    assert.equal(result.peer, ids[2])
    assert.ok(elapsed >= REAL_DELAY_MS && elapsed <= 2 * REAL_DELAY_MS, `declared after ${elapsed.toFixed(0)} ms`)
    // The live holder, idle and connected the whole time, stays.
    await new Promise((resolve) => setTimeout(resolve, REAL_DELAY_MS))
    assert.equal(watch.isDeparted(ids[1]!), false)
    assert.deepEqual([...watch.departed()], [ids[2]])
  })
})
