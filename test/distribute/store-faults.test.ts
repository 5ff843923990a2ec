/**
 * What a holder refuses on the store protocol, and how the pusher copes:
 * corrupt chunks, forged or foreign records, chunks not placed on the node,
 * quotas, too few peers. Real hosts over TCP, real SQLite and chunks/ dirs.
 */
import '../../src/polyfill.js'
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { pushFile } from '../../src/distribute/pusher.js'
import { rootRecord, signRecord, type SignedRecord } from '../../src/distribute/record.js'
import { StoreSession, queryStore } from '../../src/distribute/store-client.js'
import { StoreRefusal, type ChunkAck } from '../../src/distribute/store-wire.js'
import { makeFixture, chunksOnDisk, type Fixture } from './store-fixture.js'
import { type Holder, type Host, introduce, pushBase, startHolder, startHost, tempDir } from './store-hosts.js'
import type { TestContext } from 'node:test'

async function holders (t: TestContext, names: string[], options: Parameters<typeof startHolder>[3] = {}): Promise<Holder[]> {
  const dir = await tempDir(t)
  return await Promise.all(names.map(async (n) => await startHolder(t, join(dir, n), n, options)))
}

/** A record of `file` by `uploader` placing chunk i on `place(i)`. */
async function record (uploader: Host, file: Fixture, place: (i: number) => string[]): Promise<SignedRecord> {
  const holdersOf = Array.from({ length: file.chunkCount }, (_, i) => place(i))
  return await signRecord(rootRecord({ fileId: file.fileId, replicas: holdersOf[0]?.length ?? 1, strategy: 'round-robin', holders: holdersOf, uploader: uploader.peerId }), uploader.privateKey)
}

/** Pushes chunks by hand on one session; resolves with every ack. */
async function pushByHand (from: Host, to: Holder, file: Fixture, chain: Uint8Array[], chunks: Array<{ index: number, data: Uint8Array, forward?: string[] }>): Promise<ChunkAck[]> {
  const acks: ChunkAck[] = []
  const session = await StoreSession.open(from.libp2p, to.peerId, { fileId: file.fileId, chunkCount: file.chunkCount, chunkSize: file.manifest.chunkSize, manifestBytes: file.manifestBytes, chain }, { onAck: (a) => acks.push(a) })
  for (const c of chunks) await session.push(c.index, c.data, c.forward ?? [])
  await session.finish()
  return acks
}

async function assertNothingStored (hs: readonly Holder[], file: Fixture): Promise<void> {
  for (const h of hs) {
    assert.equal(h.registry.get(file.fileId), undefined, `${h.name} registered the file`)
    assert.equal(h.chunks.usedBytes, 0, `${h.name} kept chunk bytes`)
  }
}

