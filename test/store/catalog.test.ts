import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Catalog } from '../../src/store/catalog.js'
import { MIGRATIONS } from '../../src/store/migrations.js'
import { createManifest, encodeManifest, fileIdFromManifestBytes, type Manifest } from '../../src/content/manifest.js'
import { chunkCount, MIB, MIN_CHUNK_SIZE_BYTES } from '../../src/content/chunk-size.js'

/** A manifest with random chunk hashes and its file ID. */
function randomFile (name: string, size: number, chunkSize = MIB): { id: string, manifest: Manifest } {
  const manifest = createManifest({ name, size, chunkSize, hashes: randomBytes(32 * chunkCount(size, chunkSize)) })
  return { id: fileIdFromManifestBytes(encodeManifest(manifest)), manifest }
}

/** `PRAGMA user_version` and table names of a catalog file, read behind the Catalog's back. */
function inspect (path: string): { version: number, tables: string[] } {
  const db = new Database(path, { readonly: true })
  try {
    const version = db.pragma('user_version', { simple: true }) as number
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map(r => r.name)
    return { version, tables }
  } finally {
    db.close()
  }
}

describe('Catalog', () => {
  let dir: string
  let n = 0
  /** A fresh database path per test. */
  const dbPath = (): string => join(dir, `catalog-${n++}.db`)
  /** A fresh catalog, closed when the suite ends. */
  const opened: Catalog[] = []
  const open = (path = dbPath()): Catalog => {
    const catalog = new Catalog(path)
    opened.push(catalog)
    return catalog
  }

  before(async () => { dir = await mkdtemp(join(tmpdir(), 'shoal-catalog-')) })
  after(async () => {
    for (const catalog of opened) catalog.close()
    await rm(dir, { recursive: true, force: true })
  })

  describe('migrations', () => {
    it('run on a new database and advance user_version to the number of migrations', () => {
      const path = dbPath()
      open(path).close()
      const { version, tables } = inspect(path)
      assert.equal(version, MIGRATIONS.length)
      assert.deepEqual(tables, ['download_chunks', 'downloads', 'files', 'held_chunks', 'held_files', 'held_records', 'local_copies'])
    })

    it('do not run again on reopen, and the data is kept', () => {
      const path = dbPath()
      const file = randomFile('kept.bin', 3 * MIB + 1)
      const first = open(path)
      first.putFile(file.id, file.manifest, 1000)
      first.createDownload({ id: 'job1', fileId: file.id, dest: '/tmp/kept.bin', hints: ['/ip4/127.0.0.1/tcp/1'] }, 2000)
      first.addVerifiedChunk('job1', 2)
      first.close()
      // A second run of migration 1 would fail on CREATE TABLE: reopening proves it was skipped.
      const second = open(path)
      assert.equal(inspect(path).version, MIGRATIONS.length)
      const record = second.getFile(file.id)
      assert.ok(record)
      assert.deepEqual(record.manifest, file.manifest)
      assert.equal(record.addedAt, 1000)
      assert.deepEqual(second.getDownload('job1')?.hints, ['/ip4/127.0.0.1/tcp/1'])
      assert.deepEqual(second.verifiedChunks('job1'), [2])
      second.close()
    })

    it('close is idempotent', () => {
      const catalog = open()
      catalog.close()
      catalog.close()
    })
  })

  describe('files', () => {
    it('round-trips manifests through putFile, getFile and listFiles', () => {
      const catalog = open()
      const a = randomFile('a.bin', 5 * MIB + 17)
      const b = randomFile('b.txt', 40_000, MIN_CHUNK_SIZE_BYTES)
      const empty = randomFile('empty', 0)
      catalog.putFile(b.id, b.manifest, 20)
      catalog.putFile(a.id, a.manifest, 10)
      catalog.putFile(empty.id, empty.manifest, 30)
      assert.deepEqual(catalog.getFile(a.id), { id: a.id, manifest: a.manifest, addedAt: 10 })
      assert.deepEqual(catalog.getFile(empty.id)?.manifest, empty.manifest)
      assert.deepEqual(catalog.listFiles().map(r => r.id), [a.id, b.id, empty.id], 'ordered by addedAt')
      assert.deepEqual(catalog.listFiles().map(r => r.manifest), [a.manifest, b.manifest, empty.manifest])
    })

    it('returns undefined for an unknown file', () => {
      assert.equal(open().getFile('bafy-nope'), undefined)
    })

    it('keeps the first record when the same file is put twice', () => {
      const catalog = open()
      const file = randomFile('twice.bin', MIB)
      catalog.putFile(file.id, file.manifest, 1)
      catalog.putFile(file.id, file.manifest, 2)
      assert.equal(catalog.listFiles().length, 1)
      assert.equal(catalog.getFile(file.id)?.addedAt, 1)
    })
  })

  describe('local copies', () => {
    it('records, replaces, lists and deletes copies', () => {
      const catalog = open()
      const file = randomFile('copy.bin', 2 * MIB)
      catalog.putFile(file.id, file.manifest)
      assert.deepEqual(catalog.localCopies(file.id), [])
      catalog.putLocalCopy({ fileId: file.id, path: '/data/copy.bin', size: 2 * MIB, mtimeMs: 1234.5, origin: 'shared' })
      catalog.putLocalCopy({ fileId: file.id, path: '/dl/copy.bin', size: 2 * MIB, mtimeMs: 99, origin: 'downloaded' })
      // Same (file, path): the newer fingerprint replaces the old one.
      catalog.putLocalCopy({ fileId: file.id, path: '/data/copy.bin', size: 2 * MIB, mtimeMs: 5678.25, origin: 'shared' })
      const copies = catalog.localCopies(file.id).sort((x, y) => x.path.localeCompare(y.path))
      assert.deepEqual(copies, [
        { fileId: file.id, path: '/data/copy.bin', size: 2 * MIB, mtimeMs: 5678.25, origin: 'shared' },
        { fileId: file.id, path: '/dl/copy.bin', size: 2 * MIB, mtimeMs: 99, origin: 'downloaded' }
      ])
      catalog.deleteLocalCopy(file.id, '/data/copy.bin')
      assert.deepEqual(catalog.localCopies(file.id).map(c => c.path), ['/dl/copy.bin'])
    })

    it('records a copy\'s whole identity (ctime, inode, device); copies from before migration 2 have only size and mtime', () => {
      const path = dbPath()
      const catalog = open(path)
      const file = randomFile('ident.bin', MIB)
      catalog.putFile(file.id, file.manifest)
      const identity = { size: MIB, mtimeMs: 1234.5, ctimeMs: 5678.75, ino: 2 ** 40 + 3, dev: 66306 }
      catalog.putLocalCopy({ fileId: file.id, path: '/new.bin', ...identity, origin: 'shared' })
      catalog.putLocalCopy({ fileId: file.id, path: '/old.bin', size: MIB, mtimeMs: 99, origin: 'downloaded' })
      const copies = catalog.localCopies(file.id).sort((a, b) => a.path.localeCompare(b.path))
      assert.deepEqual(copies, [
        { fileId: file.id, path: '/new.bin', ...identity, origin: 'shared' },
        { fileId: file.id, path: '/old.bin', size: MIB, mtimeMs: 99, origin: 'downloaded' }
      ])
    })

    it('upgrades a version-1 database in place: its copies are kept, without the new fields', () => {
      const path = dbPath()
      const db = new Database(path)
      db.exec(MIGRATIONS[0] as string)
      db.pragma('user_version = 1')
      const file = randomFile('v1.bin', MIB)
      db.prepare('INSERT INTO files (id, name, size, chunk_size, chunk_count, manifest, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(file.id, 'v1.bin', MIB, MIB, 1, Buffer.from(encodeManifest(file.manifest)), 1)
      db.prepare("INSERT INTO local_copies (file_id, path, size, mtime_ms, origin) VALUES (?, '/v1.bin', ?, 42, 'shared')").run(file.id, MIB)
      db.close()
      const catalog = open(path)
      assert.equal(inspect(path).version, MIGRATIONS.length)
      assert.deepEqual(catalog.localCopies(file.id), [{ fileId: file.id, path: '/v1.bin', size: MIB, mtimeMs: 42, origin: 'shared' }])
    })

    it('refuses a copy of a file it does not know (foreign key)', () => {
      const catalog = open()
      assert.throws(() => {
        catalog.putLocalCopy({ fileId: 'unknown', path: '/x', size: 1, mtimeMs: 1, origin: 'shared' })
      }, /FOREIGN KEY/)
    })
  })

  describe('downloads', () => {
    it('creates a running download and finds it again', () => {
      const catalog = open()
      const file = randomFile('dl.bin', 4 * MIB)
      const record = catalog.createDownload({ id: 'd1', fileId: file.id, dest: '/dl/dl.bin', hints: ['/ip4/10.0.0.1/tcp/4001'] }, 500)
      assert.deepEqual(record, {
        id: 'd1',
        fileId: file.id,
        dest: '/dl/dl.bin',
        state: 'running',
        error: null,
        hints: ['/ip4/10.0.0.1/tcp/4001'],
        createdAt: 500,
        updatedAt: 500
      })
      assert.deepEqual(catalog.getDownload('d1'), record)
      assert.deepEqual(catalog.findResumable(file.id, '/dl/dl.bin'), record)
      assert.equal(catalog.findResumable(file.id, '/elsewhere/dl.bin'), undefined)
      assert.equal(catalog.findResumable('other-file', '/dl/dl.bin'), undefined)
      assert.equal(catalog.getDownload('nope'), undefined)
    })

    it('setDownloadState updates state, error and updatedAt', () => {
      const catalog = open()
      catalog.createDownload({ id: 'd1', fileId: 'f', dest: '/d', hints: [] }, 100)
      catalog.setDownloadState('d1', 'failed', 'ERR_NO_SOURCES_LEFT', 200)
      assert.deepEqual(catalog.getDownload('d1'), {
        id: 'd1', fileId: 'f', dest: '/d', state: 'failed', error: 'ERR_NO_SOURCES_LEFT', hints: [], createdAt: 100, updatedAt: 200
      })
      catalog.setDownloadState('d1', 'running', null, 300)
      assert.equal(catalog.getDownload('d1')?.error, null)
      assert.equal(catalog.getDownload('d1')?.state, 'running')
    })

    it('findResumable ignores completed downloads and picks the newest unfinished one', () => {
      const catalog = open()
      catalog.createDownload({ id: 'old', fileId: 'f', dest: '/d', hints: [] }, 100)
      catalog.createDownload({ id: 'new', fileId: 'f', dest: '/d', hints: [] }, 200)
      assert.equal(catalog.findResumable('f', '/d')?.id, 'new')
      catalog.setDownloadState('new', 'completed')
      assert.equal(catalog.findResumable('f', '/d')?.id, 'old')
      for (const state of ['stalled', 'paused', 'failed', 'cancelled'] as const) {
        catalog.setDownloadState('old', state)
        assert.equal(catalog.findResumable('f', '/d')?.id, 'old', state)
      }
      catalog.setDownloadState('old', 'completed')
      assert.equal(catalog.findResumable('f', '/d'), undefined)
      assert.deepEqual(catalog.listDownloads().map(d => d.id), ['old', 'new'], 'completed ones are still listed')
    })

    it('refuses two downloads with the same id', () => {
      const catalog = open()
      catalog.createDownload({ id: 'dup', fileId: 'f', dest: '/d', hints: [] })
      assert.throws(() => catalog.createDownload({ id: 'dup', fileId: 'f', dest: '/e', hints: [] }), /UNIQUE/)
    })

    it('tracks verified chunks: add (idempotent), list, forget', () => {
      const catalog = open()
      catalog.createDownload({ id: 'd', fileId: 'f', dest: '/d', hints: [] })
      assert.deepEqual(catalog.verifiedChunks('d'), [])
      for (const i of [5, 0, 3, 3]) catalog.addVerifiedChunk('d', i)
      assert.deepEqual(catalog.verifiedChunks('d').sort((a, b) => a - b), [0, 3, 5])
      catalog.forgetChunk('d', 3)
      catalog.forgetChunk('d', 42)
      assert.deepEqual(catalog.verifiedChunks('d').sort((a, b) => a - b), [0, 5])
    })

    it('refuses verified chunks of an unknown download (foreign key)', () => {
      assert.throws(() => { open().addVerifiedChunk('ghost', 0) }, /FOREIGN KEY/)
    })

    it('separates unsynced chunks from those marked synced', () => {
      const catalog = open()
      catalog.createDownload({ id: 'd', fileId: 'f', dest: '/d', hints: [] })
      catalog.createDownload({ id: 'other', fileId: 'g', dest: '/e', hints: [] })
      for (const i of [0, 1, 2, 3]) catalog.addVerifiedChunk('d', i)
      catalog.addVerifiedChunk('other', 1)
      assert.deepEqual(catalog.unsyncedChunks('d').sort(), [0, 1, 2, 3])
      catalog.markChunksSynced('d', [1, 3, 99])
      assert.deepEqual(catalog.unsyncedChunks('d').sort(), [0, 2])
      assert.deepEqual(catalog.verifiedChunks('d').sort(), [0, 1, 2, 3], 'synced chunks are still verified')
      assert.deepEqual(catalog.unsyncedChunks('other'), [1], 'only the named download is marked')
      // Re-adding a synced chunk must not reset it to unsynced.
      catalog.addVerifiedChunk('d', 1)
      assert.deepEqual(catalog.unsyncedChunks('d').sort(), [0, 2])
      catalog.markChunksSynced('d', [])
      assert.deepEqual(catalog.unsyncedChunks('d').sort(), [0, 2])
    })

    it('deleteDownload drops its chunks too', () => {
      const catalog = open()
      catalog.createDownload({ id: 'd', fileId: 'f', dest: '/d', hints: [] })
      catalog.addVerifiedChunk('d', 0)
      catalog.deleteDownload('d')
      assert.equal(catalog.getDownload('d'), undefined)
      assert.deepEqual(catalog.verifiedChunks('d'), [])
      // The id is free again, with no leftover chunks.
      catalog.createDownload({ id: 'd', fileId: 'f', dest: '/d', hints: [] })
      assert.deepEqual(catalog.verifiedChunks('d'), [])
    })
  })

  describe('deleteFile', () => {
    it('cascades to local copies, downloads and their chunks, and nothing else', () => {
      const catalog = open()
      const doomed = randomFile('doomed.bin', 3 * MIB)
      const kept = randomFile('kept.bin', 3 * MIB)
      for (const f of [doomed, kept]) {
        catalog.putFile(f.id, f.manifest)
        catalog.putLocalCopy({ fileId: f.id, path: `/data/${f.manifest.name}`, size: f.manifest.size, mtimeMs: 1, origin: 'shared' })
      }
      catalog.createDownload({ id: 'd1', fileId: doomed.id, dest: '/a', hints: [] })
      catalog.createDownload({ id: 'd2', fileId: doomed.id, dest: '/b', hints: [] })
      catalog.createDownload({ id: 'k1', fileId: kept.id, dest: '/c', hints: [] })
      for (const id of ['d1', 'd2', 'k1']) catalog.addVerifiedChunk(id, 0)

      catalog.deleteFile(doomed.id)

      assert.equal(catalog.getFile(doomed.id), undefined)
      assert.deepEqual(catalog.localCopies(doomed.id), [])
      assert.equal(catalog.getDownload('d1'), undefined)
      assert.equal(catalog.getDownload('d2'), undefined)
      assert.deepEqual(catalog.verifiedChunks('d1'), [])
      assert.deepEqual(catalog.verifiedChunks('d2'), [])
      assert.deepEqual(catalog.listFiles().map(r => r.id), [kept.id])
      assert.equal(catalog.localCopies(kept.id).length, 1)
      assert.equal(catalog.getDownload('k1')?.fileId, kept.id)
      assert.deepEqual(catalog.verifiedChunks('k1'), [0])
    })

    it('is a no-op for an unknown file', () => {
      const catalog = open()
      const file = randomFile('stay.bin', MIB)
      catalog.putFile(file.id, file.manifest)
      catalog.deleteFile('unknown')
      assert.equal(catalog.listFiles().length, 1)
    })
  })
})
