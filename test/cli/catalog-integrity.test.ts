/**
 * A node never runs on a damaged catalog or an unwritable data dir, as real
 * `shoal` processes: an emptied, truncated or corrupt shoal.db makes `start`
 * and `ls` refuse with ERR_CATALOG_CORRUPT naming the file (and moving it
 * aside, as the message says, recovers); a read-only or full data dir gives
 * one clear error naming it. The file systems are small tmpfs mounts of our
 * own (tests run as root, for whom chmod 0555 changes nothing).
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cp, mkdtemp, open, readdir, rename, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { tempDir, runShoal, lastJson, startNode, writeRandomFile, type RunResult } from '../helpers/cli.js'

const MIB = 1024 * 1024
const PAGE_BYTES = 4096

/** A start that fails must fail fast; one that wrongly succeeds is killed after this. */
const START_TIMEOUT_MS = 30_000

interface ListJson { files: Array<{ id: string, name: string }> }

/** `shoal start` on loopback ports in `dataDir`; returns when it exits (or is killed). */
async function start (dataDir: string): Promise<RunResult> {
  return await runShoal(['start', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--json'], { timeoutMs: START_TIMEOUT_MS })
}

/** A tmpfs of `size` mounted for this test, unmounted before removal. */
async function smallFs (t: TestContext, size: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-fs-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir])
  t.after(async () => {
    execFileSync('umount', ['-l', dir])
    await rm(dir, { recursive: true, force: true })
  })
  return dir
}

/** Asserts a one-line refusal with `code`, exit 1, naming `path`. */
function assertRefused (r: RunResult, code: string, path: string, label: string): void {
  assert.equal(r.code, 1, `${label}: exit ${r.code} ${r.signal ?? ''} ${r.stderr}`)
  const lines = r.stderr.trim().split('\n')
  assert.equal(lines.length, 1, `${label}: one line: ${r.stderr}`)
  assert.match(lines[0] ?? '', new RegExp(`\\(${code}\\)$`), label)
  assert.ok(r.stderr.includes(path), `${label}: names ${path}: ${r.stderr}`)
}

test('an emptied, truncated or corrupt shoal.db: start and ls refuse with ERR_CATALOG_CORRUPT naming it; moving it aside recovers', async (t) => {
  const dir = await tempDir(t)
  const good = join(dir, 'good')
  const node = await startNode(t, good)
  for (let i = 0; i < 4; i++) {
    await writeRandomFile(join(dir, `f${i}.bin`), MIB + i)
    const r = await runShoal(['share', join(dir, `f${i}.bin`), '--data-dir', good])
    assert.equal(r.code, 0, r.stderr)
  }
  await node.stop()
  const before = lastJson<ListJson>(await runShoal(['ls', '--data-dir', good, '--json']))
  assert.equal(before.files.length, 4)

  const damages: Array<[string, (db: string) => Promise<void>]> = [
    ['emptied', async (db) => { await truncate(db, 0) }],
    ['cut in half', async (db) => { await truncate(db, Math.floor((await stat(db)).size / 2)) }],
    ['random middle pages', async (db) => {
      const pages = (await stat(db)).size / PAGE_BYTES
      assert.ok(pages >= 6, `${pages} pages`)
      const fh = await open(db, 'r+')
      try {
        const count = Math.floor(pages / 3)
        await fh.write(randomBytes(count * PAGE_BYTES), 0, count * PAGE_BYTES, count * PAGE_BYTES)
      } finally {
        await fh.close()
      }
    }]
  ]
  for (const [label, damage] of damages) {
    const dataDir = join(dir, label.replaceAll(' ', '-'))
    await cp(good, dataDir, { recursive: true })
    const db = join(dataDir, 'shoal.db')
    await damage(db)
    const damagedSize = (await stat(db)).size

    const started = await start(dataDir)
    assertRefused(started, 'ERR_CATALOG_CORRUPT', db, `${label}: start`)
    assert.match(started.stderr, /move it aside/)
    const ls = await runShoal(['ls', '--data-dir', dataDir])
    assertRefused(ls, 'ERR_CATALOG_CORRUPT', db, `${label}: ls`)
    assert.equal((await stat(db)).size, damagedSize, `${label}: the damaged file is left for the user`)
    t.diagnostic(`${label}: ${ls.stderr.trim()}`)

    // The recovery the message gives: move it aside, and the node starts on a fresh catalog.
    await rename(db, db + '.broken')
    const fresh = await runShoal(['ls', '--data-dir', dataDir, '--json'])
    assert.equal(fresh.code, 0, fresh.stderr)
    assert.deepEqual(lastJson<ListJson>(fresh).files, [])
  }
})

test('a read-only data dir: start and ls say so, naming it; nothing is lost once it is writable again', async (t) => {
  const dir = await tempDir(t)
  const fs = await smallFs(t, '16m')
  const dataDir = join(fs, 'data')
  await writeRandomFile(join(dir, 'f.bin'), MIB)
  const share = await runShoal(['share', join(dir, 'f.bin'), '--data-dir', dataDir])
  assert.equal(share.code, 0, share.stderr)

  execFileSync('mount', ['-o', 'remount,ro', fs])
  assertRefused(await start(dataDir), 'ERR_DATA_DIR_NOT_WRITABLE', dataDir, 'start')
  const ls = await runShoal(['ls', '--data-dir', dataDir])
  assertRefused(ls, 'ERR_DATA_DIR_NOT_WRITABLE', dataDir, 'ls')
  t.diagnostic(ls.stderr.trim())
  // A data dir that cannot even be created.
  assertRefused(await runShoal(['ls', '--data-dir', join(fs, 'new')]), 'ERR_DATA_DIR_NOT_WRITABLE', join(fs, 'new'), 'ls of a new dir')

  execFileSync('mount', ['-o', 'remount,rw', fs])
  const again = await runShoal(['ls', '--data-dir', dataDir, '--json'])
  assert.equal(again.code, 0, again.stderr)
  assert.deepEqual(lastJson<ListJson>(again).files.map(f => f.name), ['f.bin'])
  const node = await startNode(t, dataDir)
  await node.stop()
})

test('a full data dir: start and ls say so, naming it', async (t) => {
  const fs = await smallFs(t, '4m')
  const dataDir = join(fs, 'data')
  const first = await runShoal(['ls', '--data-dir', dataDir, '--json'])
  assert.equal(first.code, 0, first.stderr)
  // Fill what is left; the write fails part-way with ENOSPC, keeping what fit.
  await assert.rejects(writeFile(join(fs, 'filler'), randomBytes(8 * MIB)), { code: 'ENOSPC' })

  assertRefused(await start(dataDir), 'ERR_DISK_FULL', dataDir, 'start')
  assertRefused(await runShoal(['ls', '--data-dir', dataDir]), 'ERR_DISK_FULL', dataDir, 'ls')
  assert.deepEqual((await readdir(dataDir)).filter(f => f.startsWith('.shoal-probe')), [], 'no probe left behind')
})

test('a fresh data dir still works, and leaves no half-made catalog', async (t) => {
  const dir = await tempDir(t)
  const dataDir = join(dir, 'fresh')
  const ls = await runShoal(['ls', '--data-dir', dataDir, '--json'])
  assert.equal(ls.code, 0, ls.stderr)
  assert.deepEqual(lastJson<ListJson>(ls).files, [])
  const node = await startNode(t, dataDir)
  await node.stop()
  const files = await readdir(dataDir)
  assert.ok(files.includes('shoal.db'), files.join(' '))
  assert.ok(!files.some(f => f.startsWith('shoal.db.new') || f.startsWith('.shoal-probe')), files.join(' '))
})
