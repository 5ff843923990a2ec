/**
 * The node side: the announcer signs with the node's key, gets through its
 * own lane when a neighbour behind the same address drains the address's
 * ceiling, reports failures to `onError`, and signs its goodbye.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { TrackerAnnouncer } from '../../src/discovery/tracker-announcer.js'
import { announce, fileIds, get, tracker } from './helpers.js'
import type { TestContext } from 'node:test'

async function waitFor (check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

async function node (t: TestContext, url: string, files: string[], errors: unknown[] = []): Promise<{ peerId: string, announcer: TrackerAnnouncer }> {
  const privateKey = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  const announcer = new TrackerAnnouncer({
    trackers: [url],
    privateKey,
    addrs: () => [`/ip4/10.0.0.9/tcp/4001/p2p/${peerId}`],
    heldFiles: () => files,
    onError: (_tracker, err) => { errors.push(err) }
  })
  t.after(async () => { await announcer.stop() })
  return { peerId, announcer }
}

describe('TrackerAnnouncer', () => {
  it('announces signed, keeps announcing through a drained address ceiling, and signs its goodbye', async (t) => {
    const [file = ''] = await fileIds(1, 'announcer')
    // An address ceiling of 3 requests that hardly refills: the neighbour below drains it.
    const { url } = await tracker(t, { announceIntervalSeconds: 1, ipRateLimit: { perSecond: 0.001, burst: 3 } })
    const errors: unknown[] = []
    const { peerId, announcer } = await node(t, url, [file], errors)
    announcer.start()
    const holders = async (): Promise<string[]> => (await get(url, `/files/${file}/peers`)).body.peers.map((p: any) => p.peerId)
    await waitFor(async () => (await holders()).includes(peerId), 'the node to be listed')

    let drained = 0
    while ((await announce(url, { peerId: 'garbage', addrs: [] })).status !== 429) drained++
    t.diagnostic(`neighbour drained the ceiling after ${drained} requests`)
    const lastSeen = async (): Promise<number> => (await get(url, '/peers')).body.peers.find((p: any) => p.peerId === peerId)?.lastSeen ?? 0
    const seen = await lastSeen()
    await waitFor(async () => await lastSeen() > seen,
      're-announces through the peer\'s own lane', 5_000)
    assert.deepEqual(errors, [])

    await announcer.stop()
    assert.deepEqual(await holders(), [], 'stopped, signed, removed it')
  })

  it('reports a tracker that is down to onError', async (t) => {
    const running = await tracker(t)
    await running.close()
    const errors: unknown[] = []
    const { announcer } = await node(t, running.url, [], errors)
    announcer.start()
    await waitFor(async () => errors.length > 0, 'onError')
    assert.equal((errors[0] as { code?: string }).code, 'ERR_PEER_UNREACHABLE')
  })
})
