/**
 * Distribution end to end through real `shoal` processes on 127.0.0.1:
 * `share --distribute` on a running node pushes every chunk to N distinct
 * peers (checked with `shoal map --json` on the uploader and a holder, and
 * by counting the chunk files on each holder), the file stays downloadable
 * and verified once the uploader is gone, and a refusal leaves nothing.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readdir, readFile } from 'node:fs/promises'
import { collect, lastJson, runShoal, sha256File, SHOAL_BIN, spawnShoal, startNode, tempDir, waitFor, writeRandomFile, type NodeProcess } from '../helpers/cli.js'
import { chunkFiles } from '../helpers/distribution.js'
import { runInPty } from '../helpers/pty.js'
import type { TestContext } from 'node:test'
import { storageLine } from '../../src/cli/commands/files.js'

/** Small chunks so a 2 MiB file has 32 of them. */
export const DIST_ENV = { SHOAL_CHUNKING_CHUNK_SIZE: String(64 * 1024) }
const FILE_BYTES = 2 * 1024 * 1024

interface MapJson { id: string, replicas: number, holders: Record<string, number>, chunks: Array<{ index: number, holders: string[] }> }
interface ShareJson { id: string, link: string, size: number, chunks: number, distribution?: { replicas: number, strategy: string, holders: Record<string, number> } }

/**
 * Starts `count` nodes, each bootstrapped to every one before it: holders
 * forward chunks to each other (pipelined pushes), so each must be able to
 * dial the others (the DHT or a tracker does this outside tests).
 */
export async function startSwarm (t: TestContext, dir: string, count: number, env: Record<string, string> = {}): Promise<NodeProcess[]> {
  const nodes: NodeProcess[] = []
  for (let i = 0; i < count; i++) {
    const args = nodes.flatMap((n) => ['--bootstrap', n.addrs[0] as string])
    nodes.push(await startNode(t, join(dir, `n${i}`), { env: { ...DIST_ENV, ...env }, args }))
  }
  for (const node of nodes) await waitForPeers(node, count - 1)
  return nodes
}

/** Waits until `node` is connected to at least `n` peers. */
export async function waitForPeers (node: NodeProcess, n: number): Promise<void> {
  await waitFor(async () => {
    const r = await runShoal(['peers', '--json', '--data-dir', node.dataDir])
    return r.code === 0 && lastJson<{ peers: Array<{ connected: boolean }> }>(r).peers.filter((p) => p.connected).length >= n
  }, 30_000, `${n} peers connected`)
}

test('share --distribute: every chunk on N distinct peers, downloadable verified without the uploader', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t)
  const [up, b, c] = await startSwarm(t, dir, 3)
  const file = join(dir, 'big.bin')
  await writeRandomFile(file, FILE_BYTES)
  const started = Date.now()
  const share = await runShoal(['share', file, '--distribute', '--replicas', '2', '--json', '--data-dir', up!.dataDir])
  assert.equal(share.code, 0, share.stderr)
  const r = lastJson<ShareJson>(share)
  console.log(`# distributed ${FILE_BYTES} bytes (${r.chunks} chunks × 2) in ${Date.now() - started} ms`)
  assert.deepEqual(Object.keys(r).sort(), ['chunks', 'distribution', 'id', 'link', 'size'])
  assert.equal(r.size, FILE_BYTES)
  assert.equal(r.chunks, 32)
  assert.equal(r.distribution?.replicas, 2)
  assert.equal(r.distribution?.strategy, 'round-robin')
  assert.equal(Object.values(r.distribution?.holders ?? {}).reduce((a, n) => a + n, 0), 64)

  for (const node of [up!, b!]) {
    const map = lastJson<MapJson>(await runShoal(['map', r.id, '--json', '--data-dir', node.dataDir]))
    assert.equal(map.id, r.id)
    assert.equal(map.replicas, 2)
    assert.equal(map.chunks.length, 32)
    for (const chunk of map.chunks) assert.equal(new Set(chunk.holders).size, 2, `chunk ${chunk.index} on 2 distinct peers`)
    assert.deepEqual(map.holders, r.distribution?.holders)
  }
  // Each copy pushed is a file in a holder's chunks/; the uploader keeps its share in the file it shares.
  const pushed = (r.distribution?.holders[b!.peerId] ?? 0) + (r.distribution?.holders[c!.peerId] ?? 0)
  assert.equal(await chunkFiles(b!.dataDir) + await chunkFiles(c!.dataDir), pushed)
  const human = await runShoal(['map', r.id, '--data-dir', b!.dataDir])
  assert.match(human.stdout, /every chunk has its copies/)
  // On a terminal a progress bar runs while the copies are made (the node's events), erased at the end.
  const second = join(dir, 'second.bin')
  await writeRandomFile(second, 16 * 1024 * 1024)
  const pty = await runInPty([process.execPath, SHOAL_BIN, 'share', second, '--distribute', '--data-dir', up!.dataDir], { columns: 120 })
  assert.equal(pty.code, 0, pty.output)
  assert.match(pty.output, /distributing \[[#-]{30}\] +\d+% +\d+\/512 copies/)
  assert.match(pty.output, /distributed: 2 copies of every chunk \(round-robin\) on 3 peers/)

  await up!.stop()
  const d = await startNode(t, join(dir, 'n3'), { env: DIST_ENV, args: ['--bootstrap', b!.addrs[0] as string, '--bootstrap', c!.addrs[0] as string] })
  const out = join(dir, 'got.bin')
  const get = await runShoal(['get', r.id, '-o', out, '--json', '--data-dir', d.dataDir], { timeoutMs: 30_000 })
  assert.equal(get.code, 0, get.stderr)
  assert.equal(await sha256File(out), await sha256File(file))
})

test('share --distribute with one peer: ERR_DISTRIBUTION_REQUIRED, exit 3, nothing left on any node', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t)
  const [up, b] = await startSwarm(t, dir, 2)
  const file = join(dir, 'big.bin')
  await writeRandomFile(file, FILE_BYTES)
  const r = await runShoal(['share', file, '--distribute', '--data-dir', up!.dataDir])
  assert.equal(r.code, 3, r.stderr)
  const lines = r.stderr.trim().split('\n')
  assert.equal(lines.length, 1, r.stderr)
  assert.match(lines[0] as string, /ERR_DISTRIBUTION_REQUIRED/)
  const ls = lastJson<{ files: unknown[] }>(await runShoal(['ls', '--json', '--data-dir', up!.dataDir]))
  assert.deepEqual(ls.files, [], 'no catalog row')
  assert.equal(await chunkFiles(up!.dataDir) + await chunkFiles(b!.dataDir), 0, 'no chunk pushed')
})

