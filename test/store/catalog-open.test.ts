/**
 * Opening a catalog never runs on a damaged one: emptied, truncated, corrupt,
 * foreign or schema-less files are refused with ERR_CATALOG_CORRUPT naming
 * the file; a missing one is created whole or not at all. Real SQLite files.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, open, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Catalog } from '../../src/store/catalog.js'
import { CATALOG_APPLICATION_ID, MIGRATIONS } from '../../src/store/migrations.js'
import { createManifest, encodeManifest, fileIdFromManifestBytes } from '../../src/content/manifest.js'
import { chunkCount, MIB } from '../../src/content/chunk-size.js'
import { hasCode } from '../../src/errors.js'

const PAGE_BYTES = 4096

/** A catalog holding `files` files (each with a local copy) and a download with many chunks: several pages. */
function populate (path: string, files = 40): void {
  const catalog = new Catalog(path)
  try {
    for (let i = 0; i < files; i++) {
      const size = 50 * MIB + i
      const manifest = createManifest({ name: `file-${i}.bin`, size, chunkSize: MIB, hashes: randomBytes(32 * chunkCount(size, MIB)) })
      const id = fileIdFromManifestBytes(encodeManifest(manifest))
      catalog.putFile(id, manifest)
      catalog.putLocalCopy({ fileId: id, path: `/data/file-${i}.bin`, size, mtimeMs: 1, origin: 'shared' })
      if (i === 0) {
        catalog.createDownload({ id: 'job', fileId: id, dest: '/data/out.bin', hints: [] })
        for (let c = 0; c < 51; c++) catalog.addVerifiedChunk('job', c)
      }
    }
  } finally {
    catalog.close()
  }
}

/** Asserts that opening `path` is refused as a damaged catalog, naming the file and the way out. */
function assertRefused (path: string, why: RegExp): void {
  assert.throws(() => new Catalog(path), (err: unknown) => {
    assert.ok(hasCode(err, 'ERR_CATALOG_CORRUPT'), String(err))
    const message = (err as Error).message
    assert.ok(message.includes(path), message)
    assert.match(message, /move it aside/)
    assert.match(message, why)
    assert.doesNotMatch(message, /\n/, 'one line')
    return true
  })
}

describe('opening the catalog', () => {
  let dir: string
  let n = 0
  const dbPath = (): string => join(dir, `catalog-${n++}.db`)
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'shoal-catalog-open-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('creates a missing catalog whole, stamped as Shoal\'s, and leaves no temporary file', async () => {
    const path = dbPath()
    new Catalog(path).close()
    assert.deepEqual((await readdir(dir)).filter(f => f.startsWith('catalog-0')), ['catalog-0.db'])
    const db = new Database(path, { readonly: true })
    try {
      assert.equal(db.pragma('application_id', { simple: true }), CATALOG_APPLICATION_ID)
      assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length)
    } finally {
      db.close()
    }
  })

  it('reopens a populated catalog with its data', () => {
    const path = dbPath()
    populate(path)
    const catalog = new Catalog(path)
    try {
      assert.equal(catalog.listFiles().length, 40)
      assert.equal(catalog.verifiedChunks('job').length, 51)
    } finally {
      catalog.close()
    }
  })

  it('starts afresh over a half-made catalog left by a start that was killed', async () => {
    const path = dbPath()
    await writeFile(path + '.new', randomBytes(1000))
    new Catalog(path).close()
    await assert.rejects(stat(path + '.new'))
    new Catalog(path).close()
  })

  it('refuses an emptied catalog (truncated to 0 bytes)', async () => {
    const path = dbPath()
    populate(path)
    await truncate(path, 0)
    assertRefused(path, /empty \(0 bytes\)/)
    assert.equal((await stat(path)).size, 0, 'the file is left as it was')
  })

  it('refuses a catalog cut in half', async () => {
    const path = dbPath()
    populate(path)
    const size = (await stat(path)).size
    assert.ok(size >= 8 * PAGE_BYTES, `${size} bytes`)
    await truncate(path, Math.floor(size / 2))
    assertRefused(path, /malformed|quick_check/)
  })

  it('refuses a catalog with random bytes over its middle pages', async () => {
    const path = dbPath()
    populate(path)
    const pages = (await stat(path)).size / PAGE_BYTES
    const fh = await open(path, 'r+')
    try {
      const first = Math.floor(pages / 3)
      const count = Math.max(1, Math.floor(pages / 3))
      await fh.write(randomBytes(count * PAGE_BYTES), 0, count * PAGE_BYTES, first * PAGE_BYTES)
    } finally {
      await fh.close()
    }
    assertRefused(path, /malformed|quick_check/)
  })

  it('refuses a file that is not SQLite at all', async () => {
    const path = dbPath()
    await writeFile(path, randomBytes(20_000))
    assertRefused(path, /not a database/)
  })

  it('refuses another application\'s SQLite database', () => {
    const path = dbPath()
    const db = new Database(path)
    db.pragma('application_id = 1234')
    db.exec('CREATE TABLE t (x)')
    db.close()
    assertRefused(path, /another application/)
  })

  it('refuses a catalog whose schema was lost', () => {
    const path = dbPath()
    const db = new Database(path)
    db.pragma('journal_mode = WAL')
    db.close()
    assertRefused(path, /no schema/)
  })

  it('refuses a catalog whose tables were dropped', () => {
    const path = dbPath()
    populate(path, 1)
    const db = new Database(path)
    db.exec('DROP TABLE download_chunks')
    db.close()
    assertRefused(path, /tables are missing: download_chunks/)
  })

  it('refuses a catalog written by a newer Shoal', () => {
    const path = dbPath()
    populate(path, 1)
    const db = new Database(path)
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`)
    db.close()
    assertRefused(path, /newer Shoal/)
  })

  it('accepts and stamps a catalog made before it carried an application_id', () => {
    const path = dbPath()
    populate(path, 2)
    const db = new Database(path)
    db.pragma('application_id = 0')
    db.close()
    const catalog = new Catalog(path)
    assert.equal(catalog.listFiles().length, 2)
    catalog.close()
    const check = new Database(path, { readonly: true })
    try {
      assert.equal(check.pragma('application_id', { simple: true }), CATALOG_APPLICATION_ID)
    } finally {
      check.close()
    }
  })
})
