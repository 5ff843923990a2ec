/**
 * Distribution under failure, on real hosts: a holder killed mid-push, the
 * uploader restarted mid-distribution, a holder restarted and serving its
 * pushed chunks to a real downloader (a Shoal node) next to another holder.
 */
import '../../src/polyfill.js'
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pushFile } from '../../src/distribute/pusher.js'
import type { SignedRecord } from '../../src/distribute/record.js'
import { OwnRecords } from '../../src/node/own-records.js'
import { makeFixture, chunksOnDisk, type Fixture } from './store-fixture.js'
import { type Holder, introduce, pushBase, startHolder, startHost, tempDir } from './store-hosts.js'
import { startInProcessNode } from '../helpers/in-process-nodes.js'

/** Every chunk on 2 distinct peers of `live`, and each of them holds on disk exactly what the record says. */
async function assertInvariant (record: SignedRecord, file: Fixture, live: readonly Holder[]): Promise<void> {
  const ids = new Set(live.map((h) => h.peerId))
  for (const hs of record.record.holders) {
    assert.equal(new Set(hs).size, 2)
    for (const h of hs) assert.ok(ids.has(h), `chunk placed on ${h}, not a live holder`)
  }
  for (const h of live) {
    assert.deepEqual(await chunksOnDisk(h, file), record.record.holders.flatMap((hs, i) => hs.includes(h.peerId) ? [i] : []), h.name)
  }
}

describe('distribution under failure', () => {
  it('re-places the copies of a holder killed mid-push; every chunk ends with 2 copies on live peers', async (t) => {
    const dir = await tempDir(t)
    const pusher = await startHost(t, 'pusher')
    const hs = await Promise.all(['a', 'b', 'c', 'd'].map(async (n) => await startHolder(t, join(dir, n), n)))
    const victim = hs[1] as Holder
    await introduce([pusher, ...hs])
    const file = makeFixture(4 * 1024 * 1024)
    let killed: Promise<void> | undefined
    const result = await pushFile({
      ...pushBase(pusher, file, hs),
      onProgress: (p) => { if (killed == null && p.confirmed >= 10) killed = victim.stop() }
    })
    await killed
    assert.ok(killed != null)
    t.diagnostic(`killed ${victim.name} after 10 copies; ${result.refused} copies re-placed over ${result.rounds} rounds, version ${result.record.record.version}`)
    assert.ok(result.refused > 0)
    assert.ok(!result.record.record.holders.flat().includes(victim.peerId))
    await assertInvariant(result.record, file, hs.filter((h) => h !== victim))
  })

  it('resumes from the previous record after the uploader restarts, pushing only the missing copies', async (t) => {
    const dir = await tempDir(t)
    const first = await startHost(t, 'pusher')
    const hs = await Promise.all(['a', 'b', 'c'].map(async (n) => await startHolder(t, join(dir, n), n)))
    await introduce([first, ...hs])
    const file = makeFixture(4 * 1024 * 1024)
    const controller = new AbortController()
    // The uploader saves each version in its data dir before pushing under it (as the node does).
    const data = join(dir, 'uploader')
    const own = await OwnRecords.open(data)
    await assert.rejects(pushFile({
      ...pushBase(first, file, hs),
      signal: controller.signal,
      onRecord: (r) => { own.put([r.bytes], r, false) },
      onProgress: (p) => { if (p.confirmed >= p.total * 0.4) controller.abort() }
    }))
    await first.stop()
    await new Promise((resolve) => setTimeout(resolve, 500)) // chunks being written when the stream went down land
    const previous = (await OwnRecords.open(data)).get(file.fileId)?.record as SignedRecord
    assert.ok(previous != null)
    assert.equal(previous.record.uploader, first.peerId)
    const before = await Promise.all(hs.map(async (h) => new Set(await chunksOnDisk(h, file))))
    const held = before.reduce((n, s) => n + s.size, 0)
    const incomplete = previous.record.holders.filter((holders, c) => holders.some((h) => !before[hs.findIndex((x) => x.peerId === h)]?.has(c))).length
    assert.ok(held > 0 && incomplete > 0, `${held} copies held, ${incomplete} chunks incomplete`)

    const again = await startHost(t, 'pusher-again', first.privateKey)
    await introduce([again, ...hs])
    const result = await pushFile({ ...pushBase(again, file, hs), previous })
    t.diagnostic(`interrupted with ${held} of ${file.chunkCount * 2} copies held; the resumed push sent ${result.chunksSent} chunks (${incomplete} incomplete), ${result.bytesSent} bytes`)
    assert.equal(result.refused, 0)
    assert.equal(result.chunksSent, incomplete, 'only chunks missing a copy were sent, each once')
    assert.equal(result.record.record.version, previous.record.version, 'nothing re-placed: the map is the same')
    await assertInvariant(result.record, file, hs)
  })

  it('a restarted holder reopens its registry and, with another holder, serves the file to a downloader', async (t) => {
    const dir = await tempDir(t)
    const pusher = await startHost(t, 'pusher')
    const a = await startHolder(t, join(dir, 'a'), 'a')
    const b = await startHolder(t, join(dir, 'b'), 'b')
    await introduce([pusher, a, b])
    const file = makeFixture(3 * 1024 * 1024, 64 * 1024)
    await pushFile(pushBase(pusher, file, [a, b]))
    await pusher.stop()
    await a.stop()
    const again = await startHolder(t, join(dir, 'a'), 'a-again', { privateKey: a.privateKey })
    assert.equal(again.peerId, a.peerId)
    assert.equal(again.registry.get(file.fileId)?.have.count, file.chunkCount)

    const node = await startInProcessNode(t, dir, 'downloader')
    const out = join(dir, 'out.bin')
    const { job, done } = await node.startDownload(file.fileId, { output: out, peers: [...again.addrs, ...b.addrs] })
    await done
    const snap = job.snapshot()
    assert.equal(snap.state, 'completed')
    assert.deepEqual(await readFile(out), Buffer.from(file.bytes))
    t.diagnostic(`downloaded from ${snap.peersUsed} holders: ${snap.peers.map((p) => p.bytes).join(' + ')} bytes`)
    assert.equal(snap.peersUsed, 2)
  })
})
