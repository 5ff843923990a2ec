/**
 * Issue 12, items 2, 3 and 8, with the commands the issue quoted, as real
 * processes: `shoal status --json` during a limited transfer shows the peer's
 * real rate, and a cancelled job no speed, ETA or rate, its peer idle (not
 * gone); with two local copies and the seeder gone, `shoal get ID` elsewhere
 * copies one, and re-running it is a success; `get --download-limit` through
 * a running node paces that download, and flags a running node cannot apply
 * are named in a warning. Time bounds are lower bounds or generous.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { mkdir, readdir } from 'node:fs/promises'
import { tempDir, runShoal, spawnShoal, collect, lastJson, startNode, writeRandomFile, sha256File, waitFor } from '../helpers/cli.js'
import type { JobSnapshot } from '../../src/transfer/download-job.js'

const MIB = 1024 * 1024
/** A bucket starts with 250 ms worth of its rate, and the first 1 MiB chunk may overdraw it: at 1 MiB/s, 1.25 s ahead. */
const HEAD_START_S = 1.25
/** The rate shown may be off the real one by this share (the machine is shared). */
const TOLERANCE = 0.3

async function seed (t: Parameters<typeof tempDir>[0], dir: string, size: number): Promise<{ id: string, addr: string, src: string, stop: () => Promise<void> }> {
  const seeder = await startNode(t, join(dir, 's'))
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, size)
  const share = await runShoal(['share', src, '--data-dir', seeder.dataDir, '--json'])
  assert.equal(share.code, 0, share.stderr)
  return { id: lastJson<{ id: string }>(share).id, addr: seeder.addrs[0] as string, src, stop: seeder.stop }
}

async function status (dataDir: string): Promise<JobSnapshot[]> {
  const r = await runShoal(['status', '--data-dir', dataDir, '--json'])
  assert.equal(r.code, 0, r.stderr)
  return lastJson<{ downloads: JobSnapshot[] }>(r).downloads
}

test('status --json during a limited download shows the peer\'s real rate; after cancel: speed 0, no ETA, the peer idle with rate 0', async (t) => {
  const dir = await tempDir(t)
  const { id, addr } = await seed(t, dir, 96 * MIB)
  const node = await startNode(t, join(dir, 'd'), { args: ['--download-limit', '8M'] })
  const get = collect(spawnShoal(['get', id, '--peer', addr, '-o', join(dir, 'out.bin'), '--data-dir', node.dataDir, '--json']))
  let first: { at: number, bytes: number } | undefined
  let seen: { job: JobSnapshot, real: number } | undefined
  await waitFor(async () => {
    const [job] = await status(node.dataDir)
    if (job == null || job.bytesDone === 0) return false
    const now = { at: performance.now(), bytes: job.bytesDone }
    first ??= now
    if (now.at - first.at < 3000) return false
    seen = { job, real: (now.bytes - first.bytes) * 1000 / (now.at - first.at) }
    return true
  }, 60_000, 'three seconds of transfer')
  const { job, real } = seen as { job: JobSnapshot, real: number }
  const peer = job.peers[0]
  t.diagnostic(`status: peer ${(peer?.rate ?? 0) / MIB} MiB/s (${peer?.state}), job ${job.speed / MIB} MiB/s; real ${real / MIB} MiB/s`)
  assert.equal(job.state, 'running')
  assert.equal(peer?.state, 'active')
  assert.ok(Math.abs((peer?.rate ?? 0) - real) <= real * TOLERANCE, `shown ${peer?.rate} B/s, really ${real} B/s`)
  assert.ok(Math.abs(job.speed - real) <= real * TOLERANCE, `job speed ${job.speed} B/s, really ${real} B/s`)
  assert.equal(job.peersUsed, 1)

  const cancel = await runShoal(['cancel', job.id, '--data-dir', node.dataDir])
  assert.equal(cancel.code, 0, cancel.stderr)
  await get
  const r = await runShoal(['status', job.id, '--data-dir', node.dataDir, '--json'])
  const after = lastJson<JobSnapshot>(r)
  assert.equal(after.state, 'cancelled')
  assert.equal(after.speed, 0)
  assert.equal(after.etaSeconds, null)
  assert.deepEqual(after.peers.map(p => [p.state, p.rate]), [['idle', 0]], 'the seeder is still connected: idle, not gone')
  const text = await runShoal(['status', job.id, '--data-dir', node.dataDir])
  assert.doesNotMatch(text.stdout, /ETA \d/, text.stdout)
})

