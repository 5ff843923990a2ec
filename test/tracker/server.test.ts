import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { peerIdFromString } from '@libp2p/peer-id'
import { base36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'
import { startTracker } from '../../src/tracker/index.js'
import { FakeClock, announce as rawAnnounce, fileIds, get, peerIds, sign, tempDir, tracker } from './helpers.js'

/** Every announce here is signed by its peer (see `sign`); auth.test.ts covers unsigned ones. */
async function announce (url: string, body: unknown, contentType?: string, now?: () => number): Promise<{ status: number, headers: Headers, body: any }> {
  const signed = typeof body === 'object' && body !== null && !Array.isArray(body) ? await sign(body as Record<string, any>, now) : body
  return await rawAnnounce(url, signed, contentType)
}

/** Asserts the one error shape, with `error` and `code` both our code. */
function assertError (res: { status: number, body: any }, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body))
  assert.equal(res.body.code, code)
  assert.equal(res.body.error, code)
  assert.equal(res.body.statusCode, status)
  assert.equal(typeof res.body.message, 'string')
}

describe('tracker server', () => {
  let ids: string[]
  let files: string[]
  before(async () => {
    ids = await peerIds(8)
    files = await fileIds(4)
  })
  const id = (i: number): string => ids[i] as string
  const file = (i: number): string => files[i] as string

  it('describes itself on GET /', async (t) => {
    const { url } = await tracker(t, { announceIntervalSeconds: 30, version: '9.9.9' })
    const { status, body } = await get(url, '/')
    assert.equal(status, 200)
    assert.deepEqual(body, {
      name: 'shoal-tracker',
      version: '9.9.9',
      announceSignature: 'shoal-announce-v1',
      endpoints: ['GET /', 'POST /announce', 'GET /peers', 'GET /files', 'GET /files/:id/peers'],
      announceIntervalSeconds: 30,
      peerTtlSeconds: 90,
      peers: 0,
      files: 0
    })
  })

  it('registers announces and serves peers, files and providers', async (t) => {
    const { url } = await tracker(t)
    const a = await announce(url, { peerId: id(0), addrs: ['/ip4/10.0.0.1/tcp/4001'], files: [file(0), file(1)], event: 'started' })
    assert.deepEqual([a.status, a.body], [200, { interval: 60, peers: 1, held: 2 }])
    const b = await announce(url, { peerId: id(1), addrs: [`/ip4/10.0.0.2/tcp/4001/p2p/${id(1)}`], files: [file(1)] })
    assert.deepEqual(b.body, { interval: 60, peers: 2, held: 1 })

    const peers = await get(url, '/peers')
    assert.equal(peers.status, 200)
    assert.equal(peers.body.total, 2)
    assert.deepEqual(peers.body.peers.map((p: any) => [p.peerId, p.addrs, p.files, typeof p.lastSeen]), [
      [id(0), [`/ip4/10.0.0.1/tcp/4001/p2p/${id(0)}`], 2, 'number'],
      [id(1), [`/ip4/10.0.0.2/tcp/4001/p2p/${id(1)}`], 1, 'number']
    ])
    assert.deepEqual((await get(url, '/peers?limit=1&offset=1')).body.peers.map((p: any) => p.peerId), [id(1)])
    assert.deepEqual((await get(url, '/files')).body, { total: 2, offset: 0, files: [{ id: file(0), peers: 1 }, { id: file(1), peers: 2 }] })

    const holders = await get(url, `/files/${file(1)}/peers`)
    assert.equal(holders.status, 200)
    assert.equal(holders.body.id, file(1))
    assert.deepEqual(holders.body.peers.map((p: any) => p.peerId).sort(), [id(0), id(1)].sort())
    const otherSpelling = CID.parse(file(0)).toString(base36)
    assert.deepEqual((await get(url, `/files/${otherSpelling}/peers`)).body.peers.map((p: any) => p.peerId), [id(0)])
    assert.deepEqual((await get(url, `/files/${file(3)}/peers`)).body, { id: file(3), peers: [] })
  })

  it('applies files and left incrementally, replaces on started, forgets on stopped', async (t) => {
    const { url } = await tracker(t)
    const peerCid = peerIdFromString(id(0)).toCID().toString()
    await announce(url, { peerId: peerCid, addrs: [], files: [file(0), file(1)] })
    assert.equal((await announce(url, { peerId: id(0), addrs: [], files: [file(2)], left: [file(0)] })).body.held, 2)
    assert.deepEqual((await get(url, '/files')).body.files.map((f: any) => f.id).sort(), [file(1), file(2)].sort())
    assert.equal((await announce(url, { peerId: id(0), addrs: [], files: [file(3)], event: 'started' })).body.held, 1)
    assert.deepEqual((await get(url, '/files')).body.files, [{ id: file(3), peers: 1 }])
    const stopped = await announce(url, { peerId: id(0), addrs: [], event: 'stopped' })
    assert.deepEqual(stopped.body, { interval: 60, peers: 0, held: 0 })
    assert.deepEqual((await get(url, '/peers')).body.peers, [])
  })

  it('answers garbage with a 4xx JSON error and keeps serving', async (t) => {
    const { url } = await tracker(t)
    const ok = { peerId: id(2), addrs: ['/ip4/10.0.0.1/tcp/1'], files: [file(0)] }
    const cases: Array<[string, unknown, number, string, string?]> = [
      ['not JSON', '{"peerId":', 400, 'ERR_INVALID_ARGUMENT'],
      ['empty body', '', 400, 'ERR_INVALID_ARGUMENT'],
      ['a JSON array', '[1,2]', 400, 'ERR_INVALID_ARGUMENT'],
      ['a JSON string', '"hello"', 400, 'ERR_INVALID_ARGUMENT'],
      ['no peerId', { addrs: [] }, 400, 'ERR_INVALID_ARGUMENT'],
      ['peerId a number', { ...ok, peerId: 5 }, 400, 'ERR_INVALID_ARGUMENT'],
      ['addrs a string', { ...ok, addrs: '/ip4/1.2.3.4/tcp/1' }, 400, 'ERR_INVALID_ARGUMENT'],
      ['files not strings', { ...ok, files: [1, 2] }, 400, 'ERR_INVALID_ARGUMENT'],
      ['unknown event', { ...ok, event: 'paused' }, 400, 'ERR_INVALID_ARGUMENT'],
      ['9 addresses', { ...ok, addrs: Array.from({ length: 9 }, (_, i) => `/ip4/10.0.0.${i}/tcp/1`) }, 400, 'ERR_INVALID_ARGUMENT'],
      ['an over-long address', { ...ok, addrs: [`/dns4/${'a'.repeat(300)}/tcp/1`] }, 400, 'ERR_INVALID_ARGUMENT'],
      ['1001 files', { ...ok, files: Array.from({ length: 1001 }, () => file(0)) }, 400, 'ERR_INVALID_ARGUMENT'],
      ['a bad peer ID', { ...ok, peerId: 'QmNotAPeerId' }, 400, 'ERR_INVALID_ID'],
      ['a bad CID', { ...ok, files: ['bafy-not-a-cid'] }, 400, 'ERR_INVALID_ID'],
      ['a bad CID in left', { ...ok, left: ['nope'] }, 400, 'ERR_INVALID_ID'],
      ['a bad multiaddr', { ...ok, addrs: ['/ip4/300.1.1.1/tcp/1'] }, 400, 'ERR_INVALID_ARGUMENT'],
      ['an address of another peer', { ...ok, addrs: [`/ip4/10.0.0.1/tcp/1/p2p/${id(3)}`] }, 400, 'ERR_INVALID_ARGUMENT'],
      ['prototype poisoning', `{"peerId":"${id(2)}","addrs":[],"__proto__":{"x":1}}`, 400, 'ERR_INVALID_ARGUMENT'],
      ['a huge body', `{"peerId":"${'x'.repeat(400 * 1024)}"}`, 413, 'ERR_MESSAGE_TOO_LARGE'],
      ['form data', 'a=b', 415, 'ERR_INVALID_ARGUMENT', 'application/x-www-form-urlencoded']
    ]
    for (const [name, body, status, code, type] of cases) {
      await t.test(name, async () => { assertError(await announce(url, body, type), status, code) })
    }
    assertError(await get(url, '/files/not-a-cid/peers'), 400, 'ERR_INVALID_ID')
    assertError(await get(url, `/files/${'b'.repeat(200)}/peers`), 400, 'ERR_INVALID_ARGUMENT')
    assertError(await get(url, '/peers?limit=0'), 400, 'ERR_INVALID_ARGUMENT')
    assertError(await get(url, '/peers?limit=10001'), 400, 'ERR_INVALID_ARGUMENT')
    assertError(await get(url, '/files?offset=-1'), 400, 'ERR_INVALID_ARGUMENT')
    assertError(await get(url, '/nowhere'), 404, 'ERR_ROUTE_NOT_FOUND')
    await rawGarbage(url)

    assert.equal((await get(url, '/')).status, 200)
    assert.equal((await get(url, '/')).body.peers, 0, 'nothing was registered by garbage')
    assert.equal((await announce(url, ok)).status, 200)
  })

  it('rate limits a flooding peer with 429 and Retry-After', async (t) => {
    const { url } = await tracker(t, { peerRateLimit: { perSecond: 1, burst: 3 } })
    const statuses: number[] = []
    let limited
    for (let i = 0; i < 20; i++) {
      const res = await announce(url, { peerId: id(4), addrs: [], files: [file(i % 4)] })
      statuses.push(res.status)
      if (res.status === 429) limited = res
    }
    assert.ok(statuses.slice(0, 3).every(s => s === 200))
    assert.ok(statuses.filter(s => s === 429).length >= 15)
    assert.ok(limited !== undefined)
    assertError(limited, 429, 'ERR_RATE_LIMITED')
    assert.ok(Number(limited.headers.get('retry-after')) >= 1)
    assert.equal((await announce(url, { peerId: id(5), addrs: [] })).status, 200, 'other peers are unaffected')
  })

  it('bounds what one address can register, and the index as a whole', async (t) => {
    const many = await peerIds(120)
    const perIp = await tracker(t, { ipRateLimit: { perSecond: 1, burst: 40 } })
    const statuses = await Promise.all(many.map(async peerId => (await announce(perIp.url, { peerId, addrs: [] })).status))
    assert.ok(statuses.filter(s => s === 200).length <= 41)
    assert.ok(statuses.filter(s => s === 429).length >= 79)
    assert.ok((await get(perIp.url, '/')).body.peers <= 41)

    // A full index evicts the least recently announced peers rather than refusing newcomers.
    const capped = await tracker(t, { ipRateLimit: false, maxPeers: 50, maxFilesPerPeer: 2 })
    for (const peerId of many) assert.equal((await announce(capped.url, { peerId, addrs: [] })).status, 200)
    assert.equal((await get(capped.url, '/')).body.peers, 50)
    assert.deepEqual((await get(capped.url, '/peers')).body.peers.map((p: any) => p.peerId), many.slice(-50))
    assertError(await announce(capped.url, { peerId: many.at(-1), addrs: [], files: files.slice(0, 3) }), 507, 'ERR_QUOTA_EXCEEDED')
  })

  it('expires peers that stop announcing', async (t) => {
    const clock = new FakeClock()
    const { url } = await tracker(t, { now: clock.now, sweepIntervalMs: 5, announceIntervalSeconds: 1, peerTtlSeconds: 3 })
    await announce(url, { peerId: id(6), addrs: [], files: [file(0)] }, undefined, clock.now)
    clock.advance(2000)
    await announce(url, { peerId: id(7), addrs: [], files: [file(0)] }, undefined, clock.now)
    clock.advance(1000)
    await waitFor(async () => (await get(url, '/')).body.peers === 1)
    assert.deepEqual((await get(url, `/files/${file(0)}/peers`)).body.peers.map((p: any) => p.peerId), [id(7)])
  })

  it('serves its last known peers after a restart with the same data dir, and still expires them', async (t) => {
    const dataDir = await tempDir(t)
    const clock = new FakeClock()
    const first = await startTracker({ host: '127.0.0.1', port: 0, dataDir, now: clock.now })
    await announce(first.url, { peerId: id(0), addrs: ['/ip4/10.0.0.1/tcp/1'], files: [file(0), file(1)] }, undefined, clock.now)
    await announce(first.url, { peerId: id(1), addrs: [], files: [file(1)] }, undefined, clock.now)
    await announce(first.url, { peerId: id(0), addrs: ['/ip4/10.0.0.1/tcp/1'], left: [file(0)] }, undefined, clock.now)
    await first.close()

    const second = await tracker(t, { dataDir, now: clock.now })
    assert.deepEqual((await get(second.url, '/peers')).body.peers.map((p: any) => [p.peerId, p.addrs, p.files]).sort(), [
      [id(0), [`/ip4/10.0.0.1/tcp/1/p2p/${id(0)}`], 1],
      [id(1), [], 1]
    ].sort())
    assert.deepEqual((await get(second.url, `/files/${file(1)}/peers`)).body.peers.length, 2)
    assert.deepEqual((await get(second.url, `/files/${file(0)}/peers`)).body.peers, [])
    await second.close()

    clock.advance(180_000)
    const third = await tracker(t, { dataDir, now: clock.now })
    assert.equal((await get(third.url, '/')).body.peers, 0)
  })

  it('refuses bad options and an address it cannot listen on', async (t) => {
    await assert.rejects(startTracker({ port: 70000 }), { code: 'ERR_INVALID_CONFIG' })
    await assert.rejects(startTracker({ peerTtlSeconds: 10, announceIntervalSeconds: 60 }), { code: 'ERR_INVALID_CONFIG' })
    await assert.rejects(startTracker({ bogus: 1 } as any), { code: 'ERR_INVALID_CONFIG' })
    const running = await tracker(t)
    const port = Number(new URL(running.url).port)
    await assert.rejects(startTracker({ host: '127.0.0.1', port }), { code: 'ERR_INVALID_CONFIG' })
  })
})

/** Sends bytes that are not HTTP on a raw socket and waits for the server to hang up. */
async function rawGarbage (url: string): Promise<void> {
  const { hostname, port } = new URL(url)
  await new Promise<void>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => { socket.end(Buffer.from([0, 1, 2, 255, 13, 10, 13, 10, 42])) })
    socket.on('error', reject)
    socket.on('close', () => { resolve() })
    socket.resume()
  })
}

/** Polls `check` until it holds (bounded number of tries). */
async function waitFor (check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  assert.fail('condition never held')
}
