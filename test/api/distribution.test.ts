/**
 * Distribution through the HTTP API, on real in-process nodes over TCP on
 * 127.0.0.1: seed 000's refusal body on share and upload with nothing left
 * behind, uploads that distribute (two of one file at once join one push),
 * the map on the uploader and on a holder, `POST /api/chunks/store` (good,
 * bad and stranger input), held chunks over `GET /api/chunks`, the quota in
 * `GET /api/files`, and `DELETE ?everywhere=true` freeing every holder.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, createHash } from 'node:crypto'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApi } from '../../src/api/server.js'
import { ShoalNode } from '../../src/node/node.js'
import { validateConfig, type ShoalConfig } from '../../src/config/index.js'
import { multipartBody, MULTIPART_BOUNDARY } from '../helpers/multipart.js'
import { waitFor } from '../helpers/cli.js'
import { assertErrorShape, type Reply } from './helpers.js'
import { chunkFiles } from '../helpers/distribution.js'
import type { TestContext } from 'node:test'

const CHUNK = 64 * 1024
const SEED_KEYS = ['available_peers', 'error', 'file_size_gb', 'message', 'success']
const multipartHeaders = { 'content-type': `multipart/form-data; boundary=${MULTIPART_BOUNDARY}` }

function config (bootstrap: string[] = []): ShoalConfig {
  return validateConfig({ network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, bootstrap }, chunking: { chunkSize: CHUNK } }, 'test')
}

interface Api { node: ShoalNode, call: (opts: Record<string, unknown>) => Promise<Reply> }

async function startApiNode (t: TestContext, dataDir: string, bootstrap: string[] = []): Promise<Api> {
  const node = new ShoalNode({ dataDir, config: config(bootstrap) })
  await node.start()
  const app = buildApi(node, 'tok')
  await app.ready()
  t.after(async () => { await app.close(); await node.stop() })
  const call = async (opts: Record<string, unknown>): Promise<Reply> => {
    const res = await app.inject({ ...opts, headers: { authorization: 'Bearer tok', ...(opts.headers as Record<string, string> | undefined) } } as never)
    const type = res.headers['content-type'] as string | undefined
    return { status: res.statusCode, body: type?.startsWith('application/json') === true && res.body !== '' ? res.json() : undefined, text: res.body, raw: res.rawPayload, contentType: type }
  }
  return { node, call }
}

async function tempDir (t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-dist-api-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

function storeBody (fields: Record<string, string>, data?: Buffer): Buffer {
  const parts = Object.entries(fields).map(([k, v]) => Buffer.from(`--${MULTIPART_BOUNDARY}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`))
  const file = data == null ? [] : [Buffer.from(`--${MULTIPART_BOUNDARY}\r\ncontent-disposition: form-data; name="chunk_data"; filename="c"\r\ncontent-type: application/octet-stream\r\n\r\n`), data, Buffer.from('\r\n')]
  return Buffer.concat([...parts, ...file, Buffer.from(`--${MULTIPART_BOUNDARY}--\r\n`)])
}

test('too few peers: seed 000\'s 400 body on share and upload, and nothing left behind', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t)
  const a = await startApiNode(t, join(dir, 'a'))
  const file = join(dir, 'f.bin')
  await writeFile(file, randomBytes(4 * CHUNK))
  const share = await a.call({ method: 'POST', url: '/api/files', payload: { path: file, distribute: true } })
  assert.equal(share.status, 400, share.text)
  assert.deepEqual(Object.keys(share.body).sort(), SEED_KEYS)
  assert.equal(share.body.success, false)
  assert.equal(share.body.error, 'distribution_required')
  assert.equal(typeof share.body.file_size_gb, 'number')
  assert.equal(share.body.available_peers, 0)
  assert.ok(Number.isInteger(share.body.available_peers))

  const upload = await a.call({ method: 'POST', url: '/api/files/upload?distribute=true', headers: multipartHeaders, payload: multipartBody([{ name: 'up.bin', data: randomBytes(3 * CHUNK) }]) })
  assert.equal(upload.status, 400, upload.text)
  assert.deepEqual(Object.keys(upload.body).sort(), SEED_KEYS)
  assert.deepEqual((await a.call({ method: 'GET', url: '/api/files' })).body.files, [], 'no catalog row')
  assert.deepEqual(await readdir(join(dir, 'a', 'uploads')), [], 'no uploaded file')
  assert.equal(await chunkFiles(join(dir, 'a')), 0)
  assert.equal(await readdir(join(dir, 'a', 'distributions')).then((f) => f.length), 0, 'no record')

  for (const replicas of ['0', '-1', '99', 'x']) {
    const bad = await a.call({ method: 'POST', url: `/api/files/upload?replicas=${replicas}`, headers: multipartHeaders, payload: multipartBody([{ name: 'r.bin', data: Buffer.from('x') }]) })
    assertErrorShape(bad, 400, 'ERR_INVALID_ARGUMENT')
  }
  for (const replicas of [0, -1, 99]) assertErrorShape(await a.call({ method: 'POST', url: '/api/files', payload: { path: file, replicas } }), 400, 'ERR_INVALID_ARGUMENT')
  assert.deepEqual(await readdir(join(dir, 'a', 'uploads')), [])
})

test('uploads distribute; the map, chunks/store, held chunks, quota and rm everywhere', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t)
  const a = await startApiNode(t, join(dir, 'a'))
  const addrA = a.node.addrs[0] as string
  const b = await startApiNode(t, join(dir, 'b'), [addrA])
  const c = await startApiNode(t, join(dir, 'c'), [addrA, b.node.addrs[0] as string])
  await waitFor(() => a.node.libp2p.getPeers().length >= 2 && b.node.libp2p.getPeers().length >= 2, 20_000, 'connected')

  // Two uploads of one file at once: one push, both answers report it.
  const data = randomBytes(16 * CHUNK)
  const send = async (): Promise<Reply> => await a.call({ method: 'POST', url: '/api/files/upload?distribute=true&replicas=2', headers: multipartHeaders, payload: multipartBody([{ name: 'same.bin', data }]) })
  const [one, two] = await Promise.all([send(), send()])
  for (const r of [one!, two!]) {
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.distributed_count, 1)
    assert.equal(r.body.results[0].distributed, true)
    assert.equal(r.body.results[0].chunks_count, 16)
  }
  assert.deepEqual(one!.body.results[0].distribution_summary, two!.body.results[0].distribution_summary)
  const id = (await a.call({ method: 'GET', url: '/api/files' })).body.files[0].id as string
  const view = (await a.call({ method: 'GET', url: `/api/files/${id}/distribution` })).body
  assert.deepEqual(Object.keys(view).sort(), ['chunks', 'holders', 'id', 'replicas'])
  assert.equal(view.replicas, 2)
  for (const chunk of view.chunks) assert.equal(new Set(chunk.holders).size, 2)
  assert.deepEqual(view.holders, one!.body.results[0].distribution_summary)
  const pushed = (view.holders[b.node.peerId] ?? 0) + (view.holders[c.node.peerId] ?? 0)
  assert.equal(await chunkFiles(join(dir, 'b')) + await chunkFiles(join(dir, 'c')), pushed, 'each copy stored once')
  assert.deepEqual((await b.call({ method: 'GET', url: `/api/files/${id}/distribution` })).body, view, 'a holder has the same map')
  assertErrorShape(await a.call({ method: 'GET', url: '/api/files/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy/distribution' }), 404, 'ERR_FILE_NOT_FOUND')

  // A chunk B holds, over HTTP, and the quota it uses.
  const onB = view.chunks.find((ch: { holders: string[] }) => ch.holders.includes(b.node.peerId)).index as number
  const notOnB = view.chunks.find((ch: { holders: string[] }) => !ch.holders.includes(b.node.peerId))?.index as number | undefined
  const bytes = data.subarray(onB * CHUNK, (onB + 1) * CHUNK)
  const got = await b.call({ method: 'GET', url: `/api/chunks/${id}/${onB}` })
  assert.equal(got.status, 200)
  assert.ok(got.raw.equals(bytes))
  const storage = (await b.call({ method: 'GET', url: '/api/files' })).body.storage
  assert.equal(storage.heldFiles, 1)
  assert.equal(storage.usedBytes, view.holders[b.node.peerId] * CHUNK)
  assert.ok(storage.quotaBytes > 0)

  // POST /api/chunks/store.
  const hash = createHash('sha256').update(bytes).digest('hex')
  const store = async (fields: Record<string, string>, chunk?: Buffer): Promise<Reply> => await b.call({ method: 'POST', url: '/api/chunks/store', headers: multipartHeaders, payload: storeBody(fields, chunk) })
  const good = await store({ file_id: id, chunk_index: String(onB), chunk_hash: hash }, bytes)
  assert.equal(good.status, 200, good.text)
  assert.equal(good.body.success, true)
  assertErrorShape(await store({ file_id: id, chunk_index: String(onB), chunk_hash: '00'.repeat(32) }, bytes), 400, 'ERR_INVALID_ARGUMENT')
  assertErrorShape(await store({ file_id: id, chunk_index: String(onB), chunk_hash: hash }, randomBytes(CHUNK)), 400, 'ERR_INVALID_ARGUMENT')
  assertErrorShape(await store({ file_id: id, chunk_index: String(onB) }, bytes), 400, 'ERR_INVALID_ARGUMENT')
  assertErrorShape(await store({ file_id: id, chunk_index: 'x', chunk_hash: hash }, bytes), 400, 'ERR_INVALID_ARGUMENT')
  assertErrorShape(await store({ file_id: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', chunk_index: '0', chunk_hash: hash }, bytes), 404, 'ERR_FILE_NOT_FOUND')
  if (notOnB !== undefined) {
    const other = data.subarray(notOnB * CHUNK, (notOnB + 1) * CHUNK)
    assertErrorShape(await store({ file_id: id, chunk_index: String(notOnB), chunk_hash: createHash('sha256').update(other).digest('hex') }, other), 401, 'ERR_UNAUTHORIZED')
  }
  assert.equal(await chunkFiles(join(dir, 'b')), view.holders[b.node.peerId], 'nothing stored by the bad requests')

  // rm everywhere: holders cannot, the uploader frees every copy.
  assertErrorShape(await b.call({ method: 'DELETE', url: `/api/files/${id}?everywhere=true` }), 401, 'ERR_UNAUTHORIZED')
  const released = await a.call({ method: 'DELETE', url: `/api/files/${id}?everywhere=true` })
  assert.equal(released.status, 200, released.text)
  assert.deepEqual(released.body.released, { holders: 2, released: 2, dropped: pushed })
  assert.equal(await chunkFiles(join(dir, 'b')) + await chunkFiles(join(dir, 'c')), 0, 'holders freed')
  assertErrorShape(await b.call({ method: 'GET', url: `/api/files/${id}/distribution` }), 404, 'ERR_FILE_NOT_FOUND')
  assert.equal((await b.call({ method: 'GET', url: '/api/files' })).body.storage.usedBytes, 0)
})
