/**
 * Fuzzing every route of a real node's API through Fastify `inject()`: a real
 * node with a real data dir and one shared file; random methods, route
 * parameters, query strings, headers and bodies (near-valid and hostile).
 * Outcomes: a correct answer, or the one API error shape with a 4xx — never
 * a 5xx, never the token or the data dir's path echoed, no hang.
 *
 * `GET /api/events` is left out: it is a never-ending SSE stream by design.
 */
import '../../src/polyfill.js'
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { assertErrorShape, startApiFixture, type ApiFixture, type Reply } from '../api/helpers.js'
import { check } from './fuzz.js'
import type { InjectOptions } from 'fastify'

/** Every route but the event stream, as method and path template. */
const ROUTES = [
  ['GET', '/api/node'], ['GET', '/api/files'], ['POST', '/api/files'], ['DELETE', '/api/files/:id'],
  ['POST', '/api/files/:id/verify'], ['GET', '/api/peers'], ['GET', '/api/downloads'], ['POST', '/api/downloads'],
  ['GET', '/api/downloads/:id'], ['DELETE', '/api/downloads/:id'], ['GET', '/api/download/:id/chunks_status'],
  ['GET', '/api/chunks/:fileId/:chunkIndex']
] as const

describe('fuzz: every API route on a real node', () => {
  let f: ApiFixture
  let shared: { id: string, link: string }
  let downloads: string
  const cwd = process.cwd()

  before(async () => {
    f = await startApiFixture()
    const file = join(f.dir, 'shared.bin')
    await writeFile(file, randomBytes(100_000))
    downloads = join(f.dir, 'downloads')
    await mkdir(downloads)
    const res = await f.call({ method: 'POST', url: '/api/files', payload: { path: file } })
    assert.equal(res.status, 201, res.text)
    shared = res.body
    // Relative paths in fuzzed bodies land in the fixture, never in the checkout.
    process.chdir(downloads)
  })
  after(async () => {
    process.chdir(cwd)
    await f?.close()
  })

  /** Text for a route parameter: real IDs, junk, encodings, overlong. */
  const param = (): fc.Arbitrary<string> => fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(shared.id, '0', '1') },
    fc.constantFrom(shared.id, shared.id.toUpperCase(), '0', '1', '-1', '999999999', '9999999999', '1.5', '%zz', '%00', '..', '%2e%2e', '%2F', f.token),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.string({ unit: 'binary', maxLength: 20 }).map(s => encodeURIComponent(s)),
    fc.string({ unit: 'binary-ascii', maxLength: 20 }),
    fc.integer({ min: 100, max: 3000 }).map(n => 'p'.repeat(n))
  )

  /** A path under the fixture, a system path, or junk (NUL, overlong, odd bytes). */
  const path = (): fc.Arbitrary<unknown> => fc.oneof(
    fc.constantFrom(join(f.dir, 'shared.bin'), f.dir, join(f.dir, 'missing'), '/dev/null', '/', '', '.', 'x\u0000y', '/tmp/\u0000', join(f.dir, 'n'.repeat(300)), '/' + 'a/'.repeat(2100)),
    fc.string({ unit: 'binary', maxLength: 50 }),
    fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 })
  )

  /** A download target: the shared file (then with a safe cwd), or junk. */
  const download = (): fc.Arbitrary<unknown> => fc.oneof(
    fc.record({ target: fc.constantFrom(shared.id, shared.link), cwd: fc.constant(downloads), output: fc.option(fc.constantFrom('out.bin', 'nested/missing/x', '../up.bin', '.'), { nil: undefined }), sequential: fc.boolean() }, { requiredKeys: ['target', 'cwd'] }),
    fc.record({
      target: fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom('shoal://', `shoal://${shared.id}?peer=%2Fnope`, `shoal://${shared.id}?name=..`, `${shared.id}#x`), fc.integer()),
      output: path(),
      cwd: path(),
      peers: fc.oneof(fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('/ip4/127.0.0.1/tcp/1', '/ip4/1.2.3.4/tcp/1/p2p/QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG', '/p2p/x')), { maxLength: 4 }), fc.string()),
      sequential: fc.oneof(fc.boolean(), fc.string())
    }, { requiredKeys: [] })
  )

  const body = (): fc.Arbitrary<unknown> => fc.oneof(
    fc.record({ path: path() }, { requiredKeys: [] }),
    download(),
    fc.jsonValue({ maxDepth: 2 }),
    fc.tuple(fc.record({ path: path() }), fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 })).map(([b, k, v]) => ({ ...b, [k]: v }))
  )

  const requestFor = (): fc.Arbitrary<InjectOptions & { token?: boolean }> => fc.record({
    route: fc.constantFrom(...ROUTES),
    method: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') }),
    params: fc.array(param(), { minLength: 2, maxLength: 2 }),
    query: fc.array(fc.tuple(fc.constantFrom('token', 'x', 'id', '__proto__'), fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('%zz', f.token))), { maxLength: 3 }),
    suffix: fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '/x', '//', '?') }),
    // Mostly what the route expects (so handlers are reached), else anything.
    routeBody: fc.oneof(fc.record({ path: path() }), download()),
    body: fc.option(fc.oneof({ weight: 4, arbitrary: body().map(b => JSON.stringify(b) ?? 'null') }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }) }), { nil: undefined }),
    bodyKind: fc.constantFrom('route', 'route', 'route', 'random'),
    contentType: fc.oneof({ weight: 5, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/octet-stream', 'multipart/form-data; boundary=x', '') }),
    headers: fc.dictionary(fc.constantFrom('accept', 'x-forwarded-for', 'accept-encoding', 'content-length', 'transfer-encoding', 'range', 'expect'), fc.string({ unit: 'binary-ascii', maxLength: 20 }).filter(s => /^[\x20-\x7e]*$/.test(s)), { maxKeys: 2 }),
    token: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) })
  }).map(({ route, method, params, query, suffix, routeBody, body: randomBody, bodyKind, contentType, headers, token }) => {
    const body = route[0] === 'POST' && bodyKind === 'route' ? JSON.stringify(routeBody) : randomBody
    let i = 0
    const url = route[1].replace(/:[a-zA-Z]+/g, () => params[i++] ?? '') + suffix +
      (query.length === 0 ? '' : (suffix === '?' ? '' : '?') + query.map(([k, v]) => `${k}=${v}`).join('&'))
    const h: Record<string, string> = { ...headers }
    delete h['content-length'] // inject computes it; a wrong one would just stall the parser
    delete h['transfer-encoding']
    if (body !== undefined && contentType !== '') h['content-type'] = contentType
    return { method: (method ?? route[0]) as 'GET', url, payload: body, headers: h, token }
  })

  /** The only acceptable answers. */
  function assertAcceptable (req: InjectOptions & { token?: boolean }, res: Reply): void {
    const what = `${String(req.method)} ${String(req.url).slice(0, 120)} → ${res.status} ${res.text.slice(0, 300)}`
    assert.ok(res.status < 500, what)
    assert.ok(!res.text.includes(f.token) || res.status < 300, `token echoed: ${what}`)
    if (res.status >= 400) {
      if (req.method === 'HEAD') return // no body on HEAD
      assertErrorShape(res)
      assert.ok(!res.text.includes(f.dir), `data dir path echoed: ${what}`)
      assert.doesNotMatch(res.text, /\n\s+at .+:\d+:\d+/, 'no stack trace')
      if (req.token === false && !String(req.url).includes(f.token)) assert.equal(res.status, 401, what)
    } else if (req.method !== 'HEAD' && !String(req.url).startsWith('/api/chunks/')) {
      // Outside /api only the dashboard's own files answer (src/api/dashboard.ts), with their types.
      const type = String(req.url).startsWith('/api') ? /^application\/json/ : /^(text\/html|text\/css|application\/javascript|text\/javascript|image\/)/
      assert.match(res.contentType ?? '', type, what)
    }
  }

  it('random requests to every route: a correct answer or the error shape with a 4xx', async () => {
    await check(fc.asyncProperty(requestFor(), async (req) => {
      assertAcceptable(req, await f.call(req))
    }), 400)
    // The node still works afterwards.
    const res = await f.call({ method: 'GET', url: '/api/node' })
    assert.equal(res.status, 200)
  })

  it('unknown paths and methods: 404 or 401 in the error shape', async () => {
    const segment = fc.oneof(fc.string({ maxLength: 12 }).map(encodeURIComponent), fc.constantFrom('api', 'files', '%zz', '..', '', 'events2'))
    const url = fc.array(segment, { minLength: 1, maxLength: 5 }).map(parts => '/' + parts.join('/'))
    await check(fc.asyncProperty(url, fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), fc.boolean(), async (u, method, token) => {
      if (u === '/api/events') return // the SSE stream never ends by design
      const req = { method: method as 'GET', url: u, token }
      assertAcceptable(req, await f.call(req))
    }), 200)
  })
})
