/**
 * Faults during a download, with real processes: kill -9 and resume, peers
 * vanishing, a peer serving corrupt bytes, a full disk, two gets at once.
 * Seeders are rate limited (transfer.uploadRateLimit) so there is time to act
 * mid-download.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import Database from 'better-sqlite3'
import { tempDir, runShoal, spawnShoal, collect, lastJson, startNode, writeRandomFile, sha256File, waitFor } from '../helpers/cli.js'
import { startLyingSeeder } from '../helpers/lying-seeder.js'

const MIB = 1024 * 1024
const SLOW = { SHOAL_TRANSFER_UPLOAD_RATE_LIMIT: String(8 * MIB) }

interface GetJson { id: string, path: string, size: number, peers: Array<{ peerId: string, bytes: number }> }

/** Verified chunks recorded in a data dir's catalog (read while the downloader runs). */
function verifiedChunks (dataDir: string): number {
  try {
    const db = new Database(join(dataDir, 'shoal.db'), { readonly: true, fileMustExist: true })
    try {
      return (db.prepare('SELECT count(*) AS n FROM download_chunks').get() as { n: number }).n
    } finally {
      db.close()
    }
  } catch {
    return 0
  }
}

async function shareOn (dataDir: string, path: string): Promise<{ id: string, link: string }> {
  const r = await runShoal(['share', path, '--data-dir', dataDir, '--json'])
  assert.equal(r.code, 0, r.stderr)
  return lastJson(r)
}

test('kill -9 of the downloader: the same get resumes and re-downloads only what was not verified', async (t) => {
  const dir = await tempDir(t)
  const seeder = await startNode(t, join(dir, 'a'), { env: SLOW })
  const src = join(dir, 'big.bin')
  await writeRandomFile(src, 40 * MIB)
  const { link } = await shareOn(seeder.dataDir, src)
  const out = join(dir, 'big.copy')
  const args = ['get', link, '-o', out, '--data-dir', join(dir, 'b'), '--json']

  const first = spawnShoal(args)
  const firstDone = collect(first)
  await waitFor(() => verifiedChunks(join(dir, 'b')) >= 10, 60_000, '10 verified chunks')
  first.kill('SIGKILL')
  await firstDone
  const kept = verifiedChunks(join(dir, 'b'))
  assert.ok(kept >= 10 && kept < 40, `kept ${kept}`)
  assert.equal((await stat(out + '.shoal-part')).size, 40 * MIB)
  await assert.rejects(stat(out), 'never a half file under the final name')

  const second = await runShoal(args)
  assert.equal(second.code, 0, second.stderr)
  const bytes = lastJson<GetJson>(second).peers.reduce((a, p) => a + p.bytes, 0)
  assert.ok(bytes <= (40 - kept) * MIB, `second run fetched ${bytes / MIB} MiB with ${kept} chunks kept`)
  assert.equal(await sha256File(out), await sha256File(src))
  assert.deepEqual((await readdir(dir)).sort(), ['a', 'b', 'big.bin', 'big.copy'], 'no part or lock file left')
})

test('a peer that vanishes mid-download: the other finishes it', async (t) => {
  const dir = await tempDir(t)
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 24 * MIB)
  const a = await startNode(t, join(dir, 'a'), { env: SLOW })
  const c = await startNode(t, join(dir, 'c'), { env: SLOW })
  const { id } = await shareOn(a.dataDir, src)
  await shareOn(c.dataDir, src)
  const get = spawnShoal(['get', id, '--peer', a.addrs[0] as string, '--peer', c.addrs[0] as string, '-o', join(dir, 'out.bin'), '--data-dir', join(dir, 'b'), '--json'])
  const done = collect(get)
  await waitFor(() => verifiedChunks(join(dir, 'b')) >= 4, 60_000, 'progress')
  a.child.kill('SIGKILL')
  const r = await done
  assert.equal(r.code, 0, r.stderr)
  const peers = lastJson<GetJson>(r).peers
  assert.ok(peers.some(p => p.peerId === c.peerId && p.bytes > 0))
  assert.equal(peers.reduce((s, p) => s + p.bytes, 0), 24 * MIB)
  assert.equal(await sha256File(join(dir, 'out.bin')), await sha256File(src))
})

test('with no peer left the error says so, and a later get resumes', async (t) => {
  const dir = await tempDir(t)
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 24 * MIB)
  const a = await startNode(t, join(dir, 'a'), { env: SLOW })
  const { id } = await shareOn(a.dataDir, src)
  const args = ['get', id, '-o', join(dir, 'out.bin'), '--data-dir', join(dir, 'b')]
  const env = { SHOAL_TRANSFER_NO_PROVIDER_TIMEOUT_MS: '1500', SHOAL_CHUNKING_RESUME_CHECK_INTERVAL: '1' }
  const get = spawnShoal([...args, '--peer', a.addrs[0] as string], { env })
  const done = collect(get)
  await waitFor(() => verifiedChunks(join(dir, 'b')) >= 4, 60_000, 'progress')
  await a.stop()
  const r = await done
  assert.equal(r.code, 3, 'exit 3: no source')
  assert.match(r.stderr, /ERR_NO_SOURCES_LEFT/)
  assert.match(r.stderr, /no peer left for \d+ of 24 chunks/)
  assert.match(r.stderr, /run the same command again to resume/)
  const kept = verifiedChunks(join(dir, 'b'))

  const back = await startNode(t, a.dataDir)
  const resumed = await runShoal([...args, '--peer', back.addrs[0] as string, '--json'], { env })
  assert.equal(resumed.code, 0, resumed.stderr)
  assert.ok(lastJson<GetJson>(resumed).peers.reduce((s, p) => s + p.bytes, 0) <= (24 - kept) * MIB)
  assert.equal(await sha256File(join(dir, 'out.bin')), await sha256File(src))
})

