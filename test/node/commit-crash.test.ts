/**
 * A download killed between the rename of its part file onto the destination
 * and the deletion of its catalog row (a window of milliseconds, found by the
 * churn soak) must not, on restart, replace the finished file: the catalog
 * still says every chunk is verified and synced, but the part file they were
 * in is gone.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Catalog, CATALOG_FILE } from '../../src/store/catalog.js'
import { manifestChunkCount } from '../../src/content/manifest.js'
import { startInProcessNode } from '../helpers/in-process-nodes.js'
import { sha256File, writeRandomFile } from '../helpers/cli.js'

const MIB = 1024 * 1024

test('a restart after a crash between commit and cleanup keeps the finished file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-commit-crash-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 3 * MIB)
  const seeder = await startInProcessNode(t, dir, 'seeder')
  const { id } = await seeder.share(src)
  const out = join(dir, 'out.bin')
  let node = await startInProcessNode(t, dir, 'getter')
  const { done } = await node.startDownload(id, { output: out, peers: seeder.addrs })
  await done
  const expected = await sha256File(src)
  assert.equal(await sha256File(out), expected)
  await node.stop()

  // What the catalog holds when the process dies right after the rename.
  const catalog = new Catalog(join(dir, 'getter', CATALOG_FILE))
  const manifest = catalog.getFile(id)?.manifest
  assert.ok(manifest != null)
  const row = catalog.createDownload({ id: 'Jcrash1', fileId: id, dest: out, hints: seeder.addrs })
  const all = Array.from({ length: manifestChunkCount(manifest) }, (_, i) => i)
  for (const i of all) catalog.addVerifiedChunk(row.id, i)
  catalog.markChunksSynced(row.id, all)
  catalog.close()

  await seeder.stop() // nothing to fetch from: whatever the node does, it does with what it has
  node = await startInProcessNode(t, dir, 'getter')
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline && node.download('Jcrash1')?.state === 'running') await new Promise(resolve => setTimeout(resolve, 100))
  assert.equal(await sha256File(out), expected, 'the finished file was overwritten')
  await assert.rejects(stat(out + '.shoal-part'), { code: 'ENOENT' })
})

test('chunks recorded for a part file that is gone are fetched again, never committed from an empty file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-commit-crash-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 3 * MIB)
  const seeder = await startInProcessNode(t, dir, 'seeder')
  const { id, chunks } = await seeder.share(src)
  const out = join(dir, 'out.bin')
  let node = await startInProcessNode(t, dir, 'getter')
  await node.stop()
  const catalog = new Catalog(join(dir, 'getter', CATALOG_FILE))
  const record = seeder.catalog.getFile(id)
  assert.ok(record != null)
  catalog.putFile(id, record.manifest)
  const row = catalog.createDownload({ id: 'Jgone1', fileId: id, dest: out, hints: seeder.addrs })
  const all = Array.from({ length: chunks }, (_, i) => i)
  for (const i of all) catalog.addVerifiedChunk(row.id, i)
  catalog.markChunksSynced(row.id, all)
  catalog.close()

  node = await startInProcessNode(t, dir, 'getter')
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline && node.download('Jgone1')?.state !== 'completed') await new Promise(resolve => setTimeout(resolve, 100))
  assert.equal(node.download('Jgone1')?.state, 'completed')
  assert.equal(await sha256File(out), await sha256File(src))
})
