/**
 * Repair planning inputs: every surviving holder plans over the same peers —
 * itself included with its real free quota, never the uploader — so the
 * survivors' concurrent repairs sign one map. A holder of three is stopped
 * for good (1 s repair delay); every survivor ends on the same record bytes,
 * every chunk with 2 live holders that hold it. Real in-process nodes over
 * TCP on 127.0.0.1.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ShoalNode } from '../../src/node/node.js'
import { validateConfig } from '../../src/config/index.js'
import { waitFor } from '../helpers/cli.js'
import type { TestContext } from 'node:test'

const CHUNK = 64 * 1024
const CHUNKS = 32

async function start (t: TestContext, dir: string, name: string, bootstrap: string[]): Promise<ShoalNode> {
  const config = validateConfig({ network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, bootstrap }, chunking: { chunkSize: CHUNK }, distribution: { repairDelaySeconds: 1 } }, 'test')
  const node = new ShoalNode({ dataDir: join(dir, name), config })
  await node.start()
  t.after(async () => { await node.stop() })
  return node
}

function heldRecord (node: ShoalNode, fileId: string): { bytes: string, chunks: number[] } {
  const rows = node.catalog.database.prepare('SELECT bytes FROM held_records WHERE file_id = ? ORDER BY seq').all(fileId) as Array<{ bytes: Uint8Array }>
  const chunks = (node.catalog.database.prepare('SELECT chunk_index FROM held_chunks WHERE file_id = ? ORDER BY chunk_index').all(fileId) as Array<{ chunk_index: number }>).map((r) => r.chunk_index)
  return { bytes: Buffer.from(rows.at(-1)?.bytes ?? new Uint8Array()).toString('hex'), chunks }
}

test('survivors of a departed holder plan alike and sign one map; every chunk back at 2 live holders', { timeout: 120_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-repair-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }) })
  const nodes: ShoalNode[] = []
  for (const name of ['up', 'b', 'c', 'd', 'e']) nodes.push(await start(t, dir, name, nodes.map((n) => n.addrs[0] as string)))
  const [up, b, c, d, e] = nodes as [ShoalNode, ShoalNode, ShoalNode, ShoalNode, ShoalNode]
  await waitFor(() => nodes.every((n) => n.libp2p.getPeers().length >= 4), 20_000, 'connected')
  const file = join(dir, 'f.bin')
  await writeFile(file, randomBytes(CHUNKS * CHUNK))
  const shared = await up.share(file, { distribute: true, replicas: 2, strategy: 'weighted' })
  const id = shared.id
  assert.ok((shared.distribution?.holders[d.peerId] ?? 0) > 0, 'd holds chunks')
  const gone = d.peerId
  const started = Date.now()
  await d.stop()
  const survivors = [b, c, e]
  await waitFor(() => {
    const records = survivors.map((n) => heldRecord(n, id))
    if (new Set(records.map((r) => r.bytes)).size !== 1) return false
    const map = b.distributionView(id)
    return map.chunks.every((ch) => ch.holders.length === 2 && !ch.holders.includes(gone) &&
      ch.holders.every((h) => records[survivors.findIndex((n) => n.peerId === h)]?.chunks.includes(ch.index) === true))
  }, 60_000, 'one map on every survivor, every chunk on 2 live holders that hold it')
  const map = b.distributionView(id)
  t.diagnostic(`repaired in ${Date.now() - started} ms (1 s delay); chunks per holder ${JSON.stringify(Object.values(map.holders))}`)
  assert.ok(!Object.keys(map.holders).includes(up.peerId), 'the uploader is never a new holder')
})
