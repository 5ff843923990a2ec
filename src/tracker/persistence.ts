/**
 * Write-behind persistence of the tracker index to `<dataDir>/tracker.db`
 * (SQLite, WAL), so a restarted tracker serves its last known peers at once.
 *
 * The in-memory registry stays authoritative. Each change only marks its peer
 * (and the files it touched) as pending; a timer writes the pending peers in
 * batched transactions, reading the registry's *current* state, so a burst of
 * announces costs a few commits, not one fsync each, and replaying is
 * idempotent. better-sqlite3 is synchronous, so each transaction stops after
 * WRITE_SLICE_MS and the rest follows on the next turn of the event loop:
 * requests keep being served while a large backlog is written.
 * The state is only a cache of what peers re-announce anyway: a database that
 * is not SQLite or is corrupt is moved aside and the tracker starts empty.
 */
import { mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { ShoalError, hasCode } from '../errors.js'
import type { Database as DB, Statement } from 'better-sqlite3'
import type { PeerChange, PeerView } from './registry.js'

/** Longest one write transaction may hold the event loop. */
const WRITE_SLICE_MS = 10

/** File name of the tracker database inside the data dir. */
export const TRACKER_DB_FILE = 'tracker.db'

const MIGRATIONS: readonly string[] = [`
  CREATE TABLE peers (
    peer_id   TEXT PRIMARY KEY,
    addrs     TEXT NOT NULL,
    last_seen INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE peer_files (
    peer_id TEXT NOT NULL,
    file_id TEXT NOT NULL,
    PRIMARY KEY (peer_id, file_id)
  ) WITHOUT ROWID;
`]

/** A peer as saved, in ascending `lastSeen` order when loaded. */
export interface SavedPeer {
  readonly peerId: string
  readonly addrs: string[]
  readonly files: string[]
  readonly lastSeen: number
}

/** Where the store reads the current state of a pending peer from. */
export interface PeerSource {
  peer: (peerId: string) => PeerView | undefined
}

/** Options of {@link openTrackerStore}. */
export interface TrackerStoreInit {
  readonly dataDir: string
  readonly source: PeerSource
  readonly flushIntervalMs: number
  /** Pending peers that trigger a write before the interval is up. */
  readonly batchPeers: number
  /** Recoverable trouble (a failed write, a database moved aside). */
  readonly onWarning: (err: ShoalError) => void
}

interface Pending {
  replaced: boolean
  readonly touched: Set<string>
}

/** Opens (creating or salvaging) the database and loads the saved peers. */
export function openTrackerStore (init: TrackerStoreInit): { store: TrackerStore, saved: SavedPeer[] } {
  const path = join(init.dataDir, TRACKER_DB_FILE)
  try {
    mkdirSync(init.dataDir, { recursive: true })
    const db = openDb(path)
    let saved: SavedPeer[]
    try {
      saved = loadPeers(db)
    } catch (err) {
      db.close()
      throw err
    }
    return { store: new TrackerStore(db, init), saved }
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (hasCode(err, 'ERR_INVALID_CONFIG')) throw err
    if (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT') {
      throw new ShoalError('ERR_INVALID_CONFIG', `cannot open the tracker database ${path}: ${(err as Error).message}`, { path }, { cause: err })
    }
    const aside = `${path}.corrupt-${Date.now()}`
    renameSync(path, aside)
    for (const suffix of ['-wal', '-shm']) rmSync(path + suffix, { force: true })
    init.onWarning(new ShoalError('ERR_INTERNAL', `tracker database was unreadable; moved to ${aside}`, { path: aside }, { cause: err }))
    return { store: new TrackerStore(openDb(path), init), saved: [] }
  }
}

/** Write-behind writer of registry changes; see the module comment. */
export class TrackerStore {
  readonly #db: DB
  readonly #init: TrackerStoreInit
  readonly #stmts: Record<'upsertPeer' | 'deletePeer' | 'insertFile' | 'deleteFile' | 'deleteFiles', Statement>
  readonly #timer: NodeJS.Timeout
  readonly #pending = new Map<string, Pending>()
  #draining = false
  #closed = false

  constructor (db: DB, init: TrackerStoreInit) {
    this.#db = db
    this.#init = init
    this.#stmts = {
      upsertPeer: db.prepare(`INSERT INTO peers (peer_id, addrs, last_seen) VALUES (?, ?, ?)
        ON CONFLICT (peer_id) DO UPDATE SET addrs = excluded.addrs, last_seen = excluded.last_seen`),
      deletePeer: db.prepare('DELETE FROM peers WHERE peer_id = ?'),
      insertFile: db.prepare('INSERT OR IGNORE INTO peer_files (peer_id, file_id) VALUES (?, ?)'),
      deleteFile: db.prepare('DELETE FROM peer_files WHERE peer_id = ? AND file_id = ?'),
      deleteFiles: db.prepare('DELETE FROM peer_files WHERE peer_id = ?')
    }
    this.#timer = setInterval(() => { this.#drain() }, init.flushIntervalMs).unref()
  }

  /** Peers waiting to be written. */
  get pendingPeers (): number { return this.#pending.size }

  /** Notes a change; it is written with the next batch. */
  record (change: PeerChange): void {
    if (this.#closed) return
    let p = this.#pending.get(change.peerId)
    if (p === undefined) {
      p = { replaced: false, touched: new Set() }
      this.#pending.set(change.peerId, p)
    }
    // A removal or a full replace rewrites the whole set: touched files no longer matter.
    if (change.removed || change.replaced) {
      p.replaced = true
      p.touched.clear()
    } else if (!p.replaced) {
      for (const f of change.added) p.touched.add(f)
      for (const f of change.dropped) p.touched.add(f)
    }
    if (this.#pending.size >= this.#init.batchPeers) this.#drain()
  }

  /** Writes every pending peer now, without yielding. A failure is a warning; what failed stays pending. */
  flush (): void {
    while (this.#pending.size > 0 && this.#writeSlice()) { /* until written or failed */ }
  }

  /** Writes what is pending one time-boxed transaction per event-loop turn. */
  #drain (): void {
    if (this.#draining) return
    this.#draining = true
    const step = (): void => {
      if (this.#pending.size > 0 && this.#writeSlice()) {
        setImmediate(step)
      } else {
        this.#draining = false
      }
    }
    setImmediate(step)
  }

  /** One transaction of at most ~WRITE_SLICE_MS; true if it committed. */
  #writeSlice (): boolean {
    if (this.#closed) return false
    const written: string[] = []
    try {
      this.#db.transaction(() => {
        const started = performance.now()
        for (const [peerId, p] of this.#pending) {
          this.#write(peerId, p)
          written.push(peerId)
          if (performance.now() - started > WRITE_SLICE_MS) break
        }
      })()
    } catch (err) {
      this.#init.onWarning(new ShoalError('ERR_INTERNAL', 'could not save tracker state', {}, { cause: err }))
      return false
    }
    // Synchronous since the transaction began: nothing re-marked these peers meanwhile.
    for (const peerId of written) this.#pending.delete(peerId)
    return true
  }

  /** Writes what is pending and closes the database. Idempotent. */
  close (): void {
    if (this.#closed) return
    clearInterval(this.#timer)
    this.flush()
    this.#closed = true
    this.#db.close()
  }

  #write (peerId: string, p: Pending): void {
    const s = this.#stmts
    const peer = this.#init.source.peer(peerId)
    if (peer === undefined) {
      s.deletePeer.run(peerId)
      s.deleteFiles.run(peerId)
      return
    }
    s.upsertPeer.run(peerId, JSON.stringify(peer.addrs), peer.lastSeen)
    if (p.replaced) {
      s.deleteFiles.run(peerId)
      for (const f of peer.files) s.insertFile.run(peerId, f)
      return
    }
    for (const f of p.touched) (peer.files.has(f) ? s.insertFile : s.deleteFile).run(peerId, f)
  }
}

function openDb (path: string): DB {
  const db = new Database(path)
  try {
    db.pragma('journal_mode = WAL')
    // WAL + NORMAL survives a process crash; a power cut may lose the last
    // batch, which peers re-announce within one interval anyway.
    db.pragma('synchronous = NORMAL')
    migrate(db)
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

function migrate (db: DB): void {
  const version = db.pragma('user_version', { simple: true }) as number
  if (version > MIGRATIONS.length) {
    throw new ShoalError('ERR_INVALID_CONFIG', `tracker.db has schema version ${version}; this tracker knows ${MIGRATIONS.length}`)
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string)
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
}

function loadPeers (db: DB): SavedPeer[] {
  const files = new Map<string, string[]>()
  for (const row of db.prepare('SELECT peer_id, file_id FROM peer_files').iterate() as Iterable<{ peer_id: string, file_id: string }>) {
    let list = files.get(row.peer_id)
    if (list === undefined) files.set(row.peer_id, list = [])
    list.push(row.file_id)
  }
  const rows = db.prepare('SELECT peer_id, addrs, last_seen FROM peers ORDER BY last_seen').all() as Array<{ peer_id: string, addrs: string, last_seen: number }>
  return rows.map(r => ({ peerId: r.peer_id, addrs: parseAddrs(r.addrs), files: files.get(r.peer_id) ?? [], lastSeen: r.last_seen }))
}

/** Saved addresses, or none if the column was tampered with. */
function parseAddrs (json: string): string[] {
  try {
    const value: unknown = JSON.parse(json)
    return Array.isArray(value) ? value.filter((a): a is string => typeof a === 'string') : []
  } catch {
    // Unparseable (tampered) column: the peer is served without addresses until it re-announces.
    return []
  }
}
