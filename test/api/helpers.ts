/**
 * An API on a real node with a real data dir, driven through fastify's
 * `inject()`, and the assertion for the one error shape every API error has.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApi } from '../../src/api/server.js'
import { ShoalNode } from '../../src/node/node.js'
import { validateConfig } from '../../src/config/index.js'
import type { FastifyInstance, InjectOptions } from 'fastify'

/** Loopback, no discovery, and a short provider wait so a download of an unknown ID fails fast. */
export const API_TEST_CONFIG = validateConfig({
  network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false },
  transfer: { noProviderTimeoutMs: 200 }
}, 'test')

/** One answer, JSON decoded when it is JSON. */
export interface Reply {
  status: number
  body: any
  text: string
  raw: Buffer
  contentType: string | undefined
}

/** A started node, its API and its token; `close()` stops both and removes the dir. */
export interface ApiFixture {
  dir: string
  node: ShoalNode
  app: FastifyInstance
  token: string
  /** Sends a request with the right token, unless `token` is false. */
  call: (opts: InjectOptions & { token?: boolean }) => Promise<Reply>
  close: () => Promise<void>
}

/** Starts a node in a fresh temp dir and builds its API (not listening). */
export async function startApiFixture (): Promise<ApiFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-api-'))
  const token = 'test-token-' + randomBytes(8).toString('hex')
  const node = new ShoalNode({ dataDir: join(dir, 'node'), config: API_TEST_CONFIG })
  await node.start()
  const app = buildApi(node, token)
  await app.ready()
  const call = async (opts: InjectOptions & { token?: boolean }): Promise<Reply> => {
    const { token: withToken = true, ...rest } = opts
    const headers = withToken ? { authorization: `Bearer ${token}`, ...opts.headers } : opts.headers
    const res = await app.inject({ ...rest, headers })
    const contentType = res.headers['content-type'] as string | undefined
    const isJson = typeof contentType === 'string' && contentType.startsWith('application/json')
    return { status: res.statusCode, body: isJson && res.body !== '' ? res.json() : undefined, text: res.body, raw: res.rawPayload, contentType }
  }
  return {
    dir,
    node,
    app,
    token,
    call,
    close: async () => {
      await app.close()
      await node.stop()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/** Asserts the one error shape; `status` and `code` are checked when given. */
export function assertErrorShape (res: Reply, status?: number, code?: string): void {
  if (status !== undefined) assert.equal(res.status, status, res.text.slice(0, 500))
  assert.match(res.contentType ?? '', /^application\/json/, res.text.slice(0, 500))
  const body = res.body
  assert.equal(body.success, false)
  assert.equal(typeof body.code, 'string')
  assert.match(body.code, /^ERR_[A-Z_]+$/)
  if (code !== undefined) assert.equal(body.code, code, res.text.slice(0, 500))
  assert.equal(body.error, body.code.replace(/^ERR_/, '').toLowerCase())
  assert.equal(typeof body.message, 'string')
  assert.ok(body.message.length > 0)
  assert.equal(body.statusCode, res.status)
}
