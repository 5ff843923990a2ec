import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { digestChunk, INLINE_VERIFY_MAX_BYTES } from '../../src/content/chunk-verifier.js'

const reference = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest())

describe('digestChunk', () => {
  it('hashes small chunks inline and big ones on the thread pool, alike', async () => {
    for (const size of [0, 1, INLINE_VERIFY_MAX_BYTES, INLINE_VERIFY_MAX_BYTES + 1, 1024 * 1024 + 3]) {
      const data = randomBytes(size)
      const digest = await digestChunk(data)
      assert.equal(Object.getPrototypeOf(digest), Uint8Array.prototype)
      assert.deepEqual(digest, reference(data), `size ${size}`)
    }
  })

  it('hashes a view into a larger buffer, not the whole buffer', async () => {
    const backing = randomBytes(3 * 1024 * 1024)
    const view = backing.subarray(1024 * 1024 + 5, 2 * 1024 * 1024 + 5)
    assert.deepEqual(await digestChunk(view), reference(view))
  })

  it('takes the bytes at the call: the buffer may be reused at once', async () => {
    const data = Buffer.alloc(1024 * 1024, 1)
    const want = reference(data)
    const pending = digestChunk(data)
    data.fill(2)
    assert.deepEqual(await pending, want)
  })

  it('hashes many chunks at once', async () => {
    const chunks = Array.from({ length: 16 }, () => randomBytes(256 * 1024))
    const digests = await Promise.all(chunks.map(async c => await digestChunk(c)))
    digests.forEach((d, i) => { assert.deepEqual(d, reference(chunks[i]!)) })
  })
})
