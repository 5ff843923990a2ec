/**
 * `POST /api/files/upload`: seed 000's answer shape, files streamed to
 * `<dataDir>/uploads/` and shared there, unsafe names refused with nothing
 * written, and an upload cut off half-way leaving nothing behind.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assertErrorShape, startApiFixture } from './helpers.js'
import { multipartBody, MULTIPART_BOUNDARY } from '../helpers/multipart.js'
import { UPLOADS_DIR } from '../../src/api/upload.js'

const multipartHeaders = { 'content-type': `multipart/form-data; boundary=${MULTIPART_BOUNDARY}` }

async function uploadsOf (dataDir: string): Promise<string[]> {
  return (await readdir(join(dataDir, UPLOADS_DIR))).sort()
}

/** Waits for `check` to hold, polling every 50 ms, failing after `timeoutMs`. */
async function until (what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

test('an upload is stored in the uploads folder, shared there, and answered in the seed\'s shape', async (t) => {
  const api = await startApiFixture()
  t.after(api.close)
  const a = Buffer.alloc(300_000, 7)
  const b = Buffer.from('second file')
  const res = await api.call({ method: 'POST', url: '/api/files/upload', headers: multipartHeaders, payload: multipartBody([{ name: 'a.bin', data: a }, { name: 'notes.txt', data: b }]) })
  assert.equal(res.status, 200, res.text)
  const files = (await api.call({ method: 'GET', url: '/api/files' })).body.files as Array<{ name: string, paths: string[], chunks: number }>
  const chunksOf = (name: string): number | undefined => files.find(f => f.name === name)?.chunks
  assert.deepEqual(res.body, {
    success: true,
    uploaded_count: 2,
    distributed_count: 0,
    results: [
      { filename: 'a.bin', size: a.length, distributed: false, chunks_count: chunksOf('a.bin'), distribution_summary: {} },
      { filename: 'notes.txt', size: b.length, distributed: false, chunks_count: 1, distribution_summary: {} }
    ]
  })
  assert.deepEqual(await uploadsOf(api.node.dataDir), ['a.bin', 'notes.txt'])
  assert.deepEqual(await readFile(join(api.node.dataDir, UPLOADS_DIR, 'a.bin')), a)
  assert.deepEqual(files.map(f => f.name).sort(), ['a.bin', 'notes.txt'])
  assert.deepEqual(files.find(f => f.name === 'a.bin')?.paths, [join(api.node.dataDir, UPLOADS_DIR, 'a.bin')])

  // A second upload of the same name keeps the first file and gets its own name.
  const again = await api.call({ method: 'POST', url: '/api/files/upload', headers: multipartHeaders, payload: multipartBody([{ name: 'notes.txt', data: Buffer.from('other') }]) })
  assert.equal(again.status, 200, again.text)
  assert.equal(again.body.results[0].filename, 'notes (1).txt')
  assert.deepEqual(await readFile(join(api.node.dataDir, UPLOADS_DIR, 'notes.txt'), 'utf8'), 'second file')
})

test('an unsafe file name is refused in the one error shape and nothing is written or shared', async (t) => {
  const api = await startApiFixture()
  t.after(api.close)
  for (const name of ['../../x', 'a/b', '..', '.hidden', 'x\\..\\y', 'evil\u202egpj.exe']) {
    // A good file first: all or nothing, it is not kept either.
    const res = await api.call({ method: 'POST', url: '/api/files/upload', headers: multipartHeaders, payload: multipartBody([{ name: 'good.txt', data: Buffer.from('ok') }, { name, data: Buffer.from('bad') }]) })
    assertErrorShape(res, 400, 'ERR_INVALID_ARGUMENT')
    assert.deepEqual(await uploadsOf(api.node.dataDir), [], name)
  }
  const wrongField = await api.call({ method: 'POST', url: '/api/files/upload', headers: multipartHeaders, payload: multipartBody([{ name: 'a.txt', data: Buffer.from('x'), field: 'upload' }]) })
  assertErrorShape(wrongField, 400, 'ERR_INVALID_ARGUMENT')
  const none = await api.call({ method: 'POST', url: '/api/files/upload', headers: multipartHeaders, payload: multipartBody([]) })
  assertErrorShape(none, 400, 'ERR_INVALID_ARGUMENT')
  const json = await api.call({ method: 'POST', url: '/api/files/upload', payload: { path: '/etc/passwd' } })
  assertErrorShape(json, 400, 'ERR_INVALID_ARGUMENT')
  const noToken = await api.call({ method: 'POST', url: '/api/files/upload', token: false, headers: multipartHeaders, payload: multipartBody([{ name: 'a.txt', data: Buffer.from('x') }]) })
  assertErrorShape(noToken, 401, 'ERR_UNAUTHORIZED')
  assert.deepEqual(await uploadsOf(api.node.dataDir), [])
  assert.deepEqual((await api.call({ method: 'GET', url: '/api/files' })).body.files, [])
})

test('an upload cut off half-way leaves no temp file and registers nothing', async (t) => {
  const api = await startApiFixture()
  t.after(api.close)
  await api.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = api.app.server.address() as { port: number }
  const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/files/upload', headers: { ...multipartHeaders, authorization: `Bearer ${api.token}`, 'transfer-encoding': 'chunked' } })
  req.on('error', () => { /* the socket is destroyed on purpose below */ })
  const full = multipartBody([{ name: 'big.bin', data: Buffer.alloc(4 << 20, 1) }])
  req.write(full.subarray(0, 2 << 20))
  await until('the temp file to appear', async () => (await uploadsOf(api.node.dataDir)).some(n => n.startsWith('.tmp-')))
  req.destroy()
  await until('the temp file to be removed', async () => (await uploadsOf(api.node.dataDir)).length === 0)
  assert.deepEqual((await api.call({ method: 'GET', url: '/api/files' })).body.files, [])
})
