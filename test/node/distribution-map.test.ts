/**
 * Downloads use the map: a holder that keeps a distributed file's record
 * finds the file's other holders from it, even when it is not connected to
 * them and nothing else (DHT, tracker, LAN) names them; the chunks it holds
 * itself are a local source of its download, so it fetches only the others.
 * Real in-process nodes over TCP on 127.0.0.1.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { ShoalNode } from '../../src/node/node.js'
import { validateConfig } from '../../src/config/index.js'
import { waitFor } from '../helpers/cli.js'
import type { TestContext } from 'node:test'

const CHUNK = 64 * 1024

async function start (t: TestContext, dir: string, name: string, bootstrap: string[] = []): Promise<ShoalNode> {
  const config = validateConfig({ network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, bootstrap }, chunking: { chunkSize: CHUNK } }, 'test')
  const node = new ShoalNode({ dataDir: join(dir, name), config })
  await node.start()
  t.after(async () => { await node.stop() })
  return node
}

test('a holder downloads the whole file from the holders its record names, without a connection to them', { timeout: 60_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-map-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const a = await start(t, dir, 'a')
  const b = await start(t, dir, 'b', [a.addrs[0] as string])
  const c = await start(t, dir, 'c', [a.addrs[0] as string, b.addrs[0] as string])
  const d = await start(t, dir, 'd', [a.addrs[0] as string, b.addrs[0] as string, c.addrs[0] as string])
  await waitFor(() => [a, b, c, d].every((n) => n.libp2p.getPeers().length >= 3), 20_000, 'connected')
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
  const { done } = await b.startDownload(shared.id, { output: out })
  await done
  assert.equal(createHash('sha256').update(await readFile(out)).digest('hex'), createHash('sha256').update(data).digest('hex'))
  const fetched = (await b.peers()).reduce((n, p) => n + p.bytesDown, 0)
  t.diagnostic(`b held ${heldByB} of 24 chunks and fetched ${fetched / CHUNK} from peers`)
  assert.equal(fetched, (24 - heldByB) * CHUNK, 'only the chunks b did not hold came from peers')
})
