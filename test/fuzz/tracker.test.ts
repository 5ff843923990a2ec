/**
 * Fuzzing the tracker's announce validation (validate.ts) and its HTTP
 * surface through Fastify `inject()`: random, near-valid and hostile announce
 * bodies, content types, and queries on the read endpoints. Outcomes: a
 * correct answer, or a coded 4xx in the tracker's error shape — never a 500,
 * and the index keeps only canonical IDs and addresses.
 *
 * Announce bodies come from `announceBody()` (announce-body.ts) alone: when
 * announces are signed, that is the one place to adapt.
 */
import '../../src/polyfill.js'
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ERROR_CODES, ShoalError } from '../../src/errors.js'
import { canonicalAddrs, canonicalFileId, canonicalPeerId } from '../../src/tracker/validate.js'
import { resolveTrackerConfig } from '../../src/tracker/config.js'
import { createTrackerState } from '../../src/tracker/index.js'
import { buildTrackerServer } from '../../src/tracker/server.js'
import * as C from '../../src/tracker/constants.js'
import { fileIds, peerIds, sign } from '../tracker/helpers.js'
import { check, outcome } from './fuzz.js'
import { address, announceBody, junk, type Ids } from './announce-body.js'
import type { FastifyInstance } from 'fastify'

describe('fuzz: tracker validation', () => {
  let ids: Ids
  before(async () => { ids = { peers: await peerIds(3), files: await fileIds(4) } })

  it('peer and file IDs: canonical strings or ERR_INVALID_ID', async () => {
    const input = fc.oneof(junk, fc.constantFrom(...ids.peers, ...ids.files))
    await check(fc.property(input, (value) => {
      const peer = outcome(() => canonicalPeerId(value), ['ERR_INVALID_ID'])
      if (peer.ok) assert.equal(canonicalPeerId(peer.value), peer.value)
      const file = outcome(() => canonicalFileId(value), ['ERR_INVALID_ID'])
      if (file.ok) assert.equal(canonicalFileId(file.value), file.value)
    }), 300)
  })

  it('addresses: each canonical, ending with the announcing peer, or a coded error', async () => {
    const self = (): string => ids.peers[0]!
    await check(fc.property(fc.array(address(ids, ids.peers[0]!), { maxLength: 6 }), (addrs) => {
      const result = outcome(() => canonicalAddrs(self(), addrs), ['ERR_INVALID_ARGUMENT', 'ERR_INVALID_ID'])
      if (!result.ok) return
      for (const a of result.value) assert.ok(a.endsWith(`/p2p/${self()}`), a)
      // A peer may only advertise itself.
      const others = ids.peers.filter(p => p !== self())
      assert.ok(!addrs.some(a => others.some(p => a.endsWith(`/p2p/${p}`))), `accepted another peer's address: ${addrs.join(' ')}`)
    }), 300)
  })
})

