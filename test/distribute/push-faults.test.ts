/**
 * Distribution under failure, on real hosts: a holder killed mid-push, the
 * uploader restarted mid-distribution, a holder restarted and serving its
 * pushed chunks to a real downloader (a Shoal node) next to another holder.
 */
import '../../src/polyfill.js'
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pushFile, type PushInit } from '../../src/distribute/pusher.js'
import type { SignedRecord } from '../../src/distribute/record.js'
import { UploadRecords } from '../../src/distribute/upload-records.js'
import { openCatalogDatabase } from '../../src/store/catalog-open.js'
import { makeFixture, chunksOnDisk, type Fixture } from './store-fixture.js'
import { introduce, startHolder, startHost, type Holder, type Host } from './store-hosts.js'
import { startInProcessNode } from '../helpers/in-process-nodes.js'
import type { TestContext } from 'node:test'

async function tempDir (t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-pushf-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

function base (pusher: Host, file: Fixture, candidates: readonly Holder[]): PushInit {
  return { libp2p: pusher.libp2p, privateKey: pusher.privateKey, manifest: file.manifest, manifestBytes: file.manifestBytes, readChunk: file.readChunk, candidates: candidates.map((h) => h.peerId), replicas: 2, strategy: 'round-robin', minPeers: 2, includeLocal: false }
}

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
      ...base(pusher, file, hs),
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
    // The uploader saves each version in its catalog before pushing under it.
    const catalog = join(dir, 'uploader.db')
    const db = openCatalogDatabase(catalog)
    await assert.rejects(pushFile({
      ...base(first, file, hs),
      signal: controller.signal,
      onRecord: (r) => { new UploadRecords(db).save(r) },
      onProgress: (p) => { if (p.confirmed >= p.total * 0.4) controller.abort() }
    }))
    await first.stop()
    db.close()
    await new Promise((resolve) => setTimeout(resolve, 500)) // chunks being written when the stream went down land
    const reopened = openCatalogDatabase(catalog)
    t.after(() => { reopened.close() })
    const previous = await new UploadRecords(reopened).get(file.fileId, first.peerId) as SignedRecord
    assert.ok(previous != null)
    const before = await Promise.all(hs.map(async (h) => new Set(await chunksOnDisk(h, file))))
    const held = before.reduce((n, s) => n + s.size, 0)
    const incomplete = previous.record.holders.filter((holders, c) => holders.some((h) => !before[hs.findIndex((x) => x.peerId === h)]?.has(c))).length
    assert.ok(held > 0 && incomplete > 0, `${held} copies held, ${incomplete} chunks incomplete`)

    const again = await startHost(t, 'pusher-again', first.privateKey)
    await introduce([again, ...hs])
    const result = await pushFile({ ...base(again, file, hs), previous })
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
    await pushFile(base(pusher, file, [a, b]))
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
