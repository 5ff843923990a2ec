/**
 * The dashboard's files are served at `/` without the token, with a strict
 * CSP and no CORS; every API route needs the token however its URL is
 * spelled (percent-encoded, doubled slashes, dot segments), and so does a
 * path that matches nothing.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { assertErrorShape, startApiFixture } from './helpers.js'

test('the dashboard is served without the token; the API, however spelled, is not', async (t) => {
  const api = await startApiFixture()
  t.after(api.close)
  const page = await api.call({ method: 'GET', url: '/', token: false })
  assert.equal(page.status, 200)
  assert.match(page.text, /<div id="app">/)
  const csp = (await api.app.inject({ method: 'GET', url: '/' })).headers['content-security-policy'] as string
  assert.match(csp, /default-src 'self'/)
  assert.match(csp, /frame-ancestors 'none'/)
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.text)?.[1]
  assert.ok(script != null, 'the page names its script')
  assert.equal((await api.call({ method: 'GET', url: script, token: false })).status, 200)

  for (const url of ['/api/node', '/%61pi/node', '/%2561pi/node', '//api/node', '/api//node', '/api/../api/node', '/assets/../api/node', '/assets/%2e%2e/api/node', '/API/node', '/no-such-page']) {
    const res = await api.call({ method: 'GET', url, token: false })
    assert.ok(res.status === 401 || res.status === 400, `${url}: ${res.status} ${res.text.slice(0, 100)}`)
    assertErrorShape(res)
    assert.ok(!res.text.includes(api.node.peerId), `${url} tells nothing about the node`)
  }
  const headers = (await api.app.inject({ method: 'OPTIONS', url: '/api/files', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } })).headers
  assert.equal(headers['access-control-allow-origin'], undefined)
})
