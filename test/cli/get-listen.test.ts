/**
 * `get` takes the network flags of `start` for the node it runs itself:
 * `--listen /ip4/127.0.0.1/tcp/0` keeps it on loopback, seen from the
 * seeder, which learns only loopback addresses of it (by default it would
 * learn every interface's).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { tempDir, runShoal, lastJson, startNode, writeRandomFile, sha256File } from '../helpers/cli.js'

interface PeersJson { peers: Array<{ peerId: string, addrs: string[] }> }

test('get --listen /ip4/127.0.0.1/tcp/0 --no-mdns keeps get\'s own node on loopback', async (t) => {
  const dir = await tempDir(t)
  const seeder = await startNode(t, join(dir, 'a'))
  await writeRandomFile(join(dir, 'f.bin'), 300_000)
  const { link } = lastJson<{ link: string }>(await runShoal(['share', join(dir, 'f.bin'), '--data-dir', seeder.dataDir, '--json']))

  const got = await runShoal(['get', link, '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--data-dir', join(dir, 'b'), '-o', join(dir, 'out.bin'), '--json'])
  assert.equal(got.code, 0, got.stderr)
  assert.equal(await sha256File(join(dir, 'out.bin')), await sha256File(join(dir, 'f.bin')))

  const peers = lastJson<PeersJson>(await runShoal(['peers', '--data-dir', seeder.dataDir, '--json'])).peers
  assert.equal(peers.length, 1, JSON.stringify(peers))
  const addrs = peers[0]?.addrs ?? []
  assert.ok(addrs.length > 0, 'the seeder learnt where get listened')
  for (const a of addrs) assert.match(a, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+/, `only loopback: ${addrs.join(' ')}`)

  // The flag reaches the config: a bad address is refused by its key.
  const bad = await runShoal(['get', link, '--listen', '/ip4/127.0.0.1/tcp/x', '--data-dir', join(dir, 'c')])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /network\.listen.*ERR_INVALID_CONFIG/)
})

test('start --announce advertises the given address instead of the listen ones', async (t) => {
  const dir = await tempDir(t)
  const node = await startNode(t, join(dir, 'a'), { args: ['--announce', '/ip4/192.0.2.99/tcp/4001'] })
  assert.deepEqual(node.addrs, [`/ip4/192.0.2.99/tcp/4001/p2p/${node.peerId}`])
})
