import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChunkStore } from '../../src/store/chunk-store.js'
import { exists } from '../../src/store/partial-file.js'
import { sha256, toHex } from '../../src/content/hash.js'
import { hasCode } from '../../src/errors.js'

/** Random bytes and their SHA-256. */
function chunk (bytes: number): { data: Uint8Array, hash: Uint8Array } {
  const data = new Uint8Array(randomBytes(bytes))
  return { data, hash: sha256(data) }
}

/** Asserts `actual` holds exactly `expected`'s bytes (the store hands back Buffers). */
function assertBytes (actual: Uint8Array | undefined, expected: Uint8Array): void {
  assert.ok(actual !== undefined, 'chunk missing')
  assert.deepEqual(Uint8Array.from(actual), Uint8Array.from(expected))
}

/** Where the store keeps a chunk: `<dir>/<first two hex>/<hex>`. */
function chunkPath (dir: string, hash: Uint8Array): string {
  const hex = toHex(hash)
  return join(dir, hex.slice(0, 2), hex)
}

/** Every file under `dir`, recursively, relative to it. */
async function filesUnder (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter(e => e.isFile()).map(e => join(e.parentPath, e.name).slice(dir.length + 1)).sort()
}

describe('ChunkStore', () => {
  let root: string
  let n = 0
  /** A fresh store directory per test (not created: open() does that). */
  const storeDir = (): string => join(root, `store-${n++}`, 'chunks')

  before(async () => { root = await mkdtemp(join(tmpdir(), 'shoal-chunks-')) })
  after(async () => { await rm(root, { recursive: true, force: true }) })

  it('opens an empty store, creating its directory', async () => {
    const dir = storeDir()
    const store = new ChunkStore(dir, 1000)
    await store.open()
    await store.open()
    assert.equal(await exists(dir), true)
    assert.equal(store.usedBytes, 0)
    assert.equal(store.quotaBytes, 1000)
  })

  it('puts, gets, has and deletes chunks, keeping usedBytes exact', async () => {
    const dir = storeDir()
    const store = new ChunkStore(dir, 1_000_000)
    const a = chunk(1000)
    const b = chunk(2500)
    assert.equal(await store.has(a.hash), false)
    assert.equal(await store.get(a.hash), undefined)
    await store.put(a.hash, a.data)
    await store.put(b.hash, b.data)
    assert.equal(await store.has(a.hash), true)
    assertBytes(await store.get(a.hash), a.data)
    assertBytes(await store.get(b.hash), b.data)
    assert.equal(store.usedBytes, 3500)
    assert.deepEqual(await filesUnder(dir), [a, b].map(c => chunkPath(dir, c.hash).slice(dir.length + 1)).sort(), 'sharded by hash prefix')

    await store.put(a.hash, a.data)
    assert.equal(store.usedBytes, 3500, 'a second put of the same chunk stores nothing')

    await store.delete(a.hash)
    assert.equal(await store.has(a.hash), false)
    assert.equal(await store.get(a.hash), undefined)
    assert.equal(store.usedBytes, 2500)
    await store.delete(a.hash)
    assert.equal(store.usedBytes, 2500, 'deleting an absent chunk changes nothing')
  })

  it('stores an empty chunk', async () => {
    const store = new ChunkStore(storeDir(), 10)
    const empty = chunk(0)
    await store.put(empty.hash, empty.data)
    assertBytes(await store.get(empty.hash), new Uint8Array(0))
  })

  it('refuses data that does not match its hash with ERR_CHUNK_CORRUPT and stores nothing', async () => {
    const dir = storeDir()
    const store = new ChunkStore(dir, 1_000_000)
    const a = chunk(500)
    const other = chunk(500)
    await assert.rejects(store.put(a.hash, other.data), (err) => {
      assert.ok(hasCode(err, 'ERR_CHUNK_CORRUPT'), String(err))
      return true
    })
    assert.equal(await store.has(a.hash), false)
    assert.equal(await store.has(other.hash), false)
    assert.equal(store.usedBytes, 0)
    assert.deepEqual(await filesUnder(dir), [])
  })

  it('refuses a chunk past the quota with ERR_QUOTA_EXCEEDED and stores nothing', async () => {
    const dir = storeDir()
    const store = new ChunkStore(dir, 1000)
    const a = chunk(600)
    const b = chunk(401)
    const c = chunk(400)
    await store.put(a.hash, a.data)
    await assert.rejects(store.put(b.hash, b.data), (err) => hasCode(err, 'ERR_QUOTA_EXCEEDED'))
    assert.equal(await store.has(b.hash), false)
    assert.equal(store.usedBytes, 600)
    await store.put(c.hash, c.data)
    assert.equal(store.usedBytes, 1000, 'exactly at the quota is allowed')
    await store.delete(a.hash)
    await store.put(b.hash, b.data)
    assert.equal(store.usedBytes, 801, 'space freed by delete is usable again')
  })

  it('recomputes usedBytes when reopened', async () => {
    const dir = storeDir()
    const first = new ChunkStore(dir, 10_000)
    const chunks = [chunk(100), chunk(2000), chunk(333)]
    for (const c of chunks) await first.put(c.hash, c.data)
    const second = new ChunkStore(dir, 10_000)
    await second.open()
    assert.equal(second.usedBytes, 2433)
    for (const c of chunks) assertBytes(await second.get(c.hash), c.data)
  })

  it('reports a chunk rotted on disk as absent and deletes it', async () => {
    const dir = storeDir()
    const store = new ChunkStore(dir, 10_000)
    const a = chunk(1000)
    await store.put(a.hash, a.data)
    const rotten = new Uint8Array(a.data)
    rotten[500] = (rotten[500] as number) ^ 0xff
    await writeFile(chunkPath(dir, a.hash), rotten)
    assert.equal(await store.get(a.hash), undefined)
    assert.equal(await exists(chunkPath(dir, a.hash)), false)
    assert.equal(await store.has(a.hash), false)
    assert.equal(store.usedBytes, 0)
  })

  it('cleans leftover .tmp files on open and does not count them', async () => {
    const dir = storeDir()
    const a = chunk(700)
    const first = new ChunkStore(dir, 10_000)
    await first.put(a.hash, a.data)
    const shard = join(dir, toHex(a.hash).slice(0, 2))
    const leftover = `${chunkPath(dir, a.hash)}.0123456789ab.tmp`
    await writeFile(leftover, randomBytes(5000))
    await mkdir(join(dir, 'zz'), { recursive: true })
    const other = join(dir, 'zz', 'deadbeef.cafe01.tmp')
    await writeFile(other, 'half a chunk')

    const second = new ChunkStore(dir, 10_000)
    await second.open()
    assert.equal(second.usedBytes, 700)
    assert.equal(await exists(leftover), false)
    assert.equal(await exists(other), false)
    assert.deepEqual(await readdir(shard), [toHex(a.hash)])
  })

  it('concurrent puts cannot take the store past its quota', async () => {
    // Chunks pushed by several peers arrive at once: the quota must hold anyway.
    const dir = storeDir()
    const store = new ChunkStore(dir, 1000)
    const a = chunk(600)
    const b = chunk(600)
    const results = await Promise.allSettled([store.put(a.hash, a.data), store.put(b.hash, b.data)])
    assert.deepEqual(results.map(r => r.status).sort(), ['fulfilled', 'rejected'])
    const rejected = results.find(r => r.status === 'rejected')
    assert.ok(hasCode(rejected?.reason, 'ERR_QUOTA_EXCEEDED'), String(rejected?.reason))
    assert.equal(store.usedBytes, 600)
    assert.equal((await filesUnder(dir)).length, 1)
  })

  it('concurrent puts of the same chunk count it once', async () => {
    const store = new ChunkStore(storeDir(), 1000)
    const a = chunk(600)
    await Promise.all([store.put(a.hash, a.data), store.put(a.hash, a.data)])
    assert.equal(store.usedBytes, 600)
    assertBytes(await store.get(a.hash), a.data)
  })

  it('put opens the store by itself and counts what was already there', async () => {
    const dir = storeDir()
    const a = chunk(300)
    await new ChunkStore(dir, 1000).put(a.hash, a.data)
    const reopened = new ChunkStore(dir, 1000)
    const b = chunk(800)
    await assert.rejects(reopened.put(b.hash, b.data), (err) => hasCode(err, 'ERR_QUOTA_EXCEEDED'))
    assert.equal(reopened.usedBytes, 300)
  })
})