test('share --replicas 0, -1, 99 and a bad --strategy are usage errors (exit 2), nothing shared', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'f.bin')
  await writeRandomFile(file, 1024)
  const data = join(dir, 'data')
  for (const n of ['0', '-1', '99', 'x']) {
    const r = await runShoal(['share', file, '--replicas', n, '--data-dir', data])
    assert.equal(r.code, 2, `--replicas ${n}: ${r.stderr}`)
    assert.match(r.stderr, /replicas/)
  }
  const bad = await runShoal(['share', file, '--strategy', 'random', '--data-dir', data])
  assert.equal(bad.code, 2, bad.stderr)
  const ls = lastJson<{ files: unknown[] }>(await runShoal(['ls', '--json', '--data-dir', data]))
  assert.deepEqual(ls.files, [])
})

test('repair: a holder stopped for good is replaced; every chunk back at 2 live holders, download verifies', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t)
  const nodes = await startSwarm(t, dir, 4, { SHOAL_DISTRIBUTION_REPAIR_DELAY_SECONDS: '2' })
  const [up] = nodes
  const file = join(dir, 'big.bin')
  await writeRandomFile(file, FILE_BYTES)
  const r = lastJson<ShareJson>(await runShoal(['share', file, '--distribute', '--replicas', '2', '--json', '--data-dir', up!.dataDir]))
  // The remote holder with the most chunks goes away for good.
  const [goneId] = Object.entries(r.distribution?.holders ?? {}).filter(([p]) => p !== up!.peerId).sort((a, b) => b[1] - a[1])[0] ?? []
  const gone = nodes.find((n) => n.peerId === goneId) as NodeProcess
  const survivors = nodes.filter((n) => n !== gone)
  await gone.stop()
  const stopped = Date.now()
  let map: MapJson | undefined
  await waitFor(async () => {
    const m = await runShoal(['map', r.id, '--json', '--data-dir', up!.dataDir])
    if (m.code !== 0) return false
    map = lastJson<MapJson>(m)
    return map.chunks.every((c) => new Set(c.holders).size === 2 && !c.holders.includes(goneId as string))
  }, 30_000, 'every chunk back at 2 live holders')
  console.log(`# repaired ${r.distribution?.holders[goneId as string]} chunks within ${Date.now() - stopped} ms of the holder stopping (delay 2 s)`)
  const live = new Set(survivors.map((n) => n.peerId))
  for (const chunk of map!.chunks) for (const h of chunk.holders) assert.ok(live.has(h), `chunk ${chunk.index} on live ${h}`)
  // A holder's map agrees with the uploader's.
  const other = survivors.find((n) => n !== up && (map!.holders[n.peerId] ?? 0) > 0) as NodeProcess
  await waitFor(async () => {
    const m = lastJson<MapJson>(await runShoal(['map', r.id, '--json', '--data-dir', other.dataDir]))
    return JSON.stringify(m.chunks) === JSON.stringify(map!.chunks)
  }, 10_000, 'the holder has the repaired map')

  await up!.stop()
  const holders = survivors.filter((n) => n !== up)
  const d = await startNode(t, join(dir, 'fresh'), { env: DIST_ENV, args: holders.flatMap((n) => ['--bootstrap', n.addrs[0] as string]) })
  const out = join(dir, 'got.bin')
  const get = await runShoal(['get', r.id, '-o', out, '--json', '--data-dir', d.dataDir], { timeoutMs: 30_000 })
  assert.equal(get.code, 0, get.stderr)
  assert.equal(await sha256File(out), await sha256File(file))
})