test('two local copies and the seeder gone: `shoal get ID` elsewhere copies one, verified, nothing left behind; re-running it succeeds', async (t) => {
  const dir = await tempDir(t)
  const { id, addr, src, stop } = await seed(t, dir, 6 * MIB + 77)
  const data = join(dir, 'n')
  for (const sub of ['a', 'b']) {
    await mkdir(join(dir, sub))
    const r = await runShoal(['get', id, '--peer', addr, '--data-dir', data], { cwd: join(dir, sub) })
    assert.equal(r.code, 0, r.stderr)
  }
  await stop()
  const elsewhere = join(dir, 'c')
  await mkdir(elsewhere)
  const started = performance.now()
  const r = await runShoal(['get', id, '--data-dir', data, '--json'], { cwd: elsewhere, timeoutMs: 60_000 })
  t.diagnostic(`copied from a local copy in ${((performance.now() - started) / 1000).toFixed(2)} s`)
  assert.equal(r.code, 0, r.stderr)
  assert.equal(await sha256File(join(elsewhere, 'f.bin')), await sha256File(src))
  assert.deepEqual(await readdir(elsewhere), ['f.bin'], 'no .shoal-part or .shoal-lock left')
  const ls = lastJson<{ files: Array<{ id: string, paths: string[] }> }>(await runShoal(['ls', '--data-dir', data, '--json']))
  assert.equal(ls.files.find(f => f.id === id)?.paths.length, 3, 'the new copy is registered')

  const again = await runShoal(['get', id, '--data-dir', data, '--json'], { cwd: elsewhere, timeoutMs: 60_000 })
  assert.equal(again.code, 0, again.stderr)
  assert.equal(lastJson(again).alreadyComplete, true)
  assert.equal(await sha256File(join(elsewhere, 'f.bin')), await sha256File(src))
  assert.deepEqual(await readdir(elsewhere), ['f.bin'])

  // Another file at the destination is never overwritten.
  await writeRandomFile(join(dir, 'other.bin'), 6 * MIB + 77)
  const before = await sha256File(join(dir, 'other.bin'))
  const refused = await runShoal(['get', id, '-o', join(dir, 'other.bin'), '--data-dir', data], { timeoutMs: 60_000 })
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /ERR_DEST_EXISTS/)
  assert.equal(await sha256File(join(dir, 'other.bin')), before)
})

test('get --download-limit 1M through a running node paces that download; flags the node cannot apply are named in a warning', async (t) => {
  const dir = await tempDir(t)
  const { id, addr, src } = await seed(t, dir, 4 * MIB)
  const node = await startNode(t, join(dir, 'd'))
  const started = performance.now()
  const r = await runShoal(['get', id, '--peer', addr, '-o', join(dir, 'out.bin'), '--data-dir', node.dataDir, '--download-limit', '1M', '--upload-limit', '1M', '--no-mdns', '--json'])
  const seconds = (performance.now() - started) / 1000
  t.diagnostic(`4 MiB at 1 MiB/s through a running node took ${seconds.toFixed(2)} s`)
  assert.equal(r.code, 0, r.stderr)
  assert.equal(await sha256File(join(dir, 'out.bin')), await sha256File(src))
  assert.ok(seconds >= 4 - HEAD_START_S, `took ${seconds.toFixed(2)} s`)
  const warnings = r.stderr.split('\n').filter(l => l.includes('warning'))
  assert.equal(warnings.length, 1, r.stderr)
  assert.match(warnings[0] as string, /^shoal: warning: (--upload-limit, --no-mdns|--no-mdns, --upload-limit) ignored: a node already runs in /)
  assert.doesNotMatch(warnings[0] as string, /--download-limit/, 'that one is applied')
})
