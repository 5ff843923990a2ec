/**
 * Schema migrations for the catalog, applied in order inside one transaction
 * each; `PRAGMA user_version` records how many have run. Append only: a
 * released migration is never edited, so old data dirs upgrade cleanly.
 */

/**
 * `PRAGMA application_id` of a Shoal catalog ("Shol" in ASCII), so a catalog
 * is told apart from any other SQLite file (see catalog-open.ts).
 */
export const CATALOG_APPLICATION_ID = 0x53686f6c

/**
 * Tables the catalog's statements use: all must exist after migrating, or
 * the file is not a whole catalog. A migration adding a table adds it here.
 */
export const REQUIRED_TABLES: readonly string[] = ['files', 'local_copies', 'downloads', 'download_chunks', 'held_files', 'held_records', 'held_chunks']

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE files (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    chunk_size  INTEGER NOT NULL,
    chunk_count INTEGER NOT NULL,
    manifest    BLOB NOT NULL,
    added_at    INTEGER NOT NULL
  );

  -- Complete copies on disk, served in place (never copied into the store).
  CREATE TABLE local_copies (
    file_id  TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    path     TEXT NOT NULL,
    size     INTEGER NOT NULL,
    mtime_ms REAL NOT NULL,
    origin   TEXT NOT NULL CHECK (origin IN ('shared', 'downloaded')),
    PRIMARY KEY (file_id, path)
  );

  CREATE TABLE downloads (
    id         TEXT PRIMARY KEY,
    file_id    TEXT NOT NULL,
    dest       TEXT NOT NULL,
    state      TEXT NOT NULL,
    error      TEXT,
    hints      TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX downloads_by_file ON downloads(file_id, dest);

  -- Verified chunks of a download. 'synced' turns 1 once the part file has
  -- been fdatasync'd after the chunk was written: after a crash only unsynced
  -- chunks need re-hashing from the part file.
  CREATE TABLE download_chunks (
    download_id TEXT NOT NULL REFERENCES downloads(id) ON DELETE CASCADE,
    chunk_index INTEGER NOT NULL,
    synced      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (download_id, chunk_index)
  ) WITHOUT ROWID;
  `,
  // 2: the rest of a local copy's identity (see content/file-check.ts). With
  // size and mtime alone, a file rewritten in place and given its old mtime
  // back (`touch -r`) looked unchanged. NULL for copies recorded before.
  `
  ALTER TABLE local_copies ADD COLUMN ctime_ms REAL;
  ALTER TABLE local_copies ADD COLUMN ino INTEGER;
  ALTER TABLE local_copies ADD COLUMN dev INTEGER;
  `,
  // 3: files whose chunks other peers pushed here for storage (distribution,
  // src/distribute/holder-registry.ts): the manifest, the distribution record
  // chain (an uploader-signed version, then repair updates; re-verified on
  // open), and the chunks held, each charged to the file's uploader for the
  // per-uploader quota. Chunk bytes live in chunks/ (store/chunk-store.ts).
  // The records this node signed as an uploader are files of their own
  // (node/own-records.ts), written before any push under them.
  `
  CREATE TABLE held_files (
    file_id  TEXT PRIMARY KEY,
    manifest BLOB NOT NULL,
    uploader TEXT NOT NULL,
    added_at INTEGER NOT NULL
  );

  CREATE TABLE held_records (
    file_id TEXT NOT NULL REFERENCES held_files(file_id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    bytes   BLOB NOT NULL,
    PRIMARY KEY (file_id, seq)
  ) WITHOUT ROWID;

  CREATE TABLE held_chunks (
    file_id     TEXT NOT NULL REFERENCES held_files(file_id) ON DELETE CASCADE,
    chunk_index INTEGER NOT NULL,
    hash        BLOB NOT NULL,
    size        INTEGER NOT NULL,
    uploader    TEXT NOT NULL,
    PRIMARY KEY (file_id, chunk_index)
  ) WITHOUT ROWID;
  CREATE INDEX held_chunks_by_uploader ON held_chunks(uploader);
  CREATE INDEX held_chunks_by_hash ON held_chunks(hash);
  `
]
