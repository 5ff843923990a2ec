import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exists, PART_SUFFIX, PartialFile } from '../../src/store/partial-file.js'
import { hasCode } from '../../src/errors.js'

describe('PartialFile', () => {
  let dir: string
  let n = 0
  /** A fresh destination path per test. */
  const dest = (): string => join(dir, `file-${n++}.bin`)

  before(async () => { dir = await mkdtemp(join(tmpdir(), 'shoal-partial-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('creates <dest>.shoal-part sized to the file, leaving dest absent', async () => {
    const path = dest()
    const part = await PartialFile.open(path, 100_000)
    try {
      assert.equal(part.dest, path)
      assert.equal(part.path, path + PART_SUFFIX)
      assert.equal(PART_SUFFIX, '.shoal-part')
      assert.equal((await stat(part.path)).size, 100_000)
      assert.equal(await exists(path), false)
    } finally {
      await part.discard()
    }
  })

  it('writes and reads at offsets', async () => {
    const part = await PartialFile.open(dest(), 1000)
    try {
      const a = randomBytes(100)
      const b = randomBytes(300)
      await part.write(900, a)
      await part.write(0, b)
      assert.deepEqual(await part.read(900, 100), a)
      assert.deepEqual(await part.read(0, 300), b)
      assert.deepEqual(await part.read(300, 10), Buffer.alloc(10), 'unwritten ranges read as zeros')
      assert.deepEqual(await part.read(950, 100), a.subarray(50), 'a read past the end is short')
    } finally {
      await part.discard()
    }
  })

  it('keeps existing bytes on reopen (resume) and resizes to the file size', async () => {
    const path = dest()
    const chunk = randomBytes(4096)
    const first = await PartialFile.open(path, 10_000)
    await first.write(4096, chunk)
    await first.sync()
    await first.close()

    const second = await PartialFile.open(path, 10_000)
    try {
      assert.deepEqual(await second.read(4096, 4096), chunk)
      assert.equal((await stat(second.path)).size, 10_000)
    } finally {
      await second.close()
    }
    // A part file of the wrong size (e.g. cut short by a crash) is brought back to size, keeping its prefix.
    const third = await PartialFile.open(path, 6000)
    try {
      assert.equal((await stat(third.path)).size, 6000)
      assert.deepEqual(await third.read(4096, 6000 - 4096), chunk.subarray(0, 6000 - 4096))
    } finally {
      await third.discard()
    }
  })

  it('sync reports whether anything was written since the last sync', async () => {
    const part = await PartialFile.open(dest(), 64)
    try {
      assert.equal(await part.sync(), false, 'nothing written yet')
      await part.write(0, randomBytes(8))
      await part.write(8, randomBytes(8))
      assert.equal(await part.sync(), true)
      assert.equal(await part.sync(), false)
      await part.write(32, randomBytes(8))
      assert.equal(await part.sync(), true)
    } finally {
      await part.discard()
    }
  })

  it('commit renames the part file onto dest atomically', async () => {
    const path = dest()
    const data = randomBytes(5000)
    const part = await PartialFile.open(path, data.byteLength)
    await part.write(0, data)
    assert.equal(await exists(path), false, 'dest absent before commit')
    await part.commit()
    assert.equal(await exists(path), true, 'dest present after commit')
    assert.equal(await exists(part.path), false, 'part file gone')
    assert.deepEqual(await readFile(path), data)
  })

  it('refuses a destination in a missing directory with ERR_DEST_NOT_WRITABLE', async () => {
    await assert.rejects(PartialFile.open(join(dir, 'no-such-dir', 'x.bin'), 10), (err) => {
      assert.ok(hasCode(err, 'ERR_DEST_NOT_WRITABLE'), String(err))
      return true
    })
  })

  it('refuses a destination under a regular file with ERR_DEST_NOT_WRITABLE', async () => {
    const file = join(dir, 'plain-file')
    await writeFile(file, 'x')
    await assert.rejects(PartialFile.open(join(file, 'x.bin'), 10), (err) => hasCode(err, 'ERR_DEST_NOT_WRITABLE'))
  })

  it('commit onto a path that cannot be written fails with ERR_DEST_NOT_WRITABLE', async () => {
    // The destination names a non-empty directory: the rename cannot replace it.
    const path = dest()
    const part = await PartialFile.open(path, 4)
    await mkdir(join(path, 'inside'), { recursive: true })
    await assert.rejects(part.commit(), (err) => hasCode(err, 'ERR_DEST_NOT_WRITABLE'))
    assert.equal(await exists(part.path), true, 'the part file is kept')
    await rm(part.path)
  })

  it('discard closes and deletes the part file, and tolerates a missing one', async () => {
    const part = await PartialFile.open(dest(), 128)
    await part.write(0, randomBytes(16))
    await part.discard()
    assert.equal(await exists(part.path), false)
    await part.discard()
  })
})
