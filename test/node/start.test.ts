/**
 * `ShoalNode.start()` is idempotent in both modes: a second call, after or
 * during the first, opens no second catalog (SQLite keeps a database's WAL
 * file while any connection is open, so a leaked one shows after `stop()`).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { ShoalNode } from '../../src/node/node.js'
import { LOOPBACK_CONFIG } from '../helpers/in-process-nodes.js'

/** SQLite's side files of the catalog still on disk. */
async function openCatalogTraces (dataDir: string): Promise<string[]> {
  return (await readdir(dataDir)).filter(f => f === 'shoal.db-wal' || f === 'shoal.db-shm')
}

test('start() twice, offline or online, in turn or at once, opens one catalog; stop() closes it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-start-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })

  const offline = new ShoalNode({ dataDir: join(dir, 'offline'), config: LOOPBACK_CONFIG })
  await offline.start({ offline: true })
  const catalog = offline.catalog
  await offline.start({ offline: true })
  assert.equal(offline.catalog, catalog, 'the same catalog')
  await offline.stop()
  assert.deepEqual(await openCatalogTraces(offline.dataDir), [], 'no connection left open')

  const together = new ShoalNode({ dataDir: join(dir, 'together'), config: LOOPBACK_CONFIG })
  await Promise.all([together.start({ offline: true }), together.start({ offline: true }), together.start()])
  await together.stop()
  assert.deepEqual(await openCatalogTraces(together.dataDir), [])

  const online = new ShoalNode({ dataDir: join(dir, 'online'), config: LOOPBACK_CONFIG })
  await online.start()
  const libp2p = online.libp2p
  await online.start()
  assert.equal(online.libp2p, libp2p, 'the same libp2p node')
  await online.stop()
  assert.deepEqual(await openCatalogTraces(online.dataDir), [])
  // Stopped, it starts again.
  await online.start({ offline: true })
  assert.equal(online.catalog.listFiles().length, 0)
  await online.stop()
})
