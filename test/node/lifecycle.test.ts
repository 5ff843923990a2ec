/**
 * The node's lifetime bounds its background work: whatever it started on its
 * own (tracker bootstrap, announces, DHT provides, discovery dials) ends when
 * `stop()` returns, not when some timeout far later fires.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Socket } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ShoalNode } from '../../src/node/node.js'
import { validateConfig } from '../../src/config/index.js'
import { waitFor } from '../helpers/cli.js'

/**
 * A "tracker" that accepts connections and never answers: every request to it
 * hangs. `open` holds the sockets that carried a request and are still open
 * (fetch may open spare connections that never carry one).
 */
async function silentServer (t: import('node:test').TestContext): Promise<{ url: string, open: Set<Socket>, seen: () => number }> {
  const open = new Set<Socket>()
  let seen = 0
  const server = createServer((socket) => {
    socket.once('data', () => { seen++; open.add(socket) })
    socket.on('close', () => { open.delete(socket) })
    socket.on('error', () => { socket.destroy() })
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  t.after(() => { for (const s of open) s.destroy(); server.close() })
  const port = (server.address() as { port: number }).port
  return { url: `http://127.0.0.1:${port}`, open, seen: () => seen }
}

test('stop() ends the requests a node made on its own to a tracker that never answers', async (t) => {
  const tracker = await silentServer(t)
  const dir = await mkdtemp(join(tmpdir(), 'shoal-lifecycle-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const config = validateConfig({ network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, trackers: [tracker.url] } }, 'test')
  const node = new ShoalNode({ dataDir: join(dir, 'n'), config })
  await node.start()
  // The bootstrap lookup and the first announce are both waiting on the silent tracker.
  await waitFor(() => tracker.seen() >= 2, 10_000, 'requests to the tracker')
  const before = Date.now()
  await node.stop()
  await waitFor(() => tracker.open.size === 0, 3_000, 'every tracker request to end with the node')
  assert.ok(Date.now() - before < 5_000, `stop took ${Date.now() - before} ms`)
})

test('start() twice starts one node; stop() twice is harmless; a stopped node starts again', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-lifecycle-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const config = validateConfig({ network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false } }, 'test')
  const node = new ShoalNode({ dataDir: join(dir, 'n'), config })
  // Concurrent starts join one: one identity written, one host listening.
  await Promise.all([node.start(), node.start()])
  const first = node.libp2p
  await node.start()
  assert.equal(node.libp2p, first)
  assert.equal(first.getMultiaddrs().length, 1)
  await node.stop()
  await node.stop()
  await node.start()
  assert.notEqual(node.libp2p, first)
  assert.ok(node.addrs.length > 0)
  await node.stop()
})
