/**
 * Discovery through the Kademlia DHT alone: 30 node processes, each
 * bootstrapped to the previous one only (no mDNS, no tracker, no links);
 * the last gets by bare ID a file the first one shares.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir, runShoal, lastJson, startNode, writeRandomFile, sha256File, waitFor, type NodeProcess } from '../helpers/cli.js'

const NODES = 30

/**
 * Whether a node's peer store on disk holds a peer tagged as a member of its
 * DHT routing table: what kad-dht reloads on start. The tag is written a moment
 * after the connection (identify, then the routing table's own check), so a
 * node stopped right after connecting may not have it yet.
 */
async function remembersDhtPeer (dataDir: string): Promise<boolean> {
  const files = await readdir(join(dataDir, 'peerstore'), { recursive: true, withFileTypes: true }).catch(() => [])
  for (const f of files) {
    if (f.isFile() && (await readFile(join(f.parentPath, f.name)).catch(() => Buffer.alloc(0))).includes('kad-peer')) return true
  }
  return false
}
// Every node here shares 127.0.0.1, so the per-IP connection cap (meant for one remote
// host) is raised; and the lookup budget is the running node's own, not the get's.
const DHT_ONLY = {
  SHOAL_NETWORK_DHT: 'true',
  SHOAL_NETWORK_MDNS: 'false',
  SHOAL_NETWORK_MAX_CONNECTIONS_PER_IP: '1000',
  SHOAL_TRANSFER_NO_PROVIDER_TIMEOUT_MS: '60000'
}

test(`DHT only: ${NODES} nodes in a chain, the last gets the first one's file by bare ID`, async (t) => {
  const dir = await tempDir(t)
  const nodes: NodeProcess[] = []
  for (let i = 0; i < NODES; i++) {
    const prev = nodes[i - 1]
    // The last node also runs mDNS, which finds nobody (no other node
    // answers it): every peer it knows must still be credited to the DHT or
    // its bootstrap peer, never to mDNS.
    const env = i === NODES - 1 ? { ...DHT_ONLY, SHOAL_NETWORK_MDNS: 'true' } : DHT_ONLY
    nodes.push(await startNode(t, join(dir, `n${i}`), { env, args: prev == null ? [] : ['--bootstrap', prev.addrs[0] as string] }))
  }
  const first = nodes[0] as NodeProcess
  const last = nodes[NODES - 1] as NodeProcess
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 2 * 1024 * 1024 + 3)
  const { id } = lastJson<{ id: string }>(await runShoal(['share', src, '--data-dir', first.dataDir, '--json']))

  const started = Date.now()
  const got = await runShoal(['get', id, '-o', join(dir, 'out.bin'), '--data-dir', last.dataDir, '--json'], { env: { SHOAL_TRANSFER_NO_PROVIDER_TIMEOUT_MS: '60000' } })
  assert.equal(got.code, 0, got.stderr)
  t.diagnostic(`found and downloaded in ${Date.now() - started} ms`)
  assert.deepEqual(lastJson<{ peers: Array<{ peerId: string }> }>(got).peers.map(p => p.peerId), [first.peerId])
  assert.equal(await sha256File(join(dir, 'out.bin')), await sha256File(src))

  const { peers } = lastJson<{ peers: Array<{ peerId: string, connected: boolean, addrs: string[], via: string[] }> }>(await runShoal(['peers', '--data-dir', last.dataDir, '--json']))
  const via = (peer: NodeProcess): string[] | undefined => peers.find(p => p.peerId === peer.peerId)?.via
  assert.ok(via(first)?.includes('dht'), 'the provider was found through the DHT')
  assert.deepEqual(via(nodes[NODES - 2] as NodeProcess), ['bootstrap'])
  const unlabelled = peers.filter(p => p.connected && p.via.length === 0)
  assert.deepEqual(unlabelled, [], 'every connected peer says how it was found, including those kad-dht dialled itself')
  const viaDht = peers.filter(p => p.via.includes('dht'))
  assert.ok(viaDht.length >= 2, `peers named by the DHT besides the provider: ${viaDht.length}`)
  assert.ok(viaDht.every(p => p.addrs.length > 0), 'known peers show where they listen')
  assert.ok(peers.every(p => !p.via.includes('mdns')), 'no peer is credited to mDNS, which found none')
})

test('a provider that left: the downloader does not wait on it, the other provider is used', async (t) => {
  const dir = await tempDir(t)
  const gone = await startNode(t, join(dir, 'gone'), { env: DHT_ONLY })
  const stays = await startNode(t, join(dir, 'stays'), { env: DHT_ONLY, args: ['--bootstrap', gone.addrs[0] as string] })
  const downloader = await startNode(t, join(dir, 'dl'), { env: DHT_ONLY, args: ['--bootstrap', stays.addrs[0] as string] })
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 1024 * 1024 + 1)
  const { id } = lastJson<{ id: string }>(await runShoal(['share', src, '--data-dir', gone.dataDir, '--json']))
  await runShoal(['share', src, '--data-dir', stays.dataDir, '--json'])
  // Killed without a goodbye: its provider records outlive it.
  gone.child.kill('SIGKILL')

  const started = Date.now()
  const got = await runShoal(['get', id, '-o', join(dir, 'out.bin'), '--data-dir', downloader.dataDir, '--json'])
  assert.equal(got.code, 0, got.stderr)
  t.diagnostic(`downloaded in ${Date.now() - started} ms with one provider gone`)
  assert.deepEqual(lastJson<{ peers: Array<{ peerId: string }> }>(got).peers.map(p => p.peerId), [stays.peerId])
  assert.equal(await sha256File(join(dir, 'out.bin')), await sha256File(src))
})

test('the routing table survives a restart: a node rejoins the DHT without its bootstrap peer', async (t) => {
  const dir = await tempDir(t)
  const seeder = await startNode(t, join(dir, 'seeder'), { env: DHT_ONLY })
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 512 * 1024)
  const { id } = lastJson<{ id: string }>(await runShoal(['share', src, '--data-dir', seeder.dataDir, '--json']))
  const once = await startNode(t, join(dir, 'rejoin'), { env: DHT_ONLY, args: ['--bootstrap', seeder.addrs[0] as string] })
  await waitFor(async () => {
    const r = await runShoal(['peers', '--data-dir', once.dataDir, '--json'])
    return r.code === 0 && lastJson<{ peers: Array<{ peerId: string, connected: boolean }> }>(r).peers.some(p => p.peerId === seeder.peerId && p.connected)
  }, 15_000, 'the first connection')
  await waitFor(async () => await remembersDhtPeer(once.dataDir), 30_000, 'the seeder in the routing table on disk')
  await once.stop()

  // Same data dir, no --bootstrap, no link, no tracker, no mDNS: only what it remembers.
  const again = await startNode(t, join(dir, 'rejoin'), { env: DHT_ONLY })
  const got = await runShoal(['get', id, '-o', join(dir, 'out.bin'), '--data-dir', again.dataDir, '--json'], { env: { SHOAL_TRANSFER_NO_PROVIDER_TIMEOUT_MS: '30000' } })
  assert.equal(got.code, 0, got.stderr)
  assert.equal(await sha256File(join(dir, 'out.bin')), await sha256File(src))
})
