/**
 * Repair end to end on real parts, short of the store protocol's wire push
 * (another unit): four libp2p nodes on 127.0.0.1, each with its own on-disk
 * ChunkStore, holder watches fed by real connections and pings. A holder is
 * stopped; with a 2 s repair delay both survivors declare it departed, each
 * copies its own orders (store to store, the receiving store verifying the
 * hash), signs, and hands the record to the others; the survivors end on one
 * byte-identical map in which every chunk has two live holders that hold it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { createShoalLibp2p } from '../../src/net/create-libp2p.js'
import { HolderWatch } from '../../src/distribute/holder-watch.js'
import { feedConnections, pingProbe } from '../../src/distribute/holder-watch-libp2p.js'
import { adoptOwn, Repairer, type RecordState } from '../../src/distribute/repairer.js'
import { holderCounts, rootRecord, signRecord, type SignedRecord } from '../../src/distribute/record.js'
import { placeChunks } from '../../src/distribute/placement.js'
import { ChunkStore } from '../../src/store/chunk-store.js'
import { sha256 } from '../../src/content/hash.js'
import { fileIdFromManifestBytes } from '../../src/content/manifest.js'
import { tempDir, waitFor } from '../helpers/cli.js'

const REPAIR_DELAY_MS = 2_000
const CHUNKS = 12
const CHUNK_BYTES = 64 * 1024
const QUOTA_BYTES = 64 * 1024 * 1024

type Host = Awaited<ReturnType<typeof createShoalLibp2p>>
interface Peer { name: string, id: string, key: PrivateKey, libp2p: Host, store: ChunkStore, state?: RecordState, deferred: Uint8Array[], watch?: HolderWatch, repairer?: Repairer }

test('a stopped holder is replaced: both survivors repair at once, copies verified into the new holder\'s store, one map everywhere', async (t) => {
  const dir = await tempDir(t)
  const peers: Peer[] = await Promise.all(['a', 'b', 'c', 'd'].map(async (name) => {
    const key = await generateKeyPair('Ed25519')
    const libp2p = await createShoalLibp2p({ privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], maxConnections: 20, mdns: false, bootstrap: [] })
    await libp2p.start()
    t.after(async () => { await libp2p.stop() })
    const store = new ChunkStore(join(dir, name, 'chunks'), QUOTA_BYTES)
    await store.open()
    return { name, id: libp2p.peerId.toString(), key, libp2p, store, deferred: [] }
  }))
  const byId = new Map(peers.map((p) => [p.id, p]))
  const [a, b, c, d] = peers as [Peer, Peer, Peer, Peer]
  for (const [from, to] of [[a, b], [a, c], [a, d], [b, c], [b, d], [c, d]] as const) {
    await from.libp2p.dial(to.libp2p.getMultiaddrs()[0]!, { signal: AbortSignal.timeout(10_000) })
  }

  // The uploader (a) placed 12 chunks, N = 2, on a, b and c; d is a candidate with room.
  const chunks = Array.from({ length: CHUNKS }, () => new Uint8Array(randomBytes(CHUNK_BYTES)))
  const hashes = chunks.map((c) => sha256(c))
  const fileId = fileIdFromManifestBytes(new TextEncoder().encode('repaired over libp2p'))
  const { holders } = placeChunks({ fileId, chunkCount: CHUNKS, chunkSizeBytes: CHUNK_BYTES, replicas: 2, strategy: 'weighted', peers: [a, b, c].map((p) => ({ peerId: p.id, freeBytes: QUOTA_BYTES })) })
  const root = await signRecord(rootRecord({ fileId, replicas: 2, strategy: 'weighted', holders, uploader: a.id }), a.key)
  for (const [i, chunkHolders] of holders.entries()) for (const h of chunkHolders) await byId.get(h)!.store.put(hashes[i]!, chunks[i]!)

  /** A holder receiving a record: judged by its own repairer; one deferred is offered again after its own departures. */
  const receive = async (peer: Peer, bytes: Uint8Array): Promise<void> => {
    const decision = await peer.repairer!.acceptUpdate(peer.state!, bytes)
    if (decision.status === 'deferred') {
      peer.deferred.push(bytes)
      return
    }
    peer.state = decision.state
    // A repair of the version we had (not a second signature of one we already have): our orders in it are ours to copy.
    if (decision.owesCopiesOf !== undefined) {
      rounds.push(peer.repairer!.fulfil(decision.owesCopiesOf, decision.state.current, { chunkSizeBytes: CHUNK_BYTES }, { signal: AbortSignal.timeout(30_000) }).then((r) => {
        assert.deepEqual(r.failed, [])
      }))
    }
  }
  const live = (p: Peer): boolean => p.libp2p.status === 'started'
  /** Every repair round and catch-up started, to wait for before looking into the stores. */
  const rounds: Array<Promise<unknown>> = []

  // d holds nothing yet; it knows the record as a candidate does (the first copy pushed to it comes under it) and watches its holders too.
  for (const peer of [a, b, c, d]) {
    peer.state = { current: root }
    const watch = new HolderWatch({ self: peer.id, repairDelayMs: REPAIR_DELAY_MS, probe: pingProbe(peer.libp2p) })
    const unfeed = feedConnections(watch, peer.libp2p)
    t.after(() => { unfeed(); watch.stop() })
    peer.watch = watch
    peer.repairer = new Repairer({
      self: peer.id,
      privateKey: peer.key,
      isDeparted: (p) => watch.isDeparted(p),
      // Announced capacities: the quota, the same figure whoever asks and whenever.
      candidates: async () => peers.filter(live).map((p) => ({ peerId: p.id, freeBytes: QUOTA_BYTES })),
      copyChunk: async (job) => {
        const data = await peer.store.get(hashes[job.chunk]!)
        assert.ok(data, `${peer.name} lacks chunk ${job.chunk} it was told to copy`)
        await byId.get(job.to)!.store.put(hashes[job.chunk]!, data)
      },
      publishRecord: async (record, to) => {
        for (const id of to) { const target = byId.get(id); if (target?.repairer !== undefined) await receive(target, record.bytes) }
      }
    })
    watch.on('holder:departed', () => {
      rounds.push((async () => {
        const base = peer.state!
        const out = await peer.repairer!.repair(base.current, { chunkSizeBytes: CHUNK_BYTES }, { signal: AbortSignal.timeout(30_000) })
        if (out.record !== null) peer.state = adoptOwn(peer.state!, base.current, out.record)
        for (const bytes of peer.deferred.splice(0)) await receive(peer, bytes)
      })())
    })
    watch.watch(root.record)
    watch.start()
  }
  const stoppedAt = performance.now()
  // A stopped node runs nothing: its watch goes with it (else, cut off, it would declare everyone else departed).
  c.watch!.stop()
  await c.libp2p.stop()
  const done = (): boolean => [a, b, d].every((p) => p.state!.current.record.version === 2) &&
    a.state!.current.bytes.every((x, i) => x === b.state!.current.bytes[i]) && a.state!.current.bytes.length === b.state!.current.bytes.length
  await waitFor(done, 20_000, 'both survivors to agree on version 2')
  // A map signed by one survivor may name copies another is still making: wait for every round and catch-up.
  await waitFor(() => rounds.length >= 3, 10_000, 'a, b and d to start a round (d has no orders)')
  await Promise.all(rounds)
  t.diagnostic(`repaired and agreed ${(performance.now() - stoppedAt).toFixed(0)} ms after the holder stopped (delay ${REPAIR_DELAY_MS} ms)`)

  const final: SignedRecord = a.state!.current
  assert.ok(!holderCounts(final.record).has(c.id))
  // Exactly c's copies moved (to a or d, whichever ranks first and does not hold the chunk yet); nothing else.
  const moved = final.record.holders.reduce((n, h, i) => n + h.filter((p) => !root.record.holders[i]!.includes(p)).length, 0)
  assert.equal(moved, holderCounts(root.record).get(c.id))
  assert.ok((holderCounts(final.record).get(d.id) ?? 0) > 0, 'the new peer took some')
  for (const [i, chunkHolders] of final.record.holders.entries()) {
    assert.equal(new Set(chunkHolders).size, 2)
    for (const h of chunkHolders) assert.ok(await byId.get(h)!.store.has(hashes[i]!), `chunk ${i} missing on ${byId.get(h)!.name}`)
  }
  assert.deepEqual(d.state!.current.record.holders, final.record.holders)
})
