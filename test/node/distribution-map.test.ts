/**
 * Downloads use the map: a holder that keeps a distributed file's record
 * finds the file's other holders from it, even when it is not connected to
 * them and nothing else (DHT, tracker, LAN) names them; the chunks it holds
 * itself are a local source of its download, so it fetches only the others.
 * Real in-process nodes over TCP on 127.0.0.1.
 */
import { test } from 'node:test'
import { LOCAL_SOURCE } from '../../src/transfer/local-source.js'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import type { ShoalNode } from '../../src/node/node.js'
import { waitFor } from '../helpers/cli.js'
import { CHUNK, startSwarm } from './distribution-nodes.js'



test('a holder downloads the whole file from the holders its record names, without a connection to them', { timeout: 60_000 }, async (t) => {
  const { dir, nodes } = await startSwarm(t, 'shoal-map-', ['a', 'b', 'c', 'd'])
  const [a, b, c, d] = nodes as [ShoalNode, ShoalNode, ShoalNode, ShoalNode]
  const data = randomBytes(24 * CHUNK)
  const file = join(dir, 'f.bin')
  await writeFile(file, data)
  // Weighted placement leaves the uploader out: every chunk on 2 of b, c, d, so b finds what it lacks on c and d.
  const shared = await a.share(file, { distribute: true, replicas: 2, strategy: 'weighted' })
  assert.equal(shared.distribution?.holders[a.peerId], undefined)
  await a.stop()
  await b.libp2p.hangUp(peerIdFromString(c.peerId))
  await b.libp2p.hangUp(peerIdFromString(d.peerId))
  await waitFor(() => b.libp2p.getConnections().length === 0, 10_000, 'b alone')

  const heldByB = (b.catalog.database.prepare('SELECT COUNT(*) AS n FROM held_chunks WHERE file_id = ?').get(shared.id) as { n: number }).n
  assert.ok(heldByB > 0 && heldByB < 24, `b holds ${heldByB} of 24 chunks`)
  const out = join(dir, 'got.bin')
  const { job, done } = await b.startDownload(shared.id, { output: out })
  await done
  assert.equal(createHash('sha256').update(await readFile(out)).digest('hex'), createHash('sha256').update(data).digest('hex'))
  // By source, as the job counts what it kept: the held chunks from disk, the rest from the holders the map names.
  // (Bytes received are no measure: the opening and the endgame race chunks on both holders, by design.)
  const kept = new Map(job.snapshot().peers.map(p => [p.peerId, p.bytes]))
  t.diagnostic(`b held ${heldByB} of 24 chunks; kept ${(kept.get(LOCAL_SOURCE) ?? 0) / CHUNK} from them, ${(kept.get(c.peerId) ?? 0) / CHUNK} from c, ${(kept.get(d.peerId) ?? 0) / CHUNK} from d`)
  assert.equal(kept.get(LOCAL_SOURCE), heldByB * CHUNK, 'every chunk b held came from its own disk')
  assert.equal((kept.get(c.peerId) ?? 0) + (kept.get(d.peerId) ?? 0), (24 - heldByB) * CHUNK, 'the rest from the holders its record names')
})
