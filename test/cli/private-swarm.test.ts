/**
 * Private swarms from the command line, as real `shoal` processes:
 * `swarm-key new`, `start`/`get --swarm-key`, `network.swarmKey` in
 * config.yaml, bad key files refused with ERR_INVALID_SWARM_KEY, and mDNS
 * on a LAN of network namespaces (needs root, like the other mDNS test).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmod, copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadSwarmKey, parseSwarmKey } from '../../src/net/swarm-key.js'
import { lastJson, runShoal, sha256File, startNode, tempDir, waitFor, writeRandomFile } from '../helpers/cli.js'
import { assertNetnsAvailable, createNetwork } from '../helpers/netns.js'
import { shoalOn, startNodeOn, type HostNode } from '../helpers/host-nodes.js'

/** A get that should find nobody gives up after this (the default is 20 s). */
const NO_PROVIDER_ENV = { SHOAL_TRANSFER_NO_PROVIDER_TIMEOUT_MS: '3000' }
const MDNS_ONLY = { SHOAL_NETWORK_MDNS: 'true', SHOAL_NETWORK_DHT: 'false' }

/** Asserts a run failed with `code` as its one-line error, without a stack trace. */
function assertFailed (r: { code: number | null, stderr: string }, code: string): void {
  assert.notEqual(r.code, 0, r.stderr)
  assert.match(r.stderr, new RegExp(`^shoal: .*\\(${code}\\)$`, 'm'))
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace')
}

test('swarm-key new: a kubo-format key, printed or written 0600, never over an existing file unless --force', async (t) => {
  const dir = await tempDir(t)
  const printed = await runShoal(['swarm-key', 'new'])
  assert.equal(printed.code, 0, printed.stderr)
  assert.equal(parseSwarmKey(printed.stdout, 'stdout').byteLength, 32)
  const json = lastJson<{ key: string }>(await runShoal(['swarm-key', 'new', '--json']))
  assert.notDeepEqual(parseSwarmKey(json.key, 'json'), parseSwarmKey(printed.stdout, 'stdout'))

  const path = join(dir, 'swarm.key')
  const made = await runShoal(['swarm-key', 'new', '-o', path])
  assert.equal(made.code, 0, made.stderr)
  assert.equal((await stat(path)).mode & 0o777, 0o600)
  const first = await readFile(path, 'utf8')
  assert.equal((await loadSwarmKey(path)).warning, undefined)

  const again = await runShoal(['swarm-key', 'new', '-o', path])
  assertFailed(again, 'ERR_DEST_EXISTS')
  assert.equal(await readFile(path, 'utf8'), first, 'the existing key is left alone')
  const forced = await runShoal(['swarm-key', 'new', '-o', path, '--force'])
  assert.equal(forced.code, 0, forced.stderr)
  assert.notEqual(await readFile(path, 'utf8'), first)
  assert.equal((await stat(path)).mode & 0o777, 0o600)

  const help = await runShoal(['swarm-key', 'new', '--help'])
  assert.match(help.stdout, /-o, --output <file>/)
  assert.match((await runShoal(['start', '--help'])).stdout, /--swarm-key <file>/)
  assert.match((await runShoal(['get', '--help'])).stdout, /--swarm-key <file>/)
})