test('uploader killed (SIGKILL) mid-distribution resumes on restart: same map, each copy stored once; rm --everywhere frees the holders', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t)
  const [b, c, d] = await startSwarm(t, dir, 3)
  const upDir = join(dir, 'up')
  const bootstrap = [b!, c!, d!].flatMap((n) => ['--bootstrap', n.addrs[0] as string])
  const first = await startNode(t, upDir, { env: DIST_ENV, args: bootstrap })
  await waitForPeers(first, 3)
  const file = join(dir, 'big.bin')
  await writeRandomFile(file, 32 * 1024 * 1024)
  const share = spawnShoal(['share', file, '--distribute', '--replicas', '2', '--json', '--data-dir', upDir])
  const shareDone = collect(share, 60_000)
  // The record is written before anything is pushed under it: kill the uploader as soon as copies arrive.
  await waitFor(async () => (await Promise.all([b!, c!, d!].map(async (n) => await chunkFiles(n.dataDir)))).reduce((a, n) => a + n, 0) >= 50, 30_000, 'first copies')
  first.child.kill('SIGKILL')
  await shareDone
  const [recordName] = await readdir(join(upDir, 'distributions'))
  const id = (recordName as string).replace(/\.json$/, '')
  const before = JSON.parse(await readFile(join(upDir, 'distributions', recordName as string), 'utf8')) as { done: boolean }
  assert.equal(before.done, false, 'killed mid-push')
  const partial = (await Promise.all([b!, c!, d!].map(async (n) => await chunkFiles(n.dataDir)))).reduce((a, n) => a + n, 0)

  const again = await startNode(t, upDir, { env: DIST_ENV, args: bootstrap })
  await waitFor(async () => (JSON.parse(await readFile(join(upDir, 'distributions', recordName as string), 'utf8')) as { done: boolean }).done, 60_000, 'the push resumed and finished')
  const map = lastJson<MapJson>(await runShoal(['map', id, '--json', '--data-dir', upDir]))
  console.log(`# resumed after SIGKILL with ${partial} copies already on holders; finished with ${Object.values(map.holders).reduce((a, n) => a + n, 0)} copies`)
  for (const chunk of map.chunks) assert.equal(new Set(chunk.holders).size, 2)
  const holderMap = lastJson<MapJson & { version?: number }>(await runShoal(['map', id, '--json', '--data-dir', b!.dataDir]))
  assert.deepEqual(holderMap.chunks, map.chunks, 'the resumed push kept the persisted map')
  for (const n of [b!, c!, d!]) assert.equal(await chunkFiles(n.dataDir), map.holders[n.peerId] ?? 0, `${n.peerId} stores each of its copies once`)
  const ls = lastJson<{ storage: { usedBytes: number, quotaBytes: number, heldFiles: number } }>(await runShoal(['ls', '--json', '--data-dir', b!.dataDir]))
  assert.deepEqual(ls.storage, { usedBytes: ls.storage.usedBytes, quotaBytes: 10 * 2 ** 30, heldFiles: 1 })
  assert.ok(ls.storage.usedBytes > 0, 'the holder counts the chunks it keeps')
  assert.match(storageLine(ls.storage), /^chunks held for others: \d+(\.\d)? MiB of 10\.0 GiB quota \(1 file\)$/)

  const rm = await runShoal(['rm', id, '--everywhere', '--json', '--data-dir', again.dataDir])
  assert.equal(rm.code, 0, rm.stderr)
  assert.equal(lastJson<{ released: { holders: number, released: number } }>(rm).released.released, 3)
  for (const n of [b!, c!, d!]) assert.equal(await chunkFiles(n.dataDir), 0, 'released')
  const notUploader = await runShoal(['rm', id, '--everywhere', '--data-dir', b!.dataDir])
  assert.notEqual(notUploader.code, 0)
})
