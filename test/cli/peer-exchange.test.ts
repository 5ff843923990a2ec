/**
 * Peer exchange, as real processes: two downloaders given only the seeder's
 * address (no DHT, tracker or mDNS) learn of each other from the seeder and
 * fetch from each other. The seeder's upload is rate limited so that neither
 * downloader can get the whole file from it before the other has chunks to trade.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { tempDir, runShoal, lastJson, startNode, writeRandomFile, sha256File, type NodeProcess, type RunResult } from '../helpers/cli.js'

interface GetJson { peers: Array<{ peerId: string, bytes: number }> }
interface PeersJson { peers: Array<{ peerId: string, via: string[] }> }

const SIZE = 12 * 1024 * 1024

test('downloaders given only the seeder find each other by peer exchange and trade chunks', async (t) => {
  const dir = await tempDir(t)
  const seeder = await startNode(t, join(dir, 's'), { env: { SHOAL_TRANSFER_UPLOAD_RATE_LIMIT: String(3 * 1024 * 1024) } })
  const a = await startNode(t, join(dir, 'a'))
  const b = await startNode(t, join(dir, 'b'))
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, SIZE)
  const { id } = lastJson<{ id: string }>(await runShoal(['share', src, '--data-dir', seeder.dataDir, '--json']))

  const get = async (node: NodeProcess, out: string): Promise<RunResult> =>
    await runShoal(['get', id, '--peer', seeder.addrs[0] as string, '-o', join(dir, out), '--data-dir', node.dataDir, '--json'])
  const [getA, getB] = await Promise.all([get(a, 'a.bin'), get(b, 'b.bin')])
  for (const r of [getA, getB]) assert.equal(r.code, 0, r.stderr)
  assert.equal(await sha256File(join(dir, 'a.bin')), await sha256File(src))
  assert.equal(await sha256File(join(dir, 'b.bin')), await sha256File(src))

  const peersOfA = lastJson<GetJson>(getA).peers
  const peersOfB = lastJson<GetJson>(getB).peers
  const fromB = peersOfA.find(p => p.peerId === b.peerId)?.bytes ?? 0
  const fromA = peersOfB.find(p => p.peerId === a.peerId)?.bytes ?? 0
  t.diagnostic(`a got ${fromB} bytes from b; b got ${fromA} bytes from a`)
  assert.ok(fromA + fromB > 0, `the downloaders traded no chunk: ${JSON.stringify({ peersOfA, peersOfB })}`)
  assert.equal(peersOfA.reduce((n, p) => n + p.bytes, 0), SIZE)
  assert.equal(peersOfB.reduce((n, p) => n + p.bytes, 0), SIZE)

  // At least one learnt of the other by peer exchange (the other may have been dialled first).
  const listed = await Promise.all([a, b].map(async (n) => lastJson<PeersJson>(await runShoal(['peers', '--data-dir', n.dataDir, '--json'])).peers))
  const viaPex = listed.flat().filter(p => p.via.includes('pex')).map(p => p.peerId)
  assert.ok(viaPex.includes(a.peerId) || viaPex.includes(b.peerId), `no peer found via pex: ${JSON.stringify(listed)}`)
  assert.ok(!viaPex.includes(seeder.peerId), 'the seeder was given, not exchanged')
})
