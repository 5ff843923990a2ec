/**
 * LAN discovery alone (no DHT, no tracker, no addresses given): nodes in
 * separate network namespaces on one bridge — separate hosts as far as the
 * network goes — find each other by mDNS within 5 s, and one gets the
 * other's file by bare ID. Needs root (the harness fails loudly without it).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { createNetwork, assertNetnsAvailable, type Host } from '../helpers/netns.js'
import { SHOAL_BIN, REPO, tempDir, collect, writeRandomFile, sha256File, waitFor, type RunResult } from '../helpers/cli.js'

const MDNS_ONLY = { SHOAL_NETWORK_MDNS: 'true', SHOAL_NETWORK_DHT: 'false' }

/** Runs `shoal …` inside a host's namespace. */
async function shoalOn (host: Host, args: string[]): Promise<RunResult> {
  return await collect(host.exec([process.execPath, SHOAL_BIN, ...args], { cwd: REPO, env: { ...process.env, ...MDNS_ONLY }, stdio: ['ignore', 'pipe', 'pipe'] }), 60_000)
}

/** Starts a node inside a host; resolves with its peer ID once it is up. */
async function startOn (host: Host, dataDir: string): Promise<string> {
  const child = host.exec([process.execPath, SHOAL_BIN, 'start', '--data-dir', dataDir, '--listen', '/ip4/0.0.0.0/tcp/0', '--api', '127.0.0.1:0', '--json'], {
    cwd: REPO, env: { ...process.env, ...MDNS_ONLY }, stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  return await new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0] as string) as { peerId: string }).peerId)
    })
    child.on('exit', (code) => { reject(new Error(`node exited ${code}`)) })
  })
}

test('mDNS only, across hosts on one bridge: discovery within 5 s and a bare-ID get', async (t) => {
  await assertNetnsAvailable()
  const dir = await tempDir(t)
  const net = await createNetwork([{ name: 'a' }, { name: 'b' }])
  t.after(async () => { await net.destroy() })
  const a = net.host('a')
  const b = net.host('b')
  const peerA = await startOn(a, join(dir, 'a'))
  const started = Date.now()
  await startOn(b, join(dir, 'b'))

  await waitFor(async () => {
    const r = await shoalOn(b, ['peers', '--data-dir', join(dir, 'b'), '--json'])
    const peers = r.code === 0 ? (JSON.parse(r.stdout) as { peers: Array<{ peerId: string, connected: boolean, via: string[] }> }).peers : []
    return peers.some(p => p.peerId === peerA && p.connected && p.via.includes('mdns'))
  }, 5_000, 'b to find a by mDNS')
  t.diagnostic(`found by mDNS ${Date.now() - started} ms after b started`)

  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 2 * 1024 * 1024 + 9)
  const shared = await shoalOn(a, ['share', src, '--data-dir', join(dir, 'a'), '--json'])
  assert.equal(shared.code, 0, shared.stderr)
  const { id } = JSON.parse(shared.stdout) as { id: string }
  const got = await shoalOn(b, ['get', id, '-o', join(dir, 'out.bin'), '--data-dir', join(dir, 'b'), '--json'])
  assert.equal(got.code, 0, got.stderr)
  assert.deepEqual((JSON.parse(got.stdout) as { peers: Array<{ peerId: string }> }).peers.map(p => p.peerId), [peerA])
  assert.equal(await sha256File(join(dir, 'out.bin')), await sha256File(src))
})