describe('fuzz: tracker HTTP surface', () => {
  let ids: Ids
  let app: FastifyInstance
  const warnings: ShoalError[] = []

  before(async () => {
    ids = { peers: await peerIds(4), files: await fileIds(6) }
    // Rate limits off the IP and generous per peer, so the fuzz reaches validation (429s still count as coded).
    const config = resolveTrackerConfig({ ipRateLimit: false, peerRateLimit: { perSecond: 1000, burst: 1000 }, onWarning: (err) => { warnings.push(err) } })
    const { registry, guard } = createTrackerState(config)
    app = buildTrackerServer({ config, registry, guard, onChange: () => {} })
    await app.ready()
  })
  after(async () => { await app?.close() })

  /**
   * The body as its peer signs it (when it is an object naming a peer whose
   * key the helpers hold, and its fields can be signed at all), left
   * unsigned, or signed and then changed, which must be refused.
   */
  async function signed (body: unknown, how: 'signed' | 'unsigned' | 'tampered'): Promise<unknown> {
    if (how === 'unsigned' || typeof body !== 'object' || body === null || Array.isArray(body)) return body
    let out: Record<string, any>
    try {
      out = await sign(body as Record<string, any>)
    } catch {
      return body // fields the signing encoding cannot take: sent unsigned, refused by validation
    }
    return how === 'tampered' ? { ...out, files: [...(Array.isArray(out.files) ? out.files : []), ids.files[0]] } : out
  }

  /** A correct answer, or the tracker's error shape with a known code and a 4xx. */
  function assertAnswer (res: { statusCode: number, body: string }): any {
    const body = JSON.parse(res.body)
    if (res.statusCode < 400) return body
    assert.ok(res.statusCode < 500, `${res.statusCode}: ${res.body.slice(0, 300)}`)
    assert.ok(body.code in ERROR_CODES, res.body.slice(0, 300))
    assert.equal(body.statusCode, res.statusCode)
    assert.equal(typeof body.message, 'string')
    return body
  }

  it('POST /announce with fuzzed bodies: a correct reply or a coded 4xx', async () => {
    const how = fc.constantFrom('signed', 'signed', 'signed', 'unsigned', 'tampered')
    let accepted = 0
    await check(fc.asyncProperty(announceBody(ids), how, async (body, signing) => {
      const res = await app.inject({ method: 'POST', url: '/announce', payload: JSON.stringify(await signed(body, signing)), headers: { 'content-type': 'application/json' } })
      const answer = assertAnswer(res)
      if (res.statusCode === 200) {
        accepted++
        assert.notEqual(signing, 'unsigned', 'an unsigned announce was accepted')
        assert.notEqual(signing, 'tampered', 'an announce changed after signing was accepted')
        assert.equal(typeof answer.interval, 'number')
        assert.ok(answer.held >= 0 && answer.held <= C.MAX_FILES_PER_PEER)
      }
    }), 250)
    assert.ok(accepted > 0, 'no signed announce got past validation: the fuzz never reached the index')
    // Whatever got in is canonical.
    const peers = assertAnswer(await app.inject({ method: 'GET', url: '/peers?limit=100' }))
    for (const p of peers.peers) {
      assert.equal(canonicalPeerId(p.peerId), p.peerId)
      for (const a of p.addrs) assert.ok(a.endsWith(`/p2p/${p.peerId}`), a)
    }
    assert.deepEqual(warnings, [], 'no request failed inside the tracker')
  })

  it('raw bodies and content types on /announce: a coded 4xx', async () => {
    const contentType = fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', '', 'a/b;;')
    const payload = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('{"peerId":', '[]', 'null', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}'))
    await check(fc.asyncProperty(payload, contentType, async (text, type) => {
      const res = await app.inject({ method: 'POST', url: '/announce', payload: text, headers: type === '' ? {} : { 'content-type': type } })
      assertAnswer(res)
    }), 150)
  })

  it('read endpoints with fuzzed queries and IDs: a correct answer or a coded 4xx', async () => {
    const part = fc.oneof(fc.string({ maxLength: 20 }).map(encodeURIComponent), fc.string({ unit: 'binary', maxLength: 10 }).map(s => encodeURIComponent(s)), fc.constantFrom('%zz', '%', '..', '0', '-1', '999999999', '1e3', ...ids.files))
    const url = fc.oneof(
      fc.tuple(fc.constantFrom('/peers', '/files'), part, part).map(([p, a, b]) => `${p}?limit=${a}&offset=${b}`),
      part.map(id => `/files/${id}/peers`),
      fc.tuple(fc.constantFrom('/', '/x', '/files/', '/announce'), part).map(([p, a]) => p + a)
    )
    await check(fc.asyncProperty(url, fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'HEAD'), async (path, method) => {
      const res = await app.inject({ method: method as 'GET', url: path })
      if (method !== 'HEAD') assertAnswer(res)
      else assert.ok(res.statusCode < 500)
    }), 200)
  })
})
