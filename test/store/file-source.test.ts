import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { appendFile, mkdtemp, open, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileSource } from '../../src/store/file-source.js'
import { fileIdentity } from '../../src/content/file-check.js'
import { rotInPlace } from '../helpers/cli.js'
import { hasCode } from '../../src/errors.js'

describe('FileSource', () => {
  let dir: string
  let n = 0
  const sources: FileSource[] = []

  /** A fresh file with random content and a FileSource fingerprinted on it. */
  async function shared (bytes: number): Promise<{ path: string, data: Buffer, source: FileSource }> {
    const path = join(dir, `shared-${n++}.bin`)
    const data = randomBytes(bytes)
    await writeFile(path, data)
    const st = await stat(path)
    const source = new FileSource(path, fileIdentity(st))
    sources.push(source)
    return { path, data, source }
  }

  const isChanged = (err: unknown): boolean => hasCode(err, 'ERR_FILE_CHANGED')

  before(async () => { dir = await mkdtemp(join(tmpdir(), 'shoal-file-source-')) })
  after(async () => {
    for (const source of sources) await source.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('reads ranges of the file', async () => {
    const { path, data, source } = await shared(10_000)
    assert.equal(source.path, path)
    assert.deepEqual(await source.read(0, 4096), data.subarray(0, 4096))
    assert.deepEqual(await source.read(4096, 4096), data.subarray(4096, 8192))
    assert.deepEqual(await source.read(8192, 1808), data.subarray(8192))
    assert.deepEqual(await source.read(5000, 0), Buffer.alloc(0))
    assert.equal(source.changed, false)
  })

  it('reports ERR_FILE_CHANGED once the file has a different size, and stays changed', async () => {
    const { path, source } = await shared(4096)
    await source.read(0, 1024)
    await appendFile(path, 'more')
    await assert.rejects(source.read(0, 1024), isChanged)
    assert.equal(source.changed, true)
    await writeFile(path, randomBytes(4096))
    await assert.rejects(source.read(0, 1024), isChanged, 'a changed source never serves again')
  })

  it('reports ERR_FILE_CHANGED when the file is truncated under a read', async () => {
    const { path, source } = await shared(4096)
    await writeFile(path, randomBytes(100))
    await assert.rejects(source.read(0, 4096), isChanged)
    assert.equal(source.changed, true)
  })

  it('reports ERR_FILE_CHANGED for the same size with a new mtime', async () => {
    const { path, source } = await shared(4096)
    const before = await stat(path)
    // Overwrite in place (same inode, same size) and move the mtime on explicitly.
    const fh = await open(path, 'r+')
    await fh.write(randomBytes(16), 0, 16, 100)
    await fh.close()
    await utimes(path, before.atime, new Date(before.mtimeMs + 5000))
    assert.equal((await stat(path)).size, before.size)
    await assert.rejects(source.read(0, 1024), isChanged)
    assert.equal(source.changed, true)
  })

  it('is changed from the first read when the fingerprint never matched', async () => {
    const { path } = await shared(100)
    const st = await stat(path)
    const stale = new FileSource(path, { ...fileIdentity(st), mtimeMs: st.mtimeMs - 1 })
    sources.push(stale)
    await assert.rejects(stale.read(0, 10), isChanged)
    assert.equal(stale.changed, true)
  })

  it('close is idempotent and final: a read after close is refused, never reopens a descriptor nobody would close', async () => {
    const { source } = await shared(2048)
    await source.read(0, 10)
    await source.close()
    await source.close()
    await assert.rejects(source.read(10, 10), (err: unknown) => hasCode(err, 'ERR_FILE_NOT_FOUND'))
  })

  it('reports ERR_FILE_CHANGED for a rewrite in place with the same size and the same mtime (touch -r): the ctime moved', async () => {
    const { path, data, source } = await shared(64 * 1024)
    assert.deepEqual(await source.read(0, 1024), data.subarray(0, 1024))
    const before = await stat(path, { bigint: true })
    await new Promise(resolve => setTimeout(resolve, 20)) // past the file system's timestamp granularity
    await rotInPlace(path, [10, 40_000])
    const after = await stat(path, { bigint: true })
    assert.equal(after.size, before.size)
    assert.equal(after.mtimeNs, before.mtimeNs, 'the mtime was put back to the nanosecond')
    assert.equal(after.ino, before.ino, 'same inode: rewritten in place')
    await assert.rejects(source.read(0, 1024), isChanged)
    assert.equal(source.check, 'changed')
  })

  it('reports the file as deleted once it is unlinked, though the open descriptor still reads its old bytes', async () => {
    const { path, data, source } = await shared(4096)
    assert.deepEqual(await source.read(0, 100), data.subarray(0, 100)) // the descriptor is open now
    await rm(path)
    await assert.rejects(source.read(0, 100), isChanged)
    assert.equal(source.check, 'deleted')
  })

  it('reports ERR_FILE_CHANGED for a file replaced by another with the same size and mtime (another inode)', async () => {
    const { path, source } = await shared(4096)
    await source.read(0, 100)
    const st = await stat(path)
    const other = path + '.new'
    await writeFile(other, randomBytes(4096))
    await utimes(other, st.atime, st.mtime)
    await rename(other, path)
    await assert.rejects(source.read(0, 100), isChanged)
  })

  it('reports ERR_FILE_CHANGED for a file deleted since it was fingerprinted', async () => {
    // Like assertUnchanged in content/file-check.ts: a file that disappeared has changed, so the
    // library unshares it instead of failing every request with an internal error.
    const { path } = await shared(100)
    const st = await stat(path)
    await rm(path)
    const source = new FileSource(path, fileIdentity(st))
    sources.push(source)
    await assert.rejects(source.read(0, 10), isChanged)
    assert.equal(source.changed, true)
  })
})
