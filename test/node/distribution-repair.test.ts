/**
 * Repair planning inputs: every surviving holder plans over the same peers —
 * itself included with its real free quota, never the uploader — so the
 * survivors' concurrent repairs sign one map. A holder of three is stopped
 * for good (1 s repair delay); every survivor ends on the same record bytes,
 * every chunk with 2 live holders that hold it. Real in-process nodes over
 * TCP on 127.0.0.1.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ShoalNode } from '../../src/node/node.js'
import { waitFor } from '../helpers/cli.js'
import { CHUNK, heldChain, heldChunks, startSwarm } from './distribution-nodes.js'

const CHUNKS = 32


async function heldRecord (node: ShoalNode, fileId: string): Promise<{ bytes: string, chunks: number[] }> {
  return { bytes: Buffer.from((await heldChain(node, fileId)).record.bytes).toString('hex'), chunks: heldChunks(node, fileId) }
}

test('survivors of a departed holder plan alike and sign one map; every chunk back at 2 live holders', { timeout: 120_000 }, async (t) => {
  const { dir, nodes } = await startSwarm(t, 'shoal-repair-', ['up', 'b', 'c', 'd', 'e'], () => ({ distribution: { repairDelaySeconds: 1 } }))
  const [up, b, c, d, e] = nodes as [ShoalNode, ShoalNode, ShoalNode, ShoalNode, ShoalNode]
  const file = join(dir, 'f.bin')
  await writeFile(file, randomBytes(CHUNKS * CHUNK))
  const shared = await up.share(file, { distribute: true, replicas: 2, strategy: 'weighted' })
  const id = shared.id
  assert.ok((shared.distribution?.holders[d.peerId] ?? 0) > 0, 'd holds chunks')
  const gone = d.peerId
  const started = Date.now()
  await d.stop()
  const survivors = [b, c, e]
  await waitFor(async () => {
    const records = await Promise.all(survivors.map(async (n) => await heldRecord(n, id)))
    if (new Set(records.map((r) => r.bytes)).size !== 1) return false
    const map = b.distributionView(id)
    return map.chunks.every((ch) => ch.holders.length === 2 && !ch.holders.includes(gone) &&
      ch.holders.every((h) => records[survivors.findIndex((n) => n.peerId === h)]?.chunks.includes(ch.index) === true))
  }, 60_000, 'one map on every survivor, every chunk on 2 live holders that hold it').catch(async (err: Error) => {
    const states = await Promise.all(survivors.map(async (n) => {
      const { record } = await heldChain(n, id)
      const holds = heldChunks(n, id)
      const owes = record.record.holders.flatMap((hs, i) => hs.includes(n.peerId) && !holds.includes(i) ? [i] : [])
      return `${n.peerId.slice(-6)}: v${record.record.version} by ${record.record.signer.slice(-6)} ${Buffer.from(record.bytes).toString('hex').slice(-8)}, lacks ${JSON.stringify(owes)}`
    }))
    throw new Error(`${err.message}: ${states.join('; ')}`)
  })
  const map = b.distributionView(id)
  t.diagnostic(`repaired in ${Date.now() - started} ms (1 s delay); chunks per holder ${JSON.stringify(Object.values(map.holders))}`)
  assert.ok(!Object.keys(map.holders).includes(up.peerId), 'the uploader is never a new holder')
})