describe('store protocol faults', () => {
  it('refuses a corrupt chunk (CORRUPT) and forwards nothing; a lying pusher fails and leaves nothing', async (t) => {
    const pusher = await startHost(t, 'liar')
    const [a, b, c] = await holders(t, ['a', 'b', 'c']) as [Holder, Holder, Holder]
    await introduce([pusher, a, b, c])
    const file = makeFixture(256 * 1024)
    const rec = await record(pusher, file, () => [a.peerId, b.peerId])
    const bad = Buffer.from(file.chunk(0))
    bad[100] = (bad[100] as number) ^ 1
    const acks = await pushByHand(pusher, a, file, [rec.bytes], [{ index: 0, data: bad, forward: [b.peerId] }])
    assert.deepEqual(acks.map((x) => [x.holder, x.refusal]).sort(), [[a.peerId, StoreRefusal.CORRUPT], [b.peerId, StoreRefusal.SKIPPED]].sort())
    await assertNothingStored([a, b, c], file)

    const lying = (i: number): Promise<Uint8Array> => {
      const data = Buffer.from(file.chunk(i))
      data[0] = (data[0] as number) ^ 0x55
      return Promise.resolve(data)
    }
    await assert.rejects(pushFile({ ...pushBase(pusher, file, [a, b, c]), readChunk: lying }), { code: 'ERR_DISTRIBUTION_FAILED' })
    await assertNothingStored([a, b, c], file)
  })

  it('refuses a forged signature, a stranger speaking for an uploader, and chunks not placed on it', async (t) => {
    const uploader = await startHost(t, 'uploader')
    const stranger = await startHost(t, 'stranger')
    const [a, b, c] = await holders(t, ['a', 'b', 'c']) as [Holder, Holder, Holder]
    await introduce([uploader, stranger, a, b, c])
    const file = makeFixture(256 * 1024)
    const offer = { fileId: file.fileId, chunkCount: file.chunkCount, chunkSize: file.manifest.chunkSize, manifestBytes: file.manifestBytes }
    const genuine = await record(uploader, file, () => [a.peerId, b.peerId])

    // A bit of the signature flipped (the envelope otherwise intact).
    const envelope = dagCbor.decode(genuine.bytes) as { body: Uint8Array, sig: Uint8Array }
    const sig = Uint8Array.from(envelope.sig)
    sig[0] = (sig[0] as number) ^ 1
    const forged = dagCbor.encode({ body: envelope.body, sig })
    await assert.rejects(StoreSession.open(stranger.libp2p, a.peerId, { ...offer, chain: [forged] }, { onAck: () => {} }),
      (err: any) => err.code === 'ERR_UNAUTHORIZED' && err.details.refusal === StoreRefusal.INVALID && /not signed by its signer/.test(err.details.message))

    // Signed by the stranger, naming the uploader as the uploader.
    const claim = await signRecord({ ...rootRecord({ fileId: file.fileId, replicas: 2, strategy: 'round-robin', holders: genuine.record.holders, uploader: uploader.peerId }), signer: stranger.peerId }, stranger.privateKey)
    await assert.rejects(StoreSession.open(stranger.libp2p, a.peerId, { ...offer, chain: [claim.bytes] }, { onAck: () => {} }),
      (err: any) => err.code === 'ERR_UNAUTHORIZED' && err.details.refusal === StoreRefusal.INVALID && /signed by the uploader/.test(err.details.message))

    // A valid record that places nothing on c: refused at the offer.
    await assert.rejects(StoreSession.open(uploader.libp2p, c.peerId, { ...offer, chain: [genuine.bytes] }, { onAck: () => {} }),
      (err: any) => err.details.refusal === StoreRefusal.NOT_HOLDER)

    // A valid record that places chunk 1 on c but chunk 0 elsewhere: chunk 0 refused, chunk 1 kept.
    const mixed = await record(uploader, file, (i) => i === 1 ? [c.peerId, a.peerId] : [a.peerId, b.peerId])
    const acks = await pushByHand(uploader, c, file, [mixed.bytes], [{ index: 0, data: file.chunk(0) }, { index: 1, data: file.chunk(1) }])
    assert.deepEqual(acks.map((x) => [x.index, x.refusal]).sort(), [[0, StoreRefusal.NOT_HOLDER], [1, StoreRefusal.NONE]])
    assert.deepEqual(await chunksOnDisk(c, file), [1])
    await assertNothingStored([a, b], file)
  })

  it('enforces each uploader\'s share of the quota', async (t) => {
    const [one, two] = [await startHost(t, 'one'), await startHost(t, 'two')]
    // 1 MiB of quota, half of it per uploader: eight 64 KiB chunks each.
    const [a] = await holders(t, ['a'], { quotaBytes: 1024 * 1024, perUploaderPercent: 50 }) as [Holder]
    await introduce([one, two, a])
    const fileOne = makeFixture(16 * 64 * 1024)
    const fileTwo = makeFixture(16 * 64 * 1024)
    assert.equal((await queryStore(one.libp2p, a.peerId, fileOne)).uploaderFreeBytes, 512 * 1024)
    const all = (f: Fixture): Array<{ index: number, data: Uint8Array }> => Array.from({ length: f.chunkCount }, (_, index) => ({ index, data: f.chunk(index) }))
    const acksOne = await pushByHand(one, a, fileOne, [(await record(one, fileOne, () => [a.peerId])).bytes], all(fileOne))
    assert.equal(acksOne.filter((x) => x.refusal === StoreRefusal.NONE).length, 8)
    assert.equal(acksOne.filter((x) => x.refusal === StoreRefusal.QUOTA).length, 8)
    assert.equal((await queryStore(one.libp2p, a.peerId, fileOne)).uploaderFreeBytes, 0)
    // The other uploader still has its own share.
    const acksTwo = await pushByHand(two, a, fileTwo, [(await record(two, fileTwo, () => [a.peerId])).bytes], all(fileTwo))
    assert.equal(acksTwo.filter((x) => x.refusal === StoreRefusal.NONE).length, 8)
    assert.equal(a.chunks.usedBytes, 1024 * 1024)
  })

  it('re-places what a full holder refuses mid-distribution (two uploads at once); fails cleanly when nobody can take it', async (t) => {
    const [p1, p2] = [await startHost(t, 'p1'), await startHost(t, 'p2')]
    // a can take 12 chunks in all; both uploaders see all of it free when they ask.
    const [a] = await holders(t, ['a'], { quotaBytes: 12 * 64 * 1024 }) as [Holder]
    const others = await holders(t, ['b', 'c', 'd'])
    const all = [a, ...others]
    await introduce([p1, p2, ...all])
    const f1 = makeFixture(16 * 64 * 1024)
    const f2 = makeFixture(16 * 64 * 1024)
    const [r1, r2] = await Promise.all([pushFile(pushBase(p1, f1, all)), pushFile(pushBase(p2, f2, all))])
    t.diagnostic(`copies refused and re-placed: ${r1.refused} + ${r2.refused}; a holds ${a.chunks.usedBytes} bytes of its ${a.chunks.quotaBytes}`)
    assert.ok(r1.refused + r2.refused > 0, 'a refused nothing')
    assert.ok(a.chunks.usedBytes <= 12 * 64 * 1024)
    for (const [r, f] of [[r1, f1], [r2, f2]] as const) {
      for (const hs of r.record.record.holders) assert.equal(new Set(hs).size, 2)
      for (const h of all) {
        assert.deepEqual(await chunksOnDisk(h, f), r.record.record.holders.flatMap((hs, i) => hs.includes(h.peerId) ? [i] : []))
      }
    }

    // Two peers, one nearly full: two copies of every chunk cannot be placed.
    const [x] = await holders(t, ['x'], { quotaBytes: 4 * 64 * 1024 }) as [Holder]
    const [y] = await holders(t, ['y']) as [Holder]
    await introduce([p1, x, y])
    const f3 = makeFixture(16 * 64 * 1024)
    await assert.rejects(pushFile(pushBase(p1, f3, [x, y])), { code: 'ERR_QUOTA_EXCEEDED' })
    await assertNothingStored([x, y], f3)
  })

  it('refuses to distribute with too few able peers (ERR_DISTRIBUTION_REQUIRED), before pushing anything', async (t) => {
    const pusher = await startHost(t, 'pusher')
    const [a] = await holders(t, ['a'])
    const [closed] = await holders(t, ['closed'], { acceptPushes: false })
    await introduce([pusher, a as Holder, closed as Holder])
    const file = makeFixture(512 * 1024)
    await assert.rejects(pushFile(pushBase(pusher, file, [a as Holder, closed as Holder])), (err: any) => {
      assert.equal(err.code, 'ERR_DISTRIBUTION_REQUIRED')
      assert.equal(err.details.availablePeers, 1)
      assert.equal(typeof err.details.fileSizeGb, 'number')
      return true
    })
    await assertNothingStored([a as Holder, closed as Holder], file)

    // More replicas than able peers (and bad replica counts) are refused the same way, before any push.
    const [b] = await holders(t, ['b'])
    await introduce([pusher, a as Holder, b as Holder])
    await assert.rejects(pushFile({ ...pushBase(pusher, file, [a as Holder, b as Holder]), replicas: 3 }), (err: any) => err.code === 'ERR_DISTRIBUTION_REQUIRED' && err.details.availablePeers === 2)
    for (const replicas of [0, -1, 1.5, 33]) {
      await assert.rejects(pushFile({ ...pushBase(pusher, file, [a as Holder, b as Holder]), replicas }), { code: 'ERR_INVALID_ARGUMENT' })
    }
    await assertNothingStored([a as Holder, b as Holder, closed as Holder], file)
  })
})
