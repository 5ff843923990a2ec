import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LOCK_SUFFIX, lockDestination } from '../../src/store/download-lock.js'
import { exists } from '../../src/store/partial-file.js'
import { hasCode } from '../../src/errors.js'

/** The pid of a process that has exited: a lock holder that died. */
async function deadPid (): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  const pid = child.pid
  assert.ok(pid !== undefined)
  await once(child, 'exit')
  return pid
}

describe('lockDestination', () => {
  let dir: string
  let n = 0
  /** A fresh destination path per test. */
  const dest = (): string => join(dir, `file-${n++}.bin`)

  before(async () => { dir = await mkdtemp(join(tmpdir(), 'shoal-lock-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('writes <dest>.shoal-lock holding this process pid, removed on release', async () => {
    const path = dest()
    const lock = await lockDestination(path)
    assert.equal(await readFile(path + LOCK_SUFFIX, 'utf8'), String(process.pid))
    await lock.release()
    assert.equal(await exists(path + LOCK_SUFFIX), false)
  })

  it('refuses a second lock on the same dest in the same process', async () => {
    const path = dest()
    const lock = await lockDestination(path)
    try {
      await assert.rejects(lockDestination(path), (err) => {
        assert.ok(hasCode(err, 'ERR_DOWNLOAD_IN_PROGRESS'), String(err))
        return true
      })
      assert.equal(await readFile(path + LOCK_SUFFIX, 'utf8'), String(process.pid), 'the holder keeps its lock')
    } finally {
      await lock.release()
    }
  })

  it('can be taken again after release', async () => {
    const path = dest()
    await (await lockDestination(path)).release()
    const again = await lockDestination(path)
    await again.release()
  })

  it('locks distinct destinations independently', async () => {
    const a = await lockDestination(dest())
    const b = await lockDestination(dest())
    await a.release()
    await b.release()
  })

  it('takes over a stale lock left by a dead process', async () => {
    const path = dest()
    const pid = await deadPid()
    await writeFile(path + LOCK_SUFFIX, String(pid))
    const lock = await lockDestination(path)
    assert.equal(await readFile(path + LOCK_SUFFIX, 'utf8'), String(process.pid))
    await lock.release()
  })

  it('takes over a lock file with no valid pid in it', async () => {
    const path = dest()
    await writeFile(path + LOCK_SUFFIX, 'garbage')
    const lock = await lockDestination(path)
    assert.equal(await readFile(path + LOCK_SUFFIX, 'utf8'), String(process.pid))
    await lock.release()
  })

  it('release is idempotent and does not remove a lock taken since by someone else', async () => {
    const path = dest()
    const first = await lockDestination(path)
    await first.release()
    const second = await lockDestination(path)
    await first.release()
    assert.equal(await exists(path + LOCK_SUFFIX), true, "a second release of the old lock leaves the new holder's file")
    await second.release()
    await second.release()
    assert.equal(await exists(path + LOCK_SUFFIX), false)
  })

  it('fails with ERR_DEST_NOT_WRITABLE when the destination folder is missing', async () => {
    await assert.rejects(lockDestination(join(dir, 'missing', 'x.bin')), (err) => hasCode(err, 'ERR_DEST_NOT_WRITABLE'))
  })
})