test('a peer serving corrupt chunks: caught, fetched elsewhere, the peer banned', async (t) => {
  const dir = await tempDir(t)
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 16 * MIB)
  // A Shoal node no longer serves a rotten file (it hashes what it serves): the liar is a modified peer.
  const bad = await startLyingSeeder(src)
  t.after(async () => { await bad.stop() })
  const good = await startNode(t, join(dir, 'good'), { env: SLOW })
  const { id } = await shareOn(good.dataDir, src)
  assert.equal(bad.fileId, id, 'the liar offers the same file')

  const b = await startNode(t, join(dir, 'b'))
  const r = await runShoal(['get', id, '--peer', bad.addrs[0] as string, '--peer', good.addrs[0] as string, '-o', join(dir, 'out.bin'), '--data-dir', b.dataDir, '--json'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(await sha256File(join(dir, 'out.bin')), await sha256File(src))
  const peers = lastJson<GetJson>(r).peers
  assert.deepEqual(peers.map(p => p.peerId), [good.peerId], 'nothing counted from the corrupt peer')
  const status = lastJson<{ downloads: Array<{ fileId: string, bannedPeers: string[], peers: Array<{ peerId: string, state: string }> }> }>(await runShoal(['status', '--data-dir', b.dataDir, '--json']))
  const job = status.downloads.find(d => d.fileId === id)
  assert.equal(job?.peers.find(p => p.peerId === bad.peerId)?.state, 'banned')
  assert.deepEqual(job?.bannedPeers, [bad.peerId])
})

test('get from a lying peer only: fails naming it as banned for corrupt data (ERR_PEER_BANNED), not as gone', async (t) => {
  const dir = await tempDir(t)
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 6 * MIB)
  const liar = await startLyingSeeder(src)
  t.after(async () => { await liar.stop() })
  const env = { SHOAL_TRANSFER_NO_PROVIDER_TIMEOUT_MS: '3000' }
  const r = await runShoal(['get', liar.fileId, '--peer', liar.addrs[0] as string, '-o', join(dir, 'out.bin'), '--data-dir', join(dir, 'b'), '--json'], { env })
  assert.equal(r.code, 3, r.stderr)
  assert.match(r.stderr, /ERR_PEER_BANNED/)
  assert.match(r.stderr, new RegExp(`banned for sending corrupt data: ${liar.peerId}`))
  assert.doesNotMatch(r.stderr, /gone/)
  const { error } = lastJson<{ error: { code: string, message: string } }>(r)
  assert.equal(error.code, 'ERR_PEER_BANNED')
  assert.ok(error.message.includes(liar.peerId), error.message)
})

test('disk full: the part file is kept and the same get resumes once there is room', async (t) => {
  const dir = await tempDir(t)
  // A 6 MiB filesystem of our own (we run as root), unmounted before removal.
  const small = await mkdtemp(join(tmpdir(), 'shoal-full-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', small])
  t.after(async () => {
    execFileSync('umount', ['-l', small])
    await rm(small, { recursive: true, force: true })
  })
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 10 * MIB)
  const a = await startNode(t, join(dir, 'a'))
  const { link } = await shareOn(a.dataDir, src)
  const args = ['get', link, '-o', join(small, 'out.bin'), '--data-dir', join(dir, 'b'), '--json']
  const full = await runShoal(args)
  assert.equal(full.code, 1)
  assert.match(full.stderr, /ERR_DISK_FULL/)
  const kept = verifiedChunks(join(dir, 'b'))
  assert.ok(kept >= 3, `kept ${kept} chunks`)
  await stat(join(small, 'out.bin.shoal-part'))

  execFileSync('mount', ['-o', 'remount,size=32m', small])
  const again = await runShoal(args)
  assert.equal(again.code, 0, again.stderr)
  assert.ok(lastJson<GetJson>(again).peers.reduce((s, p) => s + p.bytes, 0) <= (10 - kept) * MIB)
  assert.equal(await sha256File(join(small, 'out.bin')), await sha256File(src))
})

test('two gets of one ID into one path at once: the second is refused, the first finishes', async (t) => {
  const dir = await tempDir(t)
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 16 * MIB)
  const a = await startNode(t, join(dir, 'a'), { env: SLOW })
  const { link } = await shareOn(a.dataDir, src)
  const out = join(dir, 'out.bin')
  const first = collect(spawnShoal(['get', link, '-o', out, '--data-dir', join(dir, 'b1'), '--json']))
  await waitFor(() => verifiedChunks(join(dir, 'b1')) >= 1, 60_000, 'first get running')
  const second = await runShoal(['get', link, '-o', out, '--data-dir', join(dir, 'b2')])
  assert.equal(second.code, 1, second.stderr)
  assert.match(second.stderr, /ERR_DOWNLOAD_IN_PROGRESS/)
  const r = await first
  assert.equal(r.code, 0, r.stderr)
  assert.equal(await sha256File(out), await sha256File(src))

  // Through one running node too.
  const b = await startNode(t, join(dir, 'b'))
  const out2 = join(dir, 'out2.bin')
  const one = collect(spawnShoal(['get', link, '-o', out2, '--data-dir', b.dataDir]))
  await waitFor(async () => { try { await stat(out2 + '.shoal-part'); return true } catch { return false } }, 30_000, 'part file')
  const two = await runShoal(['get', link, '-o', out2, '--data-dir', b.dataDir])
  assert.equal(two.code, 1, two.stderr)
  assert.match(two.stderr, /ERR_DOWNLOAD_IN_PROGRESS/)
  const oneResult = await one
  assert.equal(oneResult.code, 0, oneResult.stderr)
  assert.equal(await sha256File(out2), await sha256File(src))
})
