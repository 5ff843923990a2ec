import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Socket } from 'node:net'
import { TrackerClient } from '../../src/discovery/tracker-client.js'
import type { TestContext } from 'node:test'
import { fileIds, keyOf, peerIds, tracker } from './helpers.js'

const code = (c: string) => ({ code: c })

/** A fetch that answers every request with `respond()`. */
function fakeFetch (respond: (init?: RequestInit) => Response | Promise<Response>): typeof fetch {
  return async (_url, init) => respond(init)
}

describe('TrackerClient', () => {
  let ids: string[]
  let files: string[]
  before(async () => {
    ids = await peerIds(3)
    files = await fileIds(2)
  })
  const id = (i: number): string => ids[i] as string
  const file = (i: number): string => files[i] as string

  it('announces, finds providers and lists peers against a real tracker', async (t) => {
    const { url } = await tracker(t, { announceIntervalSeconds: 20 })
    const a = new TrackerClient(url, { privateKey: keyOf(id(0)) })
    const b = new TrackerClient(`${url}/`, { privateKey: keyOf(id(1)) })
    assert.deepEqual(await a.announce({ addrs: ['/ip4/10.0.0.1/tcp/4001'], files: [file(0)], event: 'started' }), { interval: 20, peers: 1, held: 1 })
    assert.deepEqual(await b.announce({ addrs: ['/ip4/10.0.0.2/tcp/4001'], files: [file(0), file(1)] }), { interval: 20, peers: 2, held: 2 })

    const holders = await b.findPeers(file(0))
    assert.deepEqual(holders.map(p => p.peerId).sort(), [id(0), id(1)].sort())
    assert.ok(holders.every(p => p.addrs.length === 1 && (p.addrs[0] ?? '').endsWith(`/p2p/${p.peerId}`)))
    assert.deepEqual(await a.findPeers((await fileIds(1, 'unknown'))[0] ?? ''), [])

    const listed = await a.listPeers()
    assert.deepEqual(listed.map(p => [p.peerId, p.files]), [[id(0), 1], [id(1), 2]])
    assert.equal(typeof listed[0]?.lastSeen, 'number')
    assert.deepEqual((await a.listPeers({ limit: 1, offset: 1 })).map(p => p.peerId), [id(1)])

    await a.announce({ addrs: [], event: 'stopped' })
    assert.deepEqual((await b.findPeers(file(0))).map(p => p.peerId), [id(1)])
  })

  it("passes the tracker's error codes through, including rate limits", async (t) => {
    const { url } = await tracker(t, { peerRateLimit: { perSecond: 1, burst: 1 } })
    await assert.rejects(new TrackerClient(url).announce({ addrs: [] }), code('ERR_INVALID_ARGUMENT'), 'no key, no announce')
    const client = new TrackerClient(url, { privateKey: keyOf(id(2)) })
    await assert.rejects(client.announce({ addrs: ['garbage'] }), code('ERR_INVALID_ARGUMENT'))
    await assert.rejects(client.announce({ addrs: [] }), (err: any) =>
      err.code === 'ERR_RATE_LIMITED' && err.details.retryAfterSeconds >= 1)
    await assert.rejects(client.findPeers('not-a-cid'), code('ERR_INVALID_ID'))
  })

  it('follows the tracker\'s clock when its own is off, once', async (t) => {
    // The tracker's clock is 10 minutes ahead of ours: the first signed
    // timestamp is stale, the retry uses the tracker's Date header.
    const { url } = await tracker(t, { now: () => Date.now() + 600_000 })
    const client = new TrackerClient(url, { privateKey: keyOf(id(0)) })
    assert.deepEqual(await client.announce({ addrs: [] }), { interval: 60, peers: 1, held: 0 })
    assert.deepEqual(await client.announce({ addrs: [] }), { interval: 60, peers: 1, held: 0 }, 'and keeps following it')
  })

  it('reports an unreachable tracker, a timeout and an abort distinctly', async (t) => {
    const running = await tracker(t)
    const url = running.url
    await running.close()
    await assert.rejects(new TrackerClient(url).listPeers(), code('ERR_PEER_UNREACHABLE'))

    const silent = await silentServer(t)
    await assert.rejects(new TrackerClient(silent, { timeoutMs: 50 }).listPeers(), code('ERR_TIMEOUT'))
    const controller = new AbortController()
    const call = new TrackerClient(silent).findPeers(file(0), { signal: controller.signal })
    setTimeout(() => { controller.abort() }, 20)
    await assert.rejects(call, code('ERR_ABORTED'))
  })

  it('refuses answers that are not a tracker reply', async () => {
    const base = 'http://tracker.invalid'
    const answer = (body: string, status = 200, headers: Record<string, string> = {}): TrackerClient =>
      new TrackerClient(base, { fetch: fakeFetch(() => new Response(body, { status, headers })), maxResponseBytes: 1024, privateKey: keyOf(id(0)) })
    await assert.rejects(answer('<html>hello</html>').listPeers(), code('ERR_PROTOCOL'))
    await assert.rejects(answer('{"peers":"many"}').listPeers(), code('ERR_PROTOCOL'))
    await assert.rejects(answer('[]').announce({ addrs: [] }), code('ERR_PROTOCOL'))
    await assert.rejects(answer('{"interval":-1,"peers":0,"held":0}').announce({ addrs: [] }), code('ERR_PROTOCOL'))
    await assert.rejects(answer('{"error":"Teapot"}', 418).listPeers(), code('ERR_PROTOCOL'))
    await assert.rejects(answer('{}', 429, { 'retry-after': '7' }).listPeers(), (err: any) =>
      err.code === 'ERR_RATE_LIMITED' && err.details.retryAfterSeconds === 7)
    await assert.rejects(answer(JSON.stringify({ peers: [] }) + ' '.repeat(2000)).listPeers(), code('ERR_MESSAGE_TOO_LARGE'))
    await assert.rejects(answer('{}', 200, { 'content-length': '999999' }).listPeers(), code('ERR_MESSAGE_TOO_LARGE'))
    const mixed = JSON.stringify({ peers: [{ peerId: id(0), addrs: ['/ip4/1.2.3.4/tcp/1'] }, { peerId: 5 }, null, { peerId: id(1), addrs: [7] }] })
    assert.deepEqual(await answer(mixed).findPeers(file(0)), [{ peerId: id(0), addrs: ['/ip4/1.2.3.4/tcp/1'] }], 'malformed entries are dropped')
  })

  it('refuses a base URL that is not http(s)', () => {
    assert.throws(() => new TrackerClient('not a url'), code('ERR_INVALID_ARGUMENT'))
    assert.throws(() => new TrackerClient('ftp://tracker.example'), code('ERR_INVALID_ARGUMENT'))
  })
})

/** A TCP server that accepts connections and never answers; its URL. */
async function silentServer (t: TestContext): Promise<string> {
  const sockets = new Set<Socket>()
  const server = createServer(socket => { sockets.add(socket) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise(resolve => server.close(resolve))
  })
  const { port } = server.address() as { port: number }
  return `http://127.0.0.1:${port}`
}
