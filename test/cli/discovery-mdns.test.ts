/**
 * LAN discovery alone (no DHT, no tracker, no addresses given): nodes in
 * separate network namespaces on one bridge — separate hosts as far as the
 * network goes — find each other by mDNS within 5 s, and one gets the
 * other's file by bare ID. Needs root (the harness fails loudly without it).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { createNetwork, assertNetnsAvailable } from '../helpers/netns.js'
import { tempDir, writeRandomFile, sha256File, waitFor } from '../helpers/cli.js'
import { shoalOn, startNodeOn } from '../helpers/host-nodes.js'

const MDNS_ONLY = { SHOAL_NETWORK_MDNS: 'true', SHOAL_NETWORK_DHT: 'false' }

test('mDNS only, across hosts on one bridge: discovery within 5 s and a bare-ID get', async (t) => {
  await assertNetnsAvailable()
  const dir = await tempDir(t)
  const net = await createNetwork([{ name: 'a' }, { name: 'b' }])
  t.after(async () => { await net.destroy() })
  const a = net.host('a')
  const b = net.host('b')
  const peerA = (await startNodeOn(a, join(dir, 'a'), { env: MDNS_ONLY })).peerId
  const started = Date.now()
  await startNodeOn(b, join(dir, 'b'), { env: MDNS_ONLY })

  await waitFor(async () => {
    const r = await shoalOn(b, ['peers', '--data-dir', join(dir, 'b'), '--json'], MDNS_ONLY)
    const peers = r.code === 0 ? (JSON.parse(r.stdout) as { peers: Array<{ peerId: string, connected: boolean, via: string[] }> }).peers : []
    return peers.some(p => p.peerId === peerA && p.connected && p.via.includes('mdns'))
  }, 5_000, 'b to find a by mDNS')
  t.diagnostic(`found by mDNS ${Date.now() - started} ms after b started`)

  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 2 * 1024 * 1024 + 9)
  const shared = await shoalOn(a, ['share', src, '--data-dir', join(dir, 'a'), '--json'], MDNS_ONLY)
  assert.equal(shared.code, 0, shared.stderr)
  const { id } = JSON.parse(shared.stdout) as { id: string }
  const got = await shoalOn(b, ['get', id, '-o', join(dir, 'out.bin'), '--data-dir', join(dir, 'b'), '--json'], MDNS_ONLY)
  assert.equal(got.code, 0, got.stderr)
  assert.deepEqual((JSON.parse(got.stdout) as { peers: Array<{ peerId: string }> }).peers.map(p => p.peerId), [peerA])
  assert.equal(await sha256File(join(dir, 'out.bin')), await sha256File(src))
})
