/**
 * A node that holds a file can get it again (issue 12, item 3): its own
 * verified copies are a source, copied and checked chunk by chunk through a
 * job like any download; a get onto the file already in place is done, not
 * an error; a get onto another file there still is. Real in-process nodes on
 * 127.0.0.1, real files, a real catalog.
 */
import '../../src/polyfill.js'
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildApi } from '../../src/api/server.js'
import { MIB } from '../../src/content/chunk-size.js'
import { fileIdentity } from '../../src/content/file-check.js'
import { hasCode } from '../../src/errors.js'
import { newJobId, type ShoalNode } from '../../src/node/node.js'
import { LOCAL_SOURCE } from '../../src/transfer/local-source.js'
import { startInProcessNode } from '../helpers/in-process-nodes.js'
import { rotInPlace, tempDir } from '../helpers/cli.js'
import type { FileChangedEvent } from '../../src/node/library.js'

const FILE_BYTES = 6 * MIB + 123

/** A node holding two downloaded copies of a file whose only seeder has stopped. */
async function twoCopiesSeederGone (t: TestContext): Promise<{ dir: string, node: ShoalNode, id: string, data: Buffer, copies: string[] }> {
  const dir = await tempDir(t)
  const seeder = await startInProcessNode(t, dir, 'seeder')
  const data = randomBytes(FILE_BYTES)
  await writeFile(join(dir, 'f.bin'), data)
  const { id } = await seeder.share(join(dir, 'f.bin'))
  const node = await startInProcessNode(t, dir, 'node')
  const copies = [join(dir, 'a', 'f.bin'), join(dir, 'b', 'f.bin')]
  for (const path of copies) {
    await mkdir(join(path, '..'))
    await (await node.startDownload(id, { output: path, peers: seeder.addrs })).done
  }
  await seeder.stop()
  return { dir, node, id, data, copies }
}

test('with two verified local copies and the seeder gone, a get elsewhere copies one through a job: source local, verified, catalogued, nothing left behind', async (t) => {
  const { dir, node, id, data, copies } = await twoCopiesSeederGone(t)
  const out = join(dir, 'c')
  await mkdir(out)
  const { job, done } = await node.startDownload(id, { cwd: out })
  await done
  const s = job.snapshot()
  assert.equal(s.state, 'completed')
  assert.deepEqual(s.peers.map(p => [p.peerId, p.bytes]), [[LOCAL_SOURCE, FILE_BYTES]], 'every byte came from the local copy')
  assert.equal(s.peersUsed, 1)
  assert.deepEqual(await readFile(join(out, 'f.bin')), data)
  assert.deepEqual(await readdir(out), ['f.bin'], 'no .shoal-part or .shoal-lock left')
  assert.deepEqual(node.list().find(f => f.id === id)?.paths.sort(), [...copies, join(out, 'f.bin')].sort(), 'the new copy is registered')
  assert.ok(!(await node.peers()).some(p => p.peerId === LOCAL_SOURCE), 'the local copy is no peer')
})

test('a local copy found corrupt on the way is unshared, and the next copy finishes the job', async (t) => {
  const { dir, node, id, data, copies } = await twoCopiesSeederGone(t)
  const events: FileChangedEvent[] = []
  node.on('file:changed', (e) => { events.push(e) })
  // Bit rot in the copy the library offers first that no stat can see: the
  // catalogue is told the rotten file's identity, so only the hashes tell.
  const rotten = copies[0] as string
  await rotInPlace(rotten, [2 * MIB + 7])
  node.catalog.putLocalCopy({ fileId: id, path: rotten, ...fileIdentity(await stat(rotten)), origin: 'downloaded' })
  const { job, done } = await node.startDownload(id, { output: join(dir, 'out.bin') })
  await done
  assert.deepEqual(await readFile(join(dir, 'out.bin')), data, 'only verified bytes were written')
  assert.equal(job.snapshot().peers[0]?.peerId, LOCAL_SOURCE)
  assert.deepEqual(events.map(e => [e.path, e.reason]), [[rotten, 'corrupt']], 'caught by the chunk hash')
  assert.ok(!(node.list().find(f => f.id === id)?.paths ?? []).includes(copies[0] as string), 'the rotten copy is no longer shared')
})

test('get onto the identical file already there is done at once (alreadyComplete), catalogued or not; onto another file it is ERR_DEST_EXISTS', async (t) => {
  const { dir, node, id, data, copies } = await twoCopiesSeederGone(t)
  // A catalogued copy, unchanged: no hashing, no transfer.
  const again = await node.startDownload(id, { output: copies[0] })
  await again.done
  assert.equal(again.job.snapshot().state, 'completed')
  assert.equal(again.job.snapshot().alreadyComplete, true)
  assert.equal(node.download(again.job.id)?.alreadyComplete, true, 'status knows the job')
  // The same bytes put there by hand: verified, then catalogued.
  const byHand = join(dir, 'byhand.bin')
  await writeFile(byHand, data)
  const r = await node.startDownload(id, { output: byHand })
  assert.equal(r.job.snapshot().alreadyComplete, true)
  assert.ok(node.list().find(f => f.id === id)?.paths.includes(byHand))
  // Another file of the same size is not overwritten.
  const other = join(dir, 'other.bin')
  const otherBytes = randomBytes(FILE_BYTES)
  await writeFile(other, otherBytes)
  await assert.rejects(node.startDownload(id, { output: other }), (err) => hasCode(err, 'ERR_DEST_EXISTS'))
  assert.deepEqual(await readFile(other), otherBytes)
  // Through the API the answer says so too.
  const app = buildApi(node, 'tok')
  t.after(async () => { await app.close() })
  const res = await app.inject({ method: 'POST', url: '/api/downloads', headers: { authorization: 'Bearer tok' }, payload: { target: id, output: copies[1] } })
  assert.equal(res.statusCode, 201, res.body)
  assert.equal(res.json().alreadyComplete, true)
  assert.equal(res.json().state, 'completed')
})

test('job IDs never begin with "-" (read as an option) and use letters and digits only', () => {
  for (let i = 0; i < 2000; i++) assert.match(newJobId(), /^[A-Za-z0-9]{8}$/)
})
