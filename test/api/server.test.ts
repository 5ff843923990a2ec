import '../../src/polyfill.js'
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApi } from '../../src/api/server.js'
import { ShoalNode } from '../../src/node/node.js'
import { LOOPBACK_CONFIG } from '../helpers/in-process-nodes.js'
import { MIB } from '../../src/content/chunk-size.js'
import type { FastifyInstance, InjectOptions } from 'fastify'

const TOKEN = 'test-token-' + randomBytes(8).toString('hex')

interface Reply {
  status: number
  body: any
  raw: Buffer
  contentType: string | undefined
}

/** Asserts the one error shape the API sends. */
function assertError (res: Reply, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body))
  assert.match(res.contentType ?? '', /^application\/json/)
  assert.equal(res.body.success, false)
  assert.equal(res.body.code, code)
  assert.equal(res.body.error, code.replace(/^ERR_/, '').toLowerCase())
  assert.equal(typeof res.body.message, 'string')
  assert.ok(res.body.message.length > 0)
  assert.equal(res.body.statusCode, status)
}

describe('HTTP API', () => {
  let dir: string
  let node: ShoalNode
  let app: FastifyInstance
  /** A shared file of three chunks (the last one short) and its bytes. */
  let filePath: string
  let fileData: Buffer

  /** Sends a request with the right token, unless `token` is false or headers carry another one. */
  async function call (opts: InjectOptions & { token?: boolean }): Promise<Reply> {
    const { token = true, ...rest } = opts
    const headers = token ? { authorization: `Bearer ${TOKEN}`, ...opts.headers } : opts.headers
    const res = await app.inject({ ...rest, headers })
    const contentType = res.headers['content-type']
    const isJson = typeof contentType === 'string' && contentType.startsWith('application/json')
    return { status: res.statusCode, body: isJson ? res.json() : undefined, raw: res.rawPayload, contentType: contentType as string | undefined }
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-api-'))
    node = new ShoalNode({ dataDir: join(dir, 'node'), config: LOOPBACK_CONFIG })
    await node.start()
    app = buildApi(node, TOKEN)
    await app.ready()
    fileData = randomBytes(2 * MIB + 1234)
    filePath = join(dir, 'shared.bin')
    await writeFile(filePath, fileData)
  })

  after(async () => {
    await app?.close()
    await node?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  describe('authorization', () => {
    it('answers 401 ERR_UNAUTHORIZED without a token', async () => {
      const res = await call({ method: 'GET', url: '/api/files', token: false })
      assertError(res, 401, 'ERR_UNAUTHORIZED')
      assert.deepEqual(Object.keys(res.body).sort(), ['code', 'error', 'message', 'statusCode', 'success'])
    })

    it('answers 401 for a wrong token, a token of the wrong length, or another scheme', async () => {
      for (const authorization of [`Bearer ${TOKEN.slice(0, -1)}x`, 'Bearer short', `Basic ${TOKEN}`, TOKEN]) {
        assertError(await call({ method: 'GET', url: '/api/files', headers: { authorization } }), 401, 'ERR_UNAUTHORIZED')
      }
      assertError(await call({ method: 'GET', url: '/api/files?token=nope', token: false }), 401, 'ERR_UNAUTHORIZED')
    })

    it('accepts the token as ?token= (for EventSource)', async () => {
      const res = await call({ method: 'GET', url: `/api/files?token=${TOKEN}`, token: false })
      assert.equal(res.status, 200)
      assert.ok(Array.isArray(res.body.files))
    })

    it('guards unknown routes too', async () => {
      assertError(await call({ method: 'GET', url: '/api/nope', token: false }), 401, 'ERR_UNAUTHORIZED')
    })
  })

  describe('files and chunks', () => {
    let shared: { id: string, link: string, name: string, size: number, chunks: number }

    before(async () => {
      const res = await call({ method: 'POST', url: '/api/files', payload: { path: filePath } })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      shared = res.body
    })

    it('POST /api/files shares a file: 201 with id, link, name, size and chunks', () => {
      assert.match(shared.id, /^bafy/)
      assert.ok(shared.link.startsWith(`shoal://${shared.id}`), shared.link)
      assert.equal(shared.name, 'shared.bin')
      assert.equal(shared.size, fileData.byteLength)
      assert.equal(shared.chunks, 3)
    })

    it('sharing the same file again gives the same id', async () => {
      const res = await call({ method: 'POST', url: '/api/files', payload: { path: filePath } })
      assert.equal(res.status, 201)
      assert.equal(res.body.id, shared.id)
    })

    it('GET /api/files lists it with its path', async () => {
      const res = await call({ method: 'GET', url: '/api/files' })
      assert.equal(res.status, 200)
      const listed = res.body.files.find((f: { id: string }) => f.id === shared.id)
      assert.ok(listed, JSON.stringify(res.body))
      assert.deepEqual(listed.paths, [filePath])
      assert.equal(listed.size, fileData.byteLength)
      assert.equal(listed.chunks, 3)
      assert.equal(listed.name, 'shared.bin')
    })

    it('GET /api/chunks/:fileId/:chunkIndex returns the chunk bytes', async () => {
      for (const [index, start, end] of [[0, 0, MIB], [1, MIB, 2 * MIB], [2, 2 * MIB, fileData.byteLength]] as const) {
        const res = await call({ method: 'GET', url: `/api/chunks/${shared.id}/${index}` })
        assert.equal(res.status, 200)
        assert.equal(res.contentType, 'application/octet-stream')
        assert.ok(res.raw.equals(fileData.subarray(start, end)), `chunk ${index}`)
      }
    })

    it('GET /api/chunks answers 404 for an unknown file or a chunk out of range', async () => {
      const unknown = 'bafyreigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'
      assertError(await call({ method: 'GET', url: `/api/chunks/${unknown}/0` }), 404, 'ERR_FILE_NOT_FOUND')
      assertError(await call({ method: 'GET', url: `/api/chunks/${shared.id}/3` }), 404, 'ERR_CHUNK_NOT_AVAILABLE')
      assertError(await call({ method: 'GET', url: `/api/chunks/${shared.id}/999999999` }), 404, 'ERR_CHUNK_NOT_AVAILABLE')
    })

    it('GET /api/chunks rejects a chunk index that is not a number with 400', async () => {
      for (const index of ['-1', 'abc', '1.5', '9999999999']) {
        assertError(await call({ method: 'GET', url: `/api/chunks/${shared.id}/${index}` }), 400, 'ERR_INVALID_ARGUMENT')
      }
    })

    it('POST /api/files/:id/verify checks the local copy', async () => {
      const res = await call({ method: 'POST', url: `/api/files/${shared.id}/verify` })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.equal(res.body.id, shared.id)
      assert.equal(res.body.ok, true)
      assert.equal(res.body.copies.length, 1)
    })

    it('DELETE /api/files/:id forgets the file; verify then answers 404', async () => {
      const other = join(dir, 'to-delete.txt')
      await writeFile(other, 'delete me')
      const added = await call({ method: 'POST', url: '/api/files', payload: { path: other } })
      assert.equal(added.status, 201)
      const { id } = added.body

      const res = await call({ method: 'DELETE', url: `/api/files/${id}` })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { success: true, id })
      assertError(await call({ method: 'POST', url: `/api/files/${id}/verify` }), 404, 'ERR_FILE_NOT_FOUND')
      assertError(await call({ method: 'GET', url: `/api/chunks/${id}/0` }), 404, 'ERR_FILE_NOT_FOUND')
      assertError(await call({ method: 'DELETE', url: `/api/files/${id}` }), 404, 'ERR_FILE_NOT_FOUND')
      const list = await call({ method: 'GET', url: '/api/files' })
      assert.equal(list.body.files.some((f: { id: string }) => f.id === id), false)
      assert.equal(list.body.files.some((f: { id: string }) => f.id === shared.id), true, 'other files stay')
    })
  })

  describe('bad input when sharing', () => {
    it('POST /api/files without a path is 400 ERR_INVALID_ARGUMENT', async () => {
      assertError(await call({ method: 'POST', url: '/api/files', payload: {} }), 400, 'ERR_INVALID_ARGUMENT')
      assertError(await call({ method: 'POST', url: '/api/files', payload: { path: '' } }), 400, 'ERR_INVALID_ARGUMENT')
    })

    it('POST /api/files rejects unknown fields and a non-string path instead of stripping or coercing them', async () => {
      // The schema says additionalProperties: false and type: string, but fastify's default Ajv
      // options (removeAdditional: true, coerceTypes: 'array') drop `extra` and turn 42 into
      // "42", which is then shared relative to the node's working directory.
      const extra = await call({ method: 'POST', url: '/api/files', payload: { path: join(dir, 'missing'), extra: true } })
      assertError(extra, 400, 'ERR_INVALID_ARGUMENT')
      const numeric = await call({ method: 'POST', url: '/api/files', payload: { path: 42 } })
      assertError(numeric, 400, 'ERR_INVALID_ARGUMENT')
    })

    it('sharing a missing path is 404 ERR_PATH_NOT_FOUND', async () => {
      assertError(await call({ method: 'POST', url: '/api/files', payload: { path: join(dir, 'does-not-exist') } }), 404, 'ERR_PATH_NOT_FOUND')
    })

    it('sharing a directory is 400 ERR_PATH_IS_DIRECTORY', async () => {
      const sub = join(dir, 'a-directory')
      await mkdir(sub, { recursive: true })
      assertError(await call({ method: 'POST', url: '/api/files', payload: { path: sub } }), 400, 'ERR_PATH_IS_DIRECTORY')
    })

    it('a body that is not JSON is a 400 JSON error', async () => {
      const broken = await call({ method: 'POST', url: '/api/files', payload: '{"path": ', headers: { 'content-type': 'application/json' } })
      assertError(broken, 400, 'ERR_INVALID_ARGUMENT')
      const text = await call({ method: 'POST', url: '/api/files', payload: 'path=/etc/passwd', headers: { 'content-type': 'text/plain' } })
      assertError(text, 400, 'ERR_INVALID_ARGUMENT')
    })

    it('a body above the limit is 413 ERR_MESSAGE_TOO_LARGE', async () => {
      const res = await call({ method: 'POST', url: '/api/files', payload: { path: 'x'.repeat(100 * 1024) } })
      assertError(res, 413, 'ERR_MESSAGE_TOO_LARGE')
    })
  })

  describe('downloads', () => {
    it('POST /api/downloads with a malformed ID is 400 ERR_INVALID_ID', async () => {
      for (const target of ['not-a-file-id', 'bafyfoo', 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG']) {
        assertError(await call({ method: 'POST', url: '/api/downloads', payload: { target } }), 400, 'ERR_INVALID_ID')
      }
    })

    it('POST /api/downloads with a malformed link is 400 ERR_INVALID_LINK', async () => {
      const id = 'bafyreigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'
      for (const target of ['https://example.com/file', `shoal:${id}?name=../etc/passwd`, `shoal:${id}?size=-1`, `shoal:${id}?peer=not-a-multiaddr`]) {
        assertError(await call({ method: 'POST', url: '/api/downloads', payload: { target } }), 400, 'ERR_INVALID_LINK')
      }
    })

    it('POST /api/downloads without a target is 400 ERR_INVALID_ARGUMENT', async () => {
      assertError(await call({ method: 'POST', url: '/api/downloads', payload: {} }), 400, 'ERR_INVALID_ARGUMENT')
    })

    it('GET /api/downloads/:id for an unknown job is 404 ERR_JOB_NOT_FOUND', async () => {
      assertError(await call({ method: 'GET', url: '/api/downloads/nope' }), 404, 'ERR_JOB_NOT_FOUND')
      assertError(await call({ method: 'DELETE', url: '/api/downloads/nope' }), 404, 'ERR_JOB_NOT_FOUND')
      assertError(await call({ method: 'GET', url: '/api/download/nope/chunks_status' }), 404, 'ERR_JOB_NOT_FOUND')
    })

    it('GET /api/downloads lists none on a fresh node', async () => {
      const res = await call({ method: 'GET', url: '/api/downloads' })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { downloads: [] })
    })
  })

  describe('other routes', () => {
    it('GET /api/node describes the node', async () => {
      const res = await call({ method: 'GET', url: '/api/node' })
      assert.equal(res.status, 200)
      assert.equal(res.body.peerId, node.peerId)
      assert.equal(res.body.dataDir, node.dataDir)
      assert.ok(res.body.addrs.some((a: string) => a.startsWith('/ip4/127.0.0.1/tcp/')), JSON.stringify(res.body.addrs))
    })

    it('GET /api/peers lists no peers on a lone node (as an array)', async () => {
      const res = await call({ method: 'GET', url: '/api/peers' })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { peers: [] })
    })

    it('an unknown route is a 404 JSON error', async () => {
      const res = await call({ method: 'GET', url: '/api/does-not-exist?x=1' })
      assert.equal(res.status, 404)
      assert.match(res.contentType ?? '', /^application\/json/)
      assert.equal(res.body.success, false)
      assert.equal(res.body.statusCode, 404)
      assert.equal(typeof res.body.code, 'string')
      assert.match(res.body.message, /\/api\/does-not-exist/)
      assert.doesNotMatch(res.body.message, /x=1/, 'the query string is not echoed')
    })
  })
})
