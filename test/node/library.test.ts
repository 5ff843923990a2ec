/**
 * The library's watch over complete copies: a copy deleted or rewritten on
 * disk is unshared by the periodic identity check even when no peer reads it
 * (nothing else would notice a file that is never asked for). Real catalog,
 * real files.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Catalog } from '../../src/store/catalog.js'
import { Library, type FileChangedEvent } from '../../src/node/library.js'
import { rotInPlace, tempDir, waitFor } from '../helpers/cli.js'

const WATCH_MS = 50

test('the periodic check unshares copies deleted or rewritten (touch -r) on disk, without any read', async (t) => {
  const dir = await tempDir(t)
  const catalog = new Catalog(join(dir, 'shoal.db'))
  const library = new Library(catalog)
  t.after(async () => { await library.close(); catalog.close() })
  const paths = { deleted: join(dir, 'deleted.bin'), rewritten: join(dir, 'rewritten.bin'), kept: join(dir, 'kept.bin') }
  const ids: Record<string, string> = {}
  for (const [name, path] of Object.entries(paths)) {
    await writeFile(path, randomBytes(100_000))
    ids[name] = (await library.share(path)).id
  }
  const events: FileChangedEvent[] = []
  library.on('file:changed', (e) => { events.push(e) })
  library.startWatching(WATCH_MS)

  await new Promise(resolve => setTimeout(resolve, 20)) // past the timestamp granularity
  await rm(paths.deleted)
  await rotInPlace(paths.rewritten, [500])
  await waitFor(() => events.length >= 2, 10_000, 'two file:changed events') // polls with a timer that holds the loop (the watch's is unref'd)
  assert.deepEqual(events.map(e => [e.path, e.reason]).sort(), [[paths.deleted, 'deleted'], [paths.rewritten, 'changed']])
  assert.deepEqual(catalog.localCopies(ids.deleted as string), [])
  assert.deepEqual(catalog.localCopies(ids.rewritten as string), [])
  assert.equal(library.getServedFile(ids.deleted as string), undefined)
  assert.equal(library.getServedFile(ids.rewritten as string), undefined)
  assert.equal(catalog.localCopies(ids.kept as string).length, 1, 'an untouched copy stays shared')
  await new Promise(resolve => setTimeout(resolve, 4 * WATCH_MS))
  assert.equal(events.length, 2, 'each copy is reported once')
})
