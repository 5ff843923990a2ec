/**
 * Weighted placement sees measured bandwidths: a node that has downloaded
 * from two peers knows how fast each sends (the peer directory's measured
 * rate), and its next weighted push gives the fast one more chunks, though
 * both announce the same free quota. Real in-process nodes over TCP on
 * 127.0.0.1; the slow peer is slow by its own upload limit.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ShoalNode } from '../../src/node/node.js'
import { CHUNK, startSwarm } from './distribution-nodes.js'

const SLOW_BYTES_PER_SEC = 128 * 1024


test('a weighted push gives more chunks to the peer measured sending faster', { timeout: 90_000 }, async (t) => {
  const { dir, nodes } = await startSwarm(t, 'shoal-bw-', ['a', 'slow', 'fast'], (name) => ({ transfer: { uploadRateLimit: name === 'slow' ? SLOW_BYTES_PER_SEC : 0 } }))
  const [a, slow, fast] = nodes as [ShoalNode, ShoalNode, ShoalNode]
  // a downloads from each: it measures slow near its limit and fast at loopback speed (≥ 4 MiB/s).
  for (const [peer, name, chunks] of [[slow, 's.bin', 8], [fast, 'f.bin', 64]] as const) {
    const path = join(dir, name)
    await writeFile(path, randomBytes(chunks * CHUNK))
    const shared = await peer.share(path)
    const started = performance.now()
    const { done } = await a.startDownload(shared.link, { output: join(dir, `got-${name}`) })
    await done
    t.diagnostic(`${name}: ${(performance.now() - started).toFixed(0)} ms`)
  }
  const peers = await a.peers()
  const rate = (n: ShoalNode): number => peers.find((p) => p.peerId === n.peerId)?.bytesDown ?? 0
  assert.ok(rate(slow) > 0 && rate(fast) > 0)

  const file = join(dir, 'pushed.bin')
  await writeFile(file, randomBytes(64 * CHUNK))
  const result = await a.share(file, { distribute: true, replicas: 1, strategy: 'weighted' })
  const onSlow = result.distribution?.holders[slow.peerId] ?? 0
  const onFast = result.distribution?.holders[fast.peerId] ?? 0
  t.diagnostic(`64 chunks, 1 copy: ${onFast} on the fast peer, ${onSlow} on the one limited to ${SLOW_BYTES_PER_SEC} B/s`)
  assert.equal(onSlow + onFast, 64)
  // Equal quotas alone split ~32/32; √(quota × bandwidth) with a bandwidth ratio of ≥ 16 gives the fast peer ~4/5 (~51).
  assert.ok(onFast >= 44, `the fast peer got ${onFast} of 64`)
})
