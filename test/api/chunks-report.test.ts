/**
 * The per-chunk report of a download after it ended: seed 000's
 * `GET /api/download/:id/chunks_status` (its path and snake_case names) and
 * the camelCase `GET /api/downloads/:id/chunks` answer for completed and for
 * cancelled jobs (from the catalog's verified set), not only running ones.
 * Also: unknown body keys are named, and job answers carry `output` as well
 * as `dest`. Real nodes over loopback TCP, the API through inject().
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { buildApi } from '../../src/api/server.js'
import { validateConfig } from '../../src/config/index.js'
import { startInProcessNode, LOOPBACK_CONFIG } from '../helpers/in-process-nodes.js'
import { tempDir, writeRandomFile, waitFor } from '../helpers/cli.js'
import type { ShoalNode } from '../../src/node/node.js'

const MIB = 1024 * 1024
const TOKEN = 'chunks-report-token'

async function get (node: ShoalNode, url: string): Promise<{ status: number, body: any }> {
  const app = buildApi(node, TOKEN)
  try {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } })
    return { status: res.statusCode, body: res.json() }
  } finally {
    await app.close()
  }
}

test('a completed download still answers chunks_status and /chunks: every chunk completed', async (t) => {
  const dir = await tempDir(t)
  const a = await startInProcessNode(t, dir, 'a')
  const b = await startInProcessNode(t, dir, 'b')
  await writeRandomFile(join(dir, 'f.bin'), 3 * MIB + 5)
  const shared = await a.share(join(dir, 'f.bin'))
  const { job, done } = await b.startDownload(shared.link, { output: join(dir, 'out.bin') })
  await done
  assert.equal(b.job(job.id), undefined, 'the job no longer runs')

  const seed = await get(b, `/api/download/${job.id}/chunks_status`)
  assert.equal(seed.status, 200, JSON.stringify(seed.body))
  assert.equal(seed.body.success, true)
  assert.equal(seed.body.is_chunked, true)
  assert.deepEqual(seed.body.statistics, { total_chunks: 4, completed_chunks: 4, downloading_chunks: 0, pending_chunks: 0, failed_chunks: 0, progress_percent: 100 })
  assert.deepEqual(Object.keys(seed.body.chunks_status), ['0', '1', '2', '3'])
  for (const c of Object.values(seed.body.chunks_status)) assert.equal((c as { status: string }).status, 'completed')

  const camel = await get(b, `/api/downloads/${job.id}/chunks`)
  assert.equal(camel.status, 200)
  assert.equal(camel.body.isChunked, true)
  assert.deepEqual(camel.body.statistics, { totalChunks: 4, completedChunks: 4, downloadingChunks: 0, pendingChunks: 0, failedChunks: 0, progressPercent: 100 })
  assert.deepEqual(camel.body.chunksStatus, Object.fromEntries(Object.entries(seed.body.chunks_status).map(([i, c]) => [i, c])))

  // The job's answer names its destination under both names.
  const snap = await get(b, `/api/downloads/${job.id}`)
  assert.equal(snap.body.dest, join(dir, 'out.bin'))
  assert.equal(snap.body.output, snap.body.dest)
  assert.equal((await get(b, '/api/downloads')).body.downloads[0].output, join(dir, 'out.bin'))

  assert.equal((await get(b, '/api/download/nope/chunks_status')).status, 404)
  assert.equal((await get(b, '/api/downloads/nope/chunks')).body.code, 'ERR_JOB_NOT_FOUND')
})

test('a cancelled download answers with the chunks it verified, the rest pending', async (t) => {
  const dir = await tempDir(t)
  // The seeder sends 2 MiB/s, so the download is cancelled part-way through.
  const slow = validateConfig({ network: LOOPBACK_CONFIG.network, transfer: { uploadRateLimit: 2 * MIB } }, 'test')
  const a = await startInProcessNode(t, dir, 'a', slow)
  const b = await startInProcessNode(t, dir, 'b')
  await writeRandomFile(join(dir, 'f.bin'), 16 * MIB)
  const shared = await a.share(join(dir, 'f.bin'))
  const { job, done } = await b.startDownload(shared.link, { output: join(dir, 'out.bin') })
  await waitFor(() => job.snapshot().chunksDone >= 2, 60_000, 'two chunks')
  b.cancel(job.id)
  await done.catch(() => { /* a cancelled job's run ends in an abort: what this test does */ })
  assert.equal(b.job(job.id), undefined)

  const verified = b.catalog.verifiedChunks(job.id).sort((x, y) => x - y)
  assert.ok(verified.length >= 2 && verified.length < 16, `part-way: ${verified.length} of 16`)
  const seed = await get(b, `/api/download/${job.id}/chunks_status`)
  assert.equal(seed.status, 200, JSON.stringify(seed.body))
  assert.equal(seed.body.statistics.total_chunks, 16)
  assert.equal(seed.body.statistics.completed_chunks, verified.length)
  assert.equal(seed.body.statistics.pending_chunks, 16 - verified.length)
  const completed = Object.entries(seed.body.chunks_status).filter(([, c]) => (c as { status: string }).status === 'completed').map(([i]) => Number(i))
  assert.deepEqual(completed, verified)
  const camel = await get(b, `/api/downloads/${job.id}/chunks`)
  assert.equal(camel.body.statistics.completedChunks, verified.length)
})

test('an unknown key in a POST body is named in the error', async (t) => {
  const dir = await tempDir(t)
  const node = await startInProcessNode(t, dir, 'n')
  const app = buildApi(node, TOKEN)
  t.after(async () => { await app.close() })
  for (const [url, payload, key] of [
    ['/api/files', { path: '/tmp/x', recursive: true }, 'recursive'],
    ['/api/downloads', { target: 'bafy', outptu: '/tmp/x' }, 'outptu']
  ] as const) {
    const res = await app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(res.statusCode, 400, res.body)
    assert.equal(res.json().code, 'ERR_INVALID_ARGUMENT')
    assert.match(res.json().message, new RegExp(`body has an unknown key "${key}"`))
  }
})
