import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openTrackerStore, TRACKER_DB_FILE, type SavedPeer } from '../../src/tracker/persistence.js'
import { Registry, type Announce } from '../../src/tracker/registry.js'
import { hasCode, type ShoalError } from '../../src/errors.js'
import { FakeClock, tempDir } from './helpers.js'

function registry (clock: FakeClock): Registry {
  return new Registry({ peerTtlMs: 180_000, maxPeers: 1000, maxFilesPerPeer: 1000, maxIndexBytes: 1e9, ipShareBytes: Infinity, now: clock.now })
}

function ann (peerId: string, files: string[], more: Partial<Announce> = {}): Announce {
  return { peerId, addrs: [`/ip4/10.0.0.1/tcp/1/p2p/${peerId}`], files, left: [], event: 'update', ip: '192.0.2.1', ...more }
}

function open (dataDir: string, reg: Registry, warnings: ShoalError[] = []): ReturnType<typeof openTrackerStore> {
  return openTrackerStore({ dataDir, source: reg, flushIntervalMs: 60_000, batchPeers: 1_000_000, onWarning: w => warnings.push(w) })
}

const bySorted = (saved: SavedPeer[]): Array<[string, string[], number]> =>
  saved.map(p => [p.peerId, [...p.files].sort(), p.lastSeen])

describe('tracker persistence', () => {
  it('writes nothing until a flush, then one batch that reloads to the same state', async (t) => {
    const dir = await tempDir(t)
    const clock = new FakeClock()
    const reg = registry(clock)
    const { store, saved } = open(dir, reg)
    assert.deepEqual(saved, [])
    const apply = (a: Announce): void => { store.record(reg.announce(a).change) }
    apply(ann('A', ['f1', 'f2', 'f3']))
    clock.advance(10)
    apply(ann('B', ['f1']))
    apply(ann('C', ['f9']))
    clock.advance(10)
    apply(ann('A', ['f4'], { left: ['f1'] }))
    apply(ann('B', ['f5', 'f6'], { event: 'started' }))
    apply(ann('C', [], { event: 'stopped' }))

    const reader = new Database(join(dir, TRACKER_DB_FILE), { readonly: true })
    t.after(() => reader.close())
    assert.equal((reader.prepare('SELECT count(*) AS n FROM peers').get() as { n: number }).n, 0)
    assert.equal(store.pendingPeers, 3)
    store.flush()
    assert.equal(store.pendingPeers, 0)
    assert.equal((reader.prepare('SELECT count(*) AS n FROM peers').get() as { n: number }).n, 2)
    store.close()

    const again = open(dir, registry(clock))
    t.after(() => again.store.close())
    assert.deepEqual(bySorted(again.saved).sort((x, y) => x[0].localeCompare(y[0])), [
      ['A', ['f2', 'f3', 'f4'], clock.ms],
      ['B', ['f5', 'f6'], clock.ms]
    ])
    assert.deepEqual(again.saved.find(p => p.peerId === 'A')?.addrs, ['/ip4/10.0.0.1/tcp/1/p2p/A'])
  })

  it('rewrites a peer that was removed and came back before the flush', async (t) => {
    const dir = await tempDir(t)
    const clock = new FakeClock()
    const reg = registry(clock)
    const { store } = open(dir, reg)
    store.record(reg.announce(ann('A', ['f1', 'f2'])).change)
    store.flush()
    store.record(reg.announce(ann('A', [], { event: 'stopped' })).change)
    store.record(reg.announce(ann('A', ['f3'])).change)
    store.close()
    const { store: s2, saved } = open(dir, registry(clock))
    s2.close()
    assert.deepEqual(bySorted(saved), [['A', ['f3'], clock.ms]])
  })

  it('deletes expired peers it is told about', async (t) => {
    const dir = await tempDir(t)
    const clock = new FakeClock()
    const reg = registry(clock)
    const { store } = open(dir, reg)
    store.record(reg.announce(ann('A', ['f1'])).change)
    store.flush()
    clock.advance(180_000)
    for (const peerId of reg.sweep()) store.record({ peerId, removed: true, replaced: false, added: [], dropped: [] })
    store.close()
    const { store: s2, saved } = open(dir, registry(clock))
    s2.close()
    assert.deepEqual(saved, [])
  })

  it('moves an unreadable database aside with a warning and starts empty', async (t) => {
    const dir = await tempDir(t)
    await writeFile(join(dir, TRACKER_DB_FILE), 'this is not a database '.repeat(500))
    const warnings: ShoalError[] = []
    const clock = new FakeClock()
    const reg = registry(clock)
    const { store, saved } = open(dir, reg, warnings)
    assert.deepEqual(saved, [])
    assert.equal(warnings.length, 1)
    assert.match(warnings[0]?.message ?? '', /moved to/)
    assert.ok((await readdir(dir)).some(f => f.startsWith(`${TRACKER_DB_FILE}.corrupt-`)))
    store.record(reg.announce(ann('A', ['f1'])).change)
    store.close()
    const { store: s2, saved: after } = open(dir, registry(clock))
    s2.close()
    assert.equal(after.length, 1)
  })

  it('reports a data dir it cannot create', async (t) => {
    const dir = await tempDir(t)
    await writeFile(join(dir, 'file'), '')
    assert.throws(() => open(join(dir, 'file', 'sub'), registry(new FakeClock())), (err: unknown) => hasCode(err, 'ERR_INVALID_CONFIG'))
  })

  it('refuses a database written by a newer schema', async (t) => {
    const dir = await tempDir(t)
    const db = new Database(join(dir, TRACKER_DB_FILE))
    db.pragma('user_version = 99')
    db.close()
    assert.throws(() => open(dir, registry(new FakeClock())), (err: unknown) => hasCode(err, 'ERR_INVALID_CONFIG'))
  })
})
