import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { appendFile, mkdtemp, rm, stat, utimes, writeFile, rename } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { assertUnchanged, checkFile, fileError, fileIdentity, statRegularFile } from '../../src/content/file-check.js'
import { rotInPlace } from '../helpers/cli.js'
import { hasCode, ShoalError } from '../../src/errors.js'

function errno (code: string): Error {
  return Object.assign(new Error(`${code}: something`), { code })
}

describe('fileError', () => {
  it('maps file system errors to path codes', () => {
    const cases: Array<[string, string]> = [
      ['ENOENT', 'ERR_PATH_NOT_FOUND'],
      ['ENOTDIR', 'ERR_PATH_NOT_FOUND'],
      ['EISDIR', 'ERR_PATH_IS_DIRECTORY'],
      ['EACCES', 'ERR_PATH_NOT_READABLE'],
      ['EPERM', 'ERR_PATH_NOT_READABLE'],
      ['ELOOP', 'ERR_PATH_NOT_READABLE'],
      ['ENOSPC', 'ERR_DISK_FULL'],
      ['EIO', 'ERR_INTERNAL']
    ]
    for (const [code, expected] of cases) {
      const err = fileError(errno(code), '/some/file')
      assert.equal(err.code, expected, code)
    }
    assert.deepEqual(fileError(errno('EACCES'), '/some/file').details, { path: '/some/file' })
  })

  it('keeps Shoal errors as they are', () => {
    const original = new ShoalError('ERR_FILE_CHANGED', 'changed')
    assert.equal(fileError(original, '/x'), original)
  })
})

describe('statRegularFile and assertUnchanged', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'shoal-file-check-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('accepts a regular file', async () => {
    const path = join(dir, 'ok.txt')
    await writeFile(path, 'hello')
    assert.equal((await statRegularFile(path)).size, 5)
  })

  it('rejects missing paths, directories and special files', async () => {
    const file = join(dir, 'plain')
    await writeFile(file, 'x')
    await assert.rejects(statRegularFile(join(dir, 'missing')), (err) => hasCode(err, 'ERR_PATH_NOT_FOUND'))
    await assert.rejects(statRegularFile(join(file, 'below-a-file')), (err) => hasCode(err, 'ERR_PATH_NOT_FOUND'))
    await assert.rejects(statRegularFile(dir), (err) => hasCode(err, 'ERR_PATH_IS_DIRECTORY'))
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    await assert.rejects(statRegularFile(fifo), (err) => hasCode(err, 'ERR_PATH_NOT_READABLE'))
  })

  it('notices growth, rewrites, replacement and deletion', async () => {
    const path = join(dir, 'watched')
    await writeFile(path, 'abc')
    const first = await stat(path)
    await assertUnchanged(path, first)

    await appendFile(path, 'd')
    await assert.rejects(assertUnchanged(path, first), (err) => hasCode(err, 'ERR_FILE_CHANGED'))

    const grown = await stat(path)
    await writeFile(path, 'wxyz')
    await utimes(path, grown.atime, new Date(grown.mtimeMs + 5000))
    await assert.rejects(assertUnchanged(path, grown), (err) => hasCode(err, 'ERR_FILE_CHANGED'))

    // Same size and mtime, but another file renamed over it.
    const current = await stat(path)
    const other = join(dir, 'other')
    await writeFile(other, 'wxyz')
    await utimes(other, current.atime, current.mtime)
    await rename(other, path)
    assert.equal((await stat(path)).mtimeMs, current.mtimeMs)
    await assert.rejects(assertUnchanged(path, current), (err) => hasCode(err, 'ERR_FILE_CHANGED'))

    await rm(path)
    await assert.rejects(assertUnchanged(path, current), (err) => hasCode(err, 'ERR_FILE_CHANGED'))
  })
  it('notices a rewrite in place with the same size and mtime (touch -r): the ctime moved', async () => {
    const path = join(dir, 'touched')
    await writeFile(path, 'same size, other bytes')
    const before = await stat(path)
    await new Promise(resolve => setTimeout(resolve, 20)) // past the timestamp granularity
    await rotInPlace(path, [3])
    const after = await stat(path)
    assert.equal(after.size, before.size)
    assert.equal(after.mtimeMs, before.mtimeMs)
    await assert.rejects(assertUnchanged(path, before), (err) => hasCode(err, 'ERR_FILE_CHANGED'))
  })
})

describe('checkFile', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'shoal-check-file-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('compares by path: unchanged, changed (ctime, inode), deleted; fields not recorded are not compared', async () => {
    const path = join(dir, 'f')
    await writeFile(path, 'content')
    const recorded = fileIdentity(await stat(path))
    assert.equal(await checkFile(path, recorded), 'unchanged')
    await new Promise(resolve => setTimeout(resolve, 20))
    await rotInPlace(path, [0])
    assert.equal(await checkFile(path, recorded), 'changed')
    assert.equal(await checkFile(path, { size: recorded.size, mtimeMs: recorded.mtimeMs }), 'unchanged', 'an old record of size and mtime only')
    await rm(path)
    assert.equal(await checkFile(path, recorded), 'deleted')
    assert.equal(await checkFile(join(dir, 'never', 'there'), recorded), 'deleted')
  })
})
