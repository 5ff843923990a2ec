/**
 * Private swarms over real libp2p on 127.0.0.1: nodes with the same swarm
 * key connect, share a DHT and download; a node with another key, or with
 * none, cannot connect either way (and fails fast), never enters the DHT's
 * routing table or peer list, and its file cannot be fetched.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import { multiaddr } from '@multiformats/multiaddr'
import { validateConfig, type ShoalConfig } from '../../src/config/index.js'
import { newSwarmKey, writeSwarmKeyFile } from '../../src/net/swarm-key.js'
import { LOOPBACK_CONFIG, startInProcessNode } from '../helpers/in-process-nodes.js'
import { sha256File, tempDir, waitFor, writeRandomFile } from '../helpers/cli.js'
import type { ShoalNode } from '../../src/node/node.js'

/**
 * A refused dial must end within this: a wrong key fails at the key
 * confirmation, one round trip in; with a node without a key it depends on
 * whether its multistream reader takes our random nonce for a short or a
 * long message: refused at once, or at the 2 s PSK handshake timeout.
 * Margin for a shared 2-core machine.
 */
const FAIL_FAST_MS = 4_000
/** Wrong keys are detected, not waited out: every such dial is quick. */
const WRONG_KEY_FAIL_MS = 1_000
/**
 * Dials tried each way: without key confirmation a wrong-key handshake hangs
 * on some dials and not others (it depends on the garbage bytes), so several.
 */
const DIALS_PER_DIRECTION = 4
/** Provider and manifest lookups that are expected to find nothing. */
const NOT_FOUND_TIMEOUT_MS = 3_000

function dhtConfig (swarmKey: string, bootstrap: string[] = []): ShoalConfig {
  return validateConfig({
    network: { ...LOOPBACK_CONFIG.network, dht: true, swarmKey, bootstrap },
    transfer: { noProviderTimeoutMs: NOT_FOUND_TIMEOUT_MS }
  }, 'test')
}

/** Routing table size of a node's DHT (kad-dht exposes `size` on its table). */
function dhtSize (node: ShoalNode): number {
  return (node.libp2p.services.dht as unknown as { routingTable: { size: number } }).routingTable.size
}

/** Dials `to` from `from`, expecting a refusal; returns how long it took. */
async function refusedDialMs (from: ShoalNode, to: ShoalNode): Promise<number> {
  const started = performance.now()
  await assert.rejects(from.libp2p.dial(multiaddr(to.addrs[0] as string), { signal: AbortSignal.timeout(30_000) }), `${from.peerId} → ${to.peerId} must fail`)
  return performance.now() - started
}

/** The providers a node's DHT finds for `fileId` within NOT_FOUND_TIMEOUT_MS. */
async function providersOf (node: ShoalNode, fileId: string): Promise<string[]> {
  const signal = AbortSignal.timeout(NOT_FOUND_TIMEOUT_MS)
  const found: string[] = []
  try {
    for await (const p of node.libp2p.contentRouting.findProviders(CID.parse(fileId), { signal })) found.push(p.id.toString())
  } catch (err) {
    // Running out of time is how a lookup that finds nobody may end.
    if (!signal.aborted) throw err
  }
  return found
}

test('private swarms: same key connects, shares a DHT and downloads; another key or none is kept out', async (t) => {
  const dir = await tempDir(t)
  const k1 = join(dir, 'one.key')
  const k2 = join(dir, 'two.key')
  await writeSwarmKeyFile(k1, newSwarmKey())
  await writeSwarmKeyFile(k2, newSwarmKey())

  const a = await startInProcessNode(t, dir, 'a', dhtConfig(k1))
  const via = [a.addrs[0] as string]
  const b = await startInProcessNode(t, dir, 'b', dhtConfig(k1, via))
  const other = await startInProcessNode(t, dir, 'other', dhtConfig(k2, via))
  const open = await startInProcessNode(t, dir, 'open', dhtConfig('', via))

  // Same key: the bootstrap connection holds and both DHTs take the other in.
  await waitFor(() => dhtSize(a) === 1 && dhtSize(b) === 1, 15_000, 'a and b in each other\'s routing table')

  // Other key, no key: every dial fails, both ways, and fast.
  const times: Record<string, number[]> = {}
  for (const [name, stranger] of [['other key', other], ['no key', open]] as const) {
    for (let i = 0; i < DIALS_PER_DIRECTION; i++) {
      (times[`${name} → member`] ??= []).push(Math.round(await refusedDialMs(stranger, a)))
      ;(times[`member → ${name}`] ??= []).push(Math.round(await refusedDialMs(a, stranger)))
    }
  }
  t.diagnostic(`refused dials (ms): ${JSON.stringify(times)}`)
  for (const [what, ms] of Object.entries(times)) {
    const bound = what.includes('other key') ? WRONG_KEY_FAIL_MS : FAIL_FAST_MS
    assert.ok(Math.max(...ms) < bound, `${what}: ${ms.join(', ')} ms, bound ${bound} ms`)
  }

  // Their bootstrap dials failed too: nobody lists them, they list nobody.
  assert.deepEqual(a.libp2p.getPeers().map(String), [b.peerId])
  assert.deepEqual(b.libp2p.getPeers().map(String), [a.peerId])
  assert.deepEqual(other.libp2p.getPeers(), [])
  assert.deepEqual(open.libp2p.getPeers(), [])
  assert.equal(dhtSize(a), 1, 'the member\'s DHT holds only the other member')
  assert.equal(dhtSize(other), 0)
  assert.equal(dhtSize(open), 0)

  // A stranger's file: its provider record reaches nobody, and even its
  // address in a link does not let a member fetch it.
  const strangerFile = join(dir, 'stranger.bin')
  await writeRandomFile(strangerFile, 300 * 1024)
  const strangers = await other.share(strangerFile)
  assert.deepEqual(await providersOf(b, strangers.id), [])
  await assert.rejects(b.startDownload(strangers.link, { output: join(dir, 'never.bin') }), { code: 'ERR_NO_PROVIDERS' })

  // A member's file: found through the DHT alone (no link, no hint), fetched and verified.
  const src = join(dir, 'member.bin')
  await writeRandomFile(src, 3 * 1024 * 1024 + 7)
  const shared = await a.share(src)
  const { done } = await b.startDownload(shared.id, { output: join(dir, 'copy.bin') })
  await done
  assert.equal(await sha256File(join(dir, 'copy.bin')), await sha256File(src))
})
