/**
 * Who a holder believes about a changed map. A repair update signed by
 * another holder is adopted only when this node's own watch agrees that the
 * peers it replaces are gone; otherwise it is deferred (refused, the held map
 * unchanged). An update the uploader signs is adopted at once. Real
 * in-process nodes over TCP on 127.0.0.1; updates sent over the store protocol.
 * A map that names a holder for chunks it lacks makes it fetch them from
 * their other holders.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ShoalNode } from '../../src/node/node.js'
import type { PrivateKey } from '@libp2p/interface'
import { loadOrCreateIdentity } from '../../src/net/identity.js'
import { RESIGN_CHAIN_LENGTH } from '../../src/distribute/record-chain.js'
import { nextRecord, signRecord } from '../../src/distribute/record.js'
import { sendRecordUpdate } from '../../src/distribute/store-client.js'
import { waitFor } from '../helpers/cli.js'
import { CHUNK, heldChain, heldChunks, startSwarm } from './distribution-nodes.js'

/**
 * Four nodes; a shares a 24-chunk file with 2 replicas, weighted (which leaves
 * the uploader out: every chunk on 2 of b, c, d). Returns b's held record and b's key.
 */
async function distributedByA (t: TestContext, prefix: string): Promise<{ nodes: [ShoalNode, ShoalNode, ShoalNode, ShoalNode], id: string, held: Awaited<ReturnType<typeof heldChain>>, bKey: PrivateKey }> {
  const { dir, nodes } = await startSwarm(t, prefix, ['a', 'b', 'c', 'd'])
  const [a, b] = nodes as [ShoalNode, ShoalNode, ShoalNode, ShoalNode]
  const file = join(dir, 'f.bin')
  await writeFile(file, randomBytes(24 * CHUNK))
  const { id } = await a.share(file, { distribute: true, replicas: 2, strategy: 'weighted' })
  return { nodes: nodes as [ShoalNode, ShoalNode, ShoalNode, ShoalNode], id, held: await heldChain(b, id), bKey: await loadOrCreateIdentity(b.dataDir) }
}

test('a holder defers a repair that replaces a peer it sees alive, and adopts the uploader\'s own update', { timeout: 60_000 }, async (t) => {
  const { nodes: [a, b, c, d], id, held, bKey } = await distributedByA(t, 'shoal-trust-')
  const manifest = a.catalog.getFile(id)?.manifest
  assert.ok(manifest != null)
  const base = held.record.record
  // b "repairs" c away while c is up: every chunk b and c share moves c's copy to d (a valid repair by the rule).
  const moved = base.holders.map((hs) => hs.includes(b.peerId) && hs.includes(c.peerId) ? hs.map((p) => p === c.peerId ? d.peerId : p) : [...hs])
  assert.ok(moved.some((hs, i) => hs.join() !== base.holders[i]?.join()), 'b and c share a chunk')
  const forged = await signRecord(nextRecord(held.record, moved, b.peerId), bKey)
  const offer = { fileId: id, chunkCount: base.holders.length, chunkSize: manifest.chunkSize }
  // d holds chunks of the file and watches c: c answers its pings, so the update waits.
  const before = await heldChain(d, id)
  const answer = await sendRecordUpdate(b.libp2p, d.peerId, { ...offer, chain: [...held.chain, forged.bytes] })
  const after = await heldChain(d, id)
  t.diagnostic(`holder-signed update replacing a live peer: accepted=${answer.accepted} (${answer.message ?? ''}); d keeps version ${after.record.record.version}`)
  assert.equal(answer.accepted, false, 'the update was deferred')
  assert.equal(after.record.record.version, before.record.record.version)
  assert.ok(after.record.record.holders.flat().includes(c.peerId), 'c is still in d\'s map')

  // The same change signed by the uploader is the root of trust: adopted at once.
  const aKey = await loadOrCreateIdentity(a.dataDir)
  const own = await signRecord(nextRecord(held.record, moved, a.peerId), aKey)
  const trusted = await sendRecordUpdate(a.libp2p, d.peerId, { ...offer, chain: [...held.chain, own.bytes] })
  const adopted = await heldChain(d, id)
  assert.equal(trusted.accepted, true, trusted.message)
  assert.equal(adopted.record.record.version, base.version + 1)
  assert.equal(adopted.record.record.signer, a.peerId)

  // That map names d for chunks no one copied to it: d fetches them from their other holder (b), verified.
  const named = adopted.record.record.holders.flatMap((hs, i) => hs.includes(d.peerId) ? [i] : [])
  const heldBy = (node: ShoalNode): number[] => heldChunks(node, id)
  const lacking = named.filter((i) => !heldBy(d).includes(i))
  assert.ok(lacking.length > 0, 'the new map names d for chunks it lacks')
  const started = Date.now()
  await waitFor(() => named.every((i) => heldBy(d).includes(i)), 30_000, 'd holds every chunk its map names it for')
  t.diagnostic(`d fetched the ${lacking.length} chunks it lacked in ${Date.now() - started} ms`)
})

test('an online uploader handed a long repair chain re-signs the map, and holders restart their chains there', { timeout: 60_000 }, async (t) => {
  const { nodes: [a, b, c, d], id, held, bKey } = await distributedByA(t, 'shoal-resign-')
  const base = held.record.record
  // Repairs' worth of b-signed versions: one chunk b shares moves between c and d and back, RESIGN_CHAIN_LENGTH + 1 times.
  const chunk = base.holders.findIndex((hs) => hs.includes(b.peerId) && (hs.includes(c.peerId) || hs.includes(d.peerId)))
  assert.ok(chunk >= 0)
  let current = held.record
  const chain = [...held.chain]
  for (let i = 0; i <= RESIGN_CHAIN_LENGTH; i++) {
    const [gone, added] = current.record.holders[chunk]!.includes(c.peerId) ? [c.peerId, d.peerId] : [d.peerId, c.peerId]
    const holders = current.record.holders.map((hs, idx) => idx === chunk ? hs.map((p) => p === gone ? added : p) : [...hs])
    current = await signRecord(nextRecord(current, holders, b.peerId), bKey)
    chain.push(current.bytes)
  }
  const answer = await sendRecordUpdate(b.libp2p, a.peerId, { fileId: id, chunkCount: base.holders.length, chunkSize: CHUNK, chain })
  assert.equal(answer.accepted, true, answer.message)
  const expected = current.record.version + 1
  await waitFor(async () => (await heldChain(b, id)).record.record.version === expected, 15_000, 'b holds the re-signed map')
  const after = await heldChain(b, id)
  t.diagnostic(`chain of ${chain.length} sent to the uploader; b now keeps a chain of ${after.chain.length}, version ${after.record.record.version} signed by the uploader`)
  assert.equal(after.chain.length, 1)
  assert.equal(after.record.record.signer, a.peerId)
  assert.deepEqual(after.record.record.holders, current.record.holders)
  assert.equal(a.distributionView(id).chunks[chunk]?.holders.join(), current.record.holders[chunk]?.join())
})
