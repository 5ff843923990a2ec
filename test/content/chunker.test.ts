import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { appendFileSync, truncateSync } from 'node:fs'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashFile, INLINE_HASH_MAX_BYTES } from '../../src/content/chunker.js'
import { MIB, MIN_CHUNK_SIZE_BYTES } from '../../src/content/chunk-size.js'
import { hasCode } from '../../src/errors.js'

/** Chunk digests computed the obvious way, to compare against. */
function expectedHashes (data: Uint8Array, chunkSize: number): Uint8Array {
  const parts: Uint8Array[] = []
  for (let offset = 0; offset < data.byteLength; offset += chunkSize) {
    parts.push(createHash('sha256').update(data.subarray(offset, offset + chunkSize)).digest())
  }
  return new Uint8Array(Buffer.concat(parts))
}

describe('hashFile', () => {
  let dir: string
  /** Above the inline limit, so hashed by worker threads: 9 full 1 MiB chunks and a short one. */
  let bigPath: string
  let bigData: Uint8Array

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-chunker-'))
    bigData = randomBytes(9 * MIB + 12_345)
    assert.ok(bigData.byteLength > INLINE_HASH_MAX_BYTES)
    bigPath = join(dir, 'big.bin')
    await writeFile(bigPath, bigData)
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  /** A fresh copy of the big file, for tests that modify it. */
  async function copyOfBig (name: string): Promise<string> {
    const path = join(dir, name)
    await writeFile(path, bigData)
    return path
  }

  it('hashes a multi-chunk file in workers, matching node:crypto, with progress', async () => {
    const progress: Array<[number, number]> = []
    const result = await hashFile(bigPath, { onProgress: (done, total) => { progress.push([done, total]) } })
    assert.equal(result.size, bigData.byteLength)
    assert.equal(result.chunkSize, MIB)
    assert.equal(result.mtimeMs, (await stat(bigPath)).mtimeMs)
    assert.equal(result.hashes.byteLength, 10 * 32)
    assert.deepEqual(result.hashes, expectedHashes(bigData, MIB))
    assert.ok(progress.length > 0)
    assert.deepEqual(progress.at(-1), [bigData.byteLength, bigData.byteLength])
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i]![0] > progress[i - 1]![0])
  })

  it('hashes with small chunks (many batches) and with chunks bigger than one read', async () => {
    for (const chunkSize of [MIN_CHUNK_SIZE_BYTES, 6 * MIB + 1]) {
      const result = await hashFile(bigPath, { chunkSize })
      assert.equal(result.chunkSize, chunkSize)
      assert.deepEqual(result.hashes, expectedHashes(bigData, chunkSize), String(chunkSize))
    }
  })

  it('hashes a small file inline, last chunk short', async () => {
    const data = randomBytes(5 * MIN_CHUNK_SIZE_BYTES + 100)
    const path = join(dir, 'small.bin')
    await writeFile(path, data)
    const progress: number[] = []
    const result = await hashFile(path, { baseChunkSize: MIN_CHUNK_SIZE_BYTES, onProgress: (done) => { progress.push(done) } })
    assert.equal(result.chunkSize, MIN_CHUNK_SIZE_BYTES)
    assert.deepEqual(result.hashes, expectedHashes(data, MIN_CHUNK_SIZE_BYTES))
    assert.equal(progress.at(-1), data.byteLength)
  })

  it('hashes an empty file to zero chunks', async () => {
    const path = join(dir, 'empty')
    await writeFile(path, '')
    const result = await hashFile(path)
    assert.equal(result.size, 0)
    assert.equal(result.chunkSize, MIB)
    assert.deepEqual(result.hashes, new Uint8Array(0))
  })

  it('rejects missing paths, directories and bad chunk sizes', async () => {
    await assert.rejects(hashFile(join(dir, 'missing')), (err) => hasCode(err, 'ERR_PATH_NOT_FOUND'))
    await assert.rejects(hashFile(join(bigPath, 'child')), (err) => hasCode(err, 'ERR_PATH_NOT_FOUND'))
    const sub = join(dir, 'sub')
    await mkdir(sub)
    await assert.rejects(hashFile(sub), (err) => hasCode(err, 'ERR_PATH_IS_DIRECTORY'))
    for (const chunkSize of [0, 1000, 1024 * MIB, 1.5]) {
      await assert.rejects(hashFile(bigPath, { chunkSize }), (err) => hasCode(err, 'ERR_INVALID_ARGUMENT'), String(chunkSize))
    }
  })

  it('rejects at once when the signal is already aborted', async () => {
    await assert.rejects(hashFile(bigPath, { signal: AbortSignal.abort() }), (err) => hasCode(err, 'ERR_ABORTED'))
  })

  it('stops the workers when aborted mid-way', async () => {
    const controller = new AbortController()
    let calls = 0
    await assert.rejects(hashFile(bigPath, {
      chunkSize: MIN_CHUNK_SIZE_BYTES,
      signal: controller.signal,
      onProgress: () => { calls++; controller.abort() }
    }), (err) => hasCode(err, 'ERR_ABORTED'))
    assert.equal(calls, 1)
  })

  it('stops inline hashing when aborted mid-way', async () => {
    const path = join(dir, 'abort-small.bin')
    await writeFile(path, randomBytes(4 * MIN_CHUNK_SIZE_BYTES))
    const controller = new AbortController()
    await assert.rejects(hashFile(path, {
      chunkSize: MIN_CHUNK_SIZE_BYTES,
      signal: controller.signal,
      onProgress: () => { controller.abort() }
    }), (err) => hasCode(err, 'ERR_ABORTED'))
  })

  it('refuses a file that grows while it is hashed', async () => {
    const path = await copyOfBig('grows.bin')
    await assert.rejects(hashFile(path, { onProgress: () => { appendFileSync(path, 'more') } }),
      (err) => hasCode(err, 'ERR_FILE_CHANGED'))
    const small = join(dir, 'grows-small.bin')
    await writeFile(small, randomBytes(1000))
    await assert.rejects(hashFile(small, { onProgress: () => { appendFileSync(small, 'more') } }),
      (err) => hasCode(err, 'ERR_FILE_CHANGED'))
  })

  it('refuses a file that shrinks while it is hashed', async () => {
    const path = await copyOfBig('shrinks.bin')
    let truncated = false
    await assert.rejects(hashFile(path, {
      chunkSize: MIN_CHUNK_SIZE_BYTES,
      onProgress: () => {
        if (!truncated) truncateSync(path, MIB)
        truncated = true
      }
    }), (err) => hasCode(err, 'ERR_FILE_CHANGED'))
  })

  it('rejects with the error a progress callback throws', async () => {
    const failure = new Error('listener failed')
    await assert.rejects(hashFile(bigPath, { onProgress: () => { throw failure } }), (err) => err === failure)
  })

  it('hashes several files at once', async () => {
    const results = await Promise.all([hashFile(bigPath), hashFile(bigPath), hashFile(bigPath)])
    for (const result of results) assert.deepEqual(result.hashes, expectedHashes(bigData, MIB))
  })
})
