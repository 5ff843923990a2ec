import '../../src/polyfill.js'
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { assertErrorShape, startApiFixture, type ApiFixture, type Reply } from './helpers.js'

/** Asserts the shape, a 4xx, and that neither the token nor any of `secrets` (paths) is echoed. */
function assertClean (f: ApiFixture, res: Reply, status: number, code: string, secrets: string[] = []): void {
  assertErrorShape(res, status, code)
  assert.ok(status >= 400 && status < 500)
  assert.doesNotMatch(res.text, /FST_|at .*\.js:\d+/, 'no fastify codes or stack frames')
  for (const s of [f.token, ...secrets]) assert.ok(!res.text.includes(s), `echoed ${s.slice(0, 80)}: ${res.text.slice(0, 300)}`)
}

describe('API: one error shape for every bad input', () => {
  let f: ApiFixture
  before(async () => { f = await startApiFixture() })
  after(async () => { await f?.close() })

  it('a NUL byte in POST /api/files path is 400 ERR_INVALID_ARGUMENT, path not echoed', async () => {
    const path = join(f.dir, 'secret-dir', 'a\u0000b')
    const res = await f.call({ method: 'POST', url: '/api/files', payload: { path } })
    assertClean(f, res, 400, 'ERR_INVALID_ARGUMENT', [f.dir, 'secret-dir'])
    assert.match(res.body.message, /NUL/)
  })

  it('a 4,000-character path is 400 ERR_INVALID_ARGUMENT, path not echoed', async () => {
    const path = join(f.dir, 'q'.repeat(4000))
    const res = await f.call({ method: 'POST', url: '/api/files', payload: { path } })
    assertClean(f, res, 400, 'ERR_INVALID_ARGUMENT', [f.dir, 'q'.repeat(300)])
  })

  it('a path over 4096 bytes (short names, multi-byte) is 400', async () => {
    const path = '/' + 'é/'.repeat(1400)
    const res = await f.call({ method: 'POST', url: '/api/files', payload: { path } })
    assertClean(f, res, 400, 'ERR_INVALID_ARGUMENT', ['é/é/é/é/'])
  })

  it('a missing file names only its base name', async () => {
    const path = join(f.dir, 'private-folder', 'missing.bin')
    const res = await f.call({ method: 'POST', url: '/api/files', payload: { path } })
    assertClean(f, res, 404, 'ERR_PATH_NOT_FOUND', [f.dir, 'private-folder'])
    assert.match(res.body.message, /missing\.bin/)
  })

  it('an overlong route parameter is 400 ERR_INVALID_ARGUMENT in the shape', async () => {
    for (const len of [129, 2000]) {
      const res = await f.call({ method: 'GET', url: `/api/downloads/${'p'.repeat(len)}` })
      assertClean(f, res, 400, 'ERR_INVALID_ARGUMENT', ['p'.repeat(100)])
    }
    const chunk = await f.call({ method: 'GET', url: `/api/chunks/${'b'.repeat(500)}/0` })
    assertClean(f, chunk, 400, 'ERR_INVALID_ARGUMENT', ['b'.repeat(100)])
  })

  it('bad percent-encoding (%zz) is 400 ERR_INVALID_ARGUMENT in the shape', async () => {
    for (const url of ['/api/downloads/%zz', '/api/chunks/abc/%zz', '/api/%zz', '/api/files/%E0%A4%A/verify']) {
      assertClean(f, await f.call({ method: url.endsWith('verify') ? 'POST' : 'GET', url }), 400, 'ERR_INVALID_ARGUMENT', ['%zz'])
    }
  })

  it('a bad URL without the token is 401, not a 400 that skips the token check', async () => {
    assertClean(f, await f.call({ method: 'GET', url: '/api/downloads/%zz', token: false }), 401, 'ERR_UNAUTHORIZED')
    assertClean(f, await f.call({ method: 'GET', url: `/api/downloads/${'p'.repeat(300)}`, token: false }), 401, 'ERR_UNAUTHORIZED')
    assertClean(f, await f.call({ method: 'GET', url: `/api/downloads/%zz?token=${f.token}`, token: false }), 400, 'ERR_INVALID_ARGUMENT')
  })

  it('without the token every bad request is 401: the token is checked before the body is parsed', async () => {
    const json = { 'content-type': 'application/json' }
    assertClean(f, await f.call({ method: 'POST', url: '/api/files', payload: '{"path": ', headers: json, token: false }), 401, 'ERR_UNAUTHORIZED')
    assertClean(f, await f.call({ method: 'POST', url: '/api/files', payload: { path: 'x'.repeat(100 * 1024) }, token: false }), 401, 'ERR_UNAUTHORIZED')
    assertClean(f, await f.call({ method: 'POST', url: '/api/files', payload: { path: 'a\u0000b' }, token: false }), 401, 'ERR_UNAUTHORIZED')
    assertClean(f, await f.call({ method: 'GET', url: '/api/events', token: false }), 401, 'ERR_UNAUTHORIZED')
  })

  it('bad JSON, an empty JSON body and a wrong content type are 400 in the shape', async () => {
    const json = { 'content-type': 'application/json' }
    assertClean(f, await f.call({ method: 'POST', url: '/api/files', payload: '{"path": ', headers: json }), 400, 'ERR_INVALID_ARGUMENT')
    assertClean(f, await f.call({ method: 'POST', url: '/api/files', payload: '', headers: json }), 400, 'ERR_INVALID_ARGUMENT')
    assertClean(f, await f.call({ method: 'POST', url: '/api/files', payload: '{"__proto__":{"x":1},"path":"/x"}', headers: json }), 400, 'ERR_INVALID_ARGUMENT')
    assertClean(f, await f.call({ method: 'POST', url: '/api/files', payload: '<path/>', headers: { 'content-type': 'application/xml' } }), 400, 'ERR_INVALID_ARGUMENT')
    assertClean(f, await f.call({ method: 'POST', url: '/api/files', payload: 'x', headers: { 'content-type': 'not a type;;' } }), 400, 'ERR_INVALID_ARGUMENT')
  })

  it('an oversized body is 413 ERR_MESSAGE_TOO_LARGE in the shape', async () => {
    const res = await f.call({ method: 'POST', url: '/api/files', payload: { path: '/' + 'x'.repeat(100 * 1024) } })
    assertClean(f, res, 413, 'ERR_MESSAGE_TOO_LARGE', ['x'.repeat(100)])
  })

  it('an unknown route is 404 ERR_ROUTE_NOT_FOUND; a token in it is not echoed', async () => {
    const res = await f.call({ method: 'GET', url: '/api/nope/' + 'x'.repeat(5000) })
    assertClean(f, res, 404, 'ERR_ROUTE_NOT_FOUND', ['x'.repeat(300)])
    const withToken = await f.call({ method: 'GET', url: `/api/nope/${f.token}` })
    assertClean(f, withToken, 404, 'ERR_ROUTE_NOT_FOUND')
  })

  it('a token used as a route parameter is not echoed back', async () => {
    assertClean(f, await f.call({ method: 'GET', url: `/api/downloads/${f.token}` }), 404, 'ERR_JOB_NOT_FOUND')
  })

  it('an unknown body key is 400 and the message names that key', async () => {
    const res = await f.call({ method: 'POST', url: '/api/files', payload: { path: '/x', colour: true } })
    assertClean(f, res, 400, 'ERR_INVALID_ARGUMENT')
    assert.match(res.body.message, /"colour"/)
    const missing = await f.call({ method: 'POST', url: '/api/downloads', payload: {} })
    assertClean(f, missing, 400, 'ERR_INVALID_ARGUMENT')
    assert.match(missing.body.message, /"target"/)
  })

  it('NUL bytes in download output and cwd are 400', async () => {
    for (const payload of [{ target: 'x', output: '/tmp/a\u0000' }, { target: 'x', cwd: '/tmp/\u0000' }]) {
      assertClean(f, await f.call({ method: 'POST', url: '/api/downloads', payload }), 400, 'ERR_INVALID_ARGUMENT')
    }
  })
})