test('a malformed, missing or unreadable key file: ERR_INVALID_SWARM_KEY naming the file, exit non-zero', async (t) => {
  const dir = await tempDir(t)
  const bad = join(dir, 'bad.key')
  await writeFile(bad, '/key/swarm/psk/1.0.0/\n/base16/\nnot-hex\n', { mode: 0o600 })
  const started = await runShoal(['start', '--data-dir', join(dir, 'a'), '--swarm-key', bad, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'])
  assertFailed(started, 'ERR_INVALID_SWARM_KEY')
  assert.ok(started.stderr.includes(bad), started.stderr)

  // A relative flag is relative to the working directory.
  const missing = await runShoal(['get', 'bafyreigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi', '--data-dir', join(dir, 'b'), '--swarm-key', 'none.key'], { cwd: dir })
  assertFailed(missing, 'ERR_INVALID_SWARM_KEY')
  assert.ok(missing.stderr.includes(join(dir, 'none.key')), missing.stderr)

  // In config.yaml, a relative path is relative to the data dir.
  const dataDir = join(dir, 'c')
  await mkdir(dataDir)
  await writeFile(join(dataDir, 'config.yaml'), 'network:\n  swarmKey: swarm.key\n')
  await mkdir(join(dataDir, 'swarm.key'))
  const fromConfig = await runShoal(['start', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'])
  assertFailed(fromConfig, 'ERR_INVALID_SWARM_KEY')
  assert.ok(fromConfig.stderr.includes(join(dataDir, 'swarm.key')), fromConfig.stderr)
})

test('two nodes with the same key share and get; a get with another key or none fails cleanly', async (t) => {
  const dir = await tempDir(t)
  const key = join(dir, 'swarm.key')
  const otherKey = join(dir, 'other.key')
  assert.equal((await runShoal(['swarm-key', 'new', '-o', key])).code, 0)
  assert.equal((await runShoal(['swarm-key', 'new', '-o', otherKey])).code, 0)
  const seeder = await startNode(t, join(dir, 'seeder'), { args: ['--swarm-key', key] })
  const member = await startNode(t, join(dir, 'member'), { args: ['--swarm-key', key] })

  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 2 * 1024 * 1024 + 11)
  const { link } = lastJson<{ link: string }>(await runShoal(['share', src, '--data-dir', seeder.dataDir, '--json']))

  // The member's running node fetches it over the private swarm.
  const got = await runShoal(['get', link, '-o', join(dir, 'member.bin'), '--data-dir', member.dataDir, '--json'])
  assert.equal(got.code, 0, got.stderr)
  assert.deepEqual(lastJson<{ peers: Array<{ peerId: string }> }>(got).peers.map(p => p.peerId), [seeder.peerId])
  assert.equal(await sha256File(join(dir, 'member.bin')), await sha256File(src))

  // Strangers, each with a node of its own for the get: another key (left
  // readable by others, which is warned about), and no key at all.
  const readable = join(dir, 'readable-other.key')
  await copyFile(otherKey, readable)
  await chmod(readable, 0o644)
  const strangers = [['another key', ['--swarm-key', readable]], ['no key', []]] as const
  for (const [name, args] of strangers) {
    const r = await runShoal(['get', link, '-o', join(dir, `${name}.bin`), '--data-dir', join(dir, name), ...args], { env: NO_PROVIDER_ENV })
    assertFailed(r, 'ERR_NO_PROVIDERS')
    if (args.length > 0) assert.match(r.stderr, /can be read by other users \(mode 0644\)/)
    await assert.rejects(stat(join(dir, `${name}.bin`)), { code: 'ENOENT' })
  }

  // Neither stranger shows up among the seeder's peers; the member does.
  const { peers } = lastJson<{ peers: Array<{ peerId: string }> }>(await runShoal(['peers', '--data-dir', seeder.dataDir, '--json']))
  assert.deepEqual(peers.map(p => p.peerId), [member.peerId])
})

test('on a LAN, mDNS finds the members of one\'s own swarm only (hosts on one bridge)', async (t) => {
  await assertNetnsAvailable()
  const dir = await tempDir(t)
  const key = join(dir, 'swarm.key')
  const otherKey = join(dir, 'other.key')
  assert.equal((await runShoal(['swarm-key', 'new', '-o', key])).code, 0)
  assert.equal((await runShoal(['swarm-key', 'new', '-o', otherKey])).code, 0)
  const net = await createNetwork([{ name: 'open' }, { name: 'other' }, { name: 'm1' }, { name: 'm2' }])
  t.after(async () => { await net.destroy() })
  const env = (swarmKey: string): Record<string, string> => ({ ...MDNS_ONLY, SHOAL_NETWORK_SWARM_KEY: swarmKey })

  // Strangers first: when m2 starts and asks the LAN, everyone already answers.
  const nodes = {
    open: await startNodeOn(net.host('open'), join(dir, 'open'), { env: env('') }),
    other: await startNodeOn(net.host('other'), join(dir, 'other'), { env: env(otherKey) }),
    m1: await startNodeOn(net.host('m1'), join(dir, 'm1'), { env: env(key) })
  }
  const m2 = await startNodeOn(net.host('m2'), join(dir, 'm2'), { env: env(key) })
  const peersOf = async (node: HostNode): Promise<Array<{ peerId: string, connected: boolean, via: string[] }>> => {
    const r = await shoalOn(node.host, ['peers', '--data-dir', node.dataDir, '--json'])
    return r.code === 0 ? (JSON.parse(r.stdout) as { peers: Array<{ peerId: string, connected: boolean, via: string[] }> }).peers : []
  }
  await waitFor(async () => (await peersOf(m2)).some(p => p.peerId === nodes.m1.peerId && p.connected && p.via.includes('mdns')), 10_000, 'm2 to find m1 by mDNS')

  assert.deepEqual((await peersOf(m2)).map(p => p.peerId), [nodes.m1.peerId], 'm2 heard of no stranger')
  assert.deepEqual((await peersOf(nodes.m1)).map(p => p.peerId), [m2.peerId])
  for (const stranger of [nodes.open, nodes.other]) {
    const seen = (await peersOf(stranger)).map(p => p.peerId)
    assert.ok(!seen.includes(nodes.m1.peerId) && !seen.includes(m2.peerId), `${stranger.host.name} knows no member: ${seen.join(', ')}`)
  }
})
