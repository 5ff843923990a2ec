/**
 * Repair without a coordinator: surviving holders run their rounds at once
 * and sign the same map, every copy is made once, the versions verify and
 * converge; updates are acted upon only when our own watch agrees the
 * replaced peers left; forged updates are refused; surplus copies of a
 * returning holder are dropped only after the grace period.
 */
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { holderCounts, nextRecord, rootRecord, signRecord, type SignedRecord } from '../../src/distribute/record.js'
import { preferRecord, verifyUpdate } from '../../src/distribute/record-chain.js'
import { placeChunks, type PlacementPeer } from '../../src/distribute/placement.js'
import { planRepair } from '../../src/distribute/repair.js'
import { adoptOwn, Repairer, replacedBySteps, replacedPeers, type CopyJob, type RepairGeometry } from '../../src/distribute/repairer.js'
import { missingChunks, surplus, SurplusDropper } from '../../src/distribute/surplus.js'
import { fileIdFromManifestBytes } from '../../src/content/manifest.js'
import { hasCode } from '../../src/errors.js'
import { FakeClock } from '../helpers/fake-clock.js'

interface Identity { key: PrivateKey, id: string }

const MIB = 1024 * 1024
const FILE_ID = fileIdFromManifestBytes(new TextEncoder().encode('a repaired file'))
const GEOMETRY: RepairGeometry = { chunkSizeBytes: MIB }

let pool: Identity[]
let stranger: Identity

const keyOf = (id: string): PrivateKey => {
  const found = [...pool, stranger].find((i) => i.id === id)
  assert.ok(found, `no key for ${id}`)
  return found.key
}

/** Every live peer, announcing the same generous quota to everyone (so every survivor plans alike). */
const liveCandidates = (dead: ReadonlySet<string>, ids: readonly string[]): PlacementPeer[] =>
  ids.filter((id) => !dead.has(id)).map((peerId) => ({ peerId, freeBytes: 1000 * MIB }))

interface Harness { repairers: Map<string, Repairer>, copies: CopyJob[], published: Array<{ by: string, to: readonly string[], record: SignedRecord }> }

/** One Repairer per holder of `root`, each with a watch that has declared exactly `dead` departed. */
function harness (root: SignedRecord, dead: ReadonlySet<string>, ids: readonly string[], copy?: (job: CopyJob) => Promise<void>): Harness {
  const copies: CopyJob[] = []
  const published: Harness['published'] = []
  const repairers = new Map<string, Repairer>()
  for (const self of holderCounts(root.record).keys()) {
    repairers.set(self, new Repairer({
      self,
      privateKey: keyOf(self),
      isDeparted: (p) => dead.has(p),
      candidates: async () => liveCandidates(dead, ids),
      copyChunk: async (job, signal) => {
        assert.ok(signal instanceof AbortSignal)
        assert.equal(job.from, self, 'a node copies only from itself')
        await copy?.(job)
        copies.push(job)
      },
      publishRecord: async (record, to) => { published.push({ by: self, to, record }) }
    }))
  }
  return { repairers, copies, published }
}

/** The uploader's root record: 40 chunks, N = 2, on the uploader (pool[0]) and five holders. */
async function root (): Promise<SignedRecord> {
  const peers = pool.slice(0, 6).map((i) => ({ peerId: i.id, freeBytes: 1000 * MIB }))
  const { holders } = placeChunks({ fileId: FILE_ID, chunkCount: 40, chunkSizeBytes: MIB, replicas: 2, strategy: 'weighted', peers })
  return await signRecord(rootRecord({ fileId: FILE_ID, replicas: 2, strategy: 'weighted', holders, uploader: pool[0]!.id }), pool[0]!.key)
}

/** Runs a repair round on every surviving holder at once; returns the versions they signed. */
async function repairEverywhere (h: Harness, current: SignedRecord, dead: ReadonlySet<string>): Promise<SignedRecord[]> {
  const survivors = [...h.repairers.keys()].filter((p) => !dead.has(p))
  const outcomes = await Promise.all(survivors.map(async (p) => await h.repairers.get(p)!.repair(current, GEOMETRY, { signal: AbortSignal.timeout(30_000) })))
  return outcomes.flatMap((o) => o.record === null ? [] : [o.record])
}

describe('repairer', () => {
  before(async () => {
    pool = await Promise.all(Array.from({ length: 8 }, async () => {
      const key = await generateKeyPair('Ed25519')
      return { key, id: peerIdFromPrivateKey(key).toString() }
    }))
    stranger = { key: await generateKeyPair('Ed25519'), id: '' }
    stranger.id = peerIdFromPrivateKey(stranger.key).toString()
  })

  it('two or more survivors repairing at once: every copy made once, identical maps, each valid, one kept everywhere', async () => {
    const first = await root()
    const gone = pool[3]!.id
    const dead = new Set([gone])
    const ids = pool.slice(0, 6).map((i) => i.id)
    const h = harness(first, dead, ids)
    const signed = await repairEverywhere(h, first, dead)
    assert.ok(signed.length >= 2, `${signed.length} survivors signed`)

    const plan = planRepair({ ...GEOMETRY, fileId: FILE_ID, chunkCount: 40, replicas: 2, strategy: 'weighted', holders: first.record.holders, peers: liveCandidates(dead, ids) })
    const key = (o: { chunk: number, from: string, to: string }): string => `${o.chunk}:${o.from}>${o.to}`
    assert.deepEqual(h.copies.map(key).sort(), plan.orders.map(key).sort(), 'each order carried out once, by its source')
    assert.equal(plan.orders.length, holderCounts(first.record).get(gone))

    for (const s of signed) {
      assert.deepEqual(s.record.holders, plan.holders)
      assert.equal(s.record.version, 2)
      assert.ok(!holderCounts(s.record).has(gone))
      assert.equal((await verifyUpdate(first, s.bytes)).record.signer, s.record.signer)
    }
    assert.equal(new Set(signed.map((s) => s.record.signer)).size, signed.length, 'each signed by itself')
    // preferRecord picks the same byte string whatever order the versions arrive in.
    const forward = signed.reduce((a, b) => preferRecord(a, b))
    const backward = [...signed].reverse().reduce((a, b) => preferRecord(a, b))
    assert.deepEqual(forward.bytes, backward.bytes)
    // Each published to the live holders of the old and new maps, never to the departed one or itself.
    for (const p of h.published) {
      assert.ok(!p.to.includes(gone) && !p.to.includes(p.by))
    }

    // A bystanding holder receives both: the first as the next version, the second as a concurrent one.
    const bystander = [...holderCounts(first.record).keys()].find((p) => p !== gone && !signed.some((s) => s.record.signer === p))
    const judge = h.repairers.get(bystander ?? signed[0]!.record.signer)!
    const a = await judge.acceptUpdate({ current: first }, signed[0]!.bytes)
    assert.equal(a.status, 'accepted')
    assert.ok(a.status === 'accepted')
    assert.deepEqual(a.replaced, [gone])
    const b = await judge.acceptUpdate(a.state, signed[1]!.bytes)
    assert.ok(b.status === 'accepted')
    assert.equal(b.owesCopiesOf, undefined, 'a second signature of the same repair owes nothing more')
    assert.deepEqual(b.state.current.bytes, preferRecord(signed[0]!, signed[1]!).bytes)
    // A survivor whose round ends after it accepted another's signature of the same version settles the same way.
    const settled = adoptOwn({ current: signed[1]!, previous: first }, first, signed[0]!)
    assert.deepEqual(settled.current.bytes, b.state.current.bytes)
    assert.equal(settled.previous, first)
    assert.deepEqual(adoptOwn({ current: first }, first, signed[0]!), { current: signed[0], previous: first })
    assert.equal(adoptOwn(settled, first, first).current, settled.current, 'an older result changes nothing')
  })

  it('does not act on an update replacing a peer its own watch still sees alive; does once the watch agrees', async () => {
    const first = await root()
    const gone = pool[2]!.id
    const ids = pool.slice(0, 6).map((i) => i.id)
    // A holder's repair (the uploader's own re-signing is trusted without the check).
    const update = (await repairEverywhere(harness(first, new Set([gone]), ids), first, new Set([gone]))).find((s) => s.record.signer !== s.record.uploader)
    assert.ok(update)
    let departed = false
    const observer = [...holderCounts(first.record).keys()].find((p) => p !== gone && p !== update.record.signer)!
    const repairer = new Repairer({
      self: observer,
      privateKey: keyOf(observer),
      isDeparted: (p) => departed && p === gone,
      candidates: async () => [],
      copyChunk: async () => { throw new Error('not expected') },
      publishRecord: async () => { throw new Error('not expected') }
    })
    assert.deepEqual(await repairer.acceptUpdate({ current: first }, update.bytes), { status: 'deferred', alive: [gone] })
    departed = true
    assert.equal((await repairer.acceptUpdate({ current: first }, update.bytes)).status, 'accepted')
  })

  it('judges an update by its own steps: a rival of our version replaces only the departed holder, not the peers our plan added', () => {
    const rec = (version: number, signer: string, holders: string[][]): ReturnType<typeof rootRecord> =>
      ({ ...rootRecord({ fileId: 'f', replicas: 2, strategy: 'weighted', holders, uploader: 'up' }), version, signer })
    const v1 = rec(1, 'up', [['a', 'd'], ['b', 'd'], ['a', 'b']])
    const ours = rec(2, 'a', [['a', 'b'], ['b', 'c'], ['a', 'b']])
    const rival = rec(2, 'b', [['a', 'c'], ['b', 'a'], ['a', 'b']])
    // Against our version the rival would "replace" b and c, both alive; against its parent, only d.
    assert.deepEqual(replacedPeers(ours, rival), ['b', 'c'])
    assert.deepEqual(replacedBySteps([v1, rival], ours.version), ['d'])
    // Uploader-signed steps and steps older than what we hold are not counted.
    const resigned = rec(3, 'up', [['a', 'c'], ['b', 'c'], ['c', 'b']])
    assert.deepEqual(replacedBySteps([v1, rival, resigned], 2), ['d'])
    assert.deepEqual(replacedBySteps([v1, rival], 3), [])
  })

  it('refuses forged updates: a stranger, a non-holder, a holder replacing itself, a peer both replaced and added', async () => {
    const first = await root()
    const gone = pool[4]!.id
    const ids = pool.slice(0, 6).map((i) => i.id)
    const plan = planRepair({ ...GEOMETRY, fileId: FILE_ID, chunkCount: 40, replicas: 2, strategy: 'weighted', holders: first.record.holders, peers: liveCandidates(new Set([gone]), ids) })
    const judge = harness(first, new Set([gone]), ids).repairers.get(pool[1]!.id)!
    const refused = async (signer: string, holders = plan.holders): Promise<void> => {
      const forged = await signRecord(nextRecord(first, holders, signer), keyOf(signer))
      await assert.rejects(judge.acceptUpdate({ current: first }, forged.bytes), (err) => hasCode(err, 'ERR_INVALID_SIGNATURE'))
    }
    await refused(stranger.id)
    await refused(pool[7]!.id) // a real swarm member that holds nothing of this file
    await refused(gone) // the departed holder "repairing" itself away
    // A survivor handing the departed peer's chunks back to it while removing it elsewhere.
    const signer = [...holderCounts(first.record).keys()].find((p) => p !== gone && p !== pool[0]!.id)!
    const back = plan.holders.map((h) => [...h])
    const untouched = back.findIndex((h, c) => !first.record.holders[c]!.includes(gone) && !h.includes(signer))
    assert.ok(untouched >= 0)
    back[untouched]![0] = gone
    await refused(signer, back)
  })

  it('keeps a surviving holder that did not answer the capacity query as a holder (no room for new copies), never as departed', async () => {
    const first = await root()
    const gone = pool[3]!.id
    const quiet = [...holderCounts(first.record).keys()].find((p) => p !== gone && p !== pool[0]!.id)!
    const self = [...holderCounts(first.record).keys()].find((p) => p !== gone && p !== quiet)!
    const repairer = new Repairer({
      self,
      privateKey: keyOf(self),
      isDeparted: (p) => p === gone,
      // The quiet holder is missing from the answer; two new peers offer room.
      candidates: async () => [self, pool[6]!.id, pool[7]!.id].map((peerId) => ({ peerId, freeBytes: 1000 * MIB })),
      copyChunk: async () => {},
      publishRecord: async () => {}
    })
    const plan = await repairer.plan(first, GEOMETRY, AbortSignal.timeout(5000))
    assert.deepEqual(plan.departed, [gone])
    assert.ok(plan.orders.length > 0)
    assert.ok(plan.orders.every((o) => o.to !== quiet && o.to !== gone))
    plan.holders.forEach((h, c) => { if (first.record.holders[c]!.includes(quiet)) assert.ok(h.includes(quiet)) })
  })

  it('a survivor that accepts a repair someone else signed first still makes its own copies of it (fulfil), and only those', async () => {
    const first = await root()
    const gone = pool[2]!.id
    const dead = new Set([gone])
    const ids = pool.slice(0, 6).map((i) => i.id)
    const plan = planRepair({ ...GEOMETRY, fileId: FILE_ID, chunkCount: 40, replicas: 2, strategy: 'weighted', holders: first.record.holders, peers: liveCandidates(dead, ids) })
    const late = plan.orders.map((o) => o.from).find((p) => p !== pool[0]!.id)
    assert.ok(late, 'a survivor other than the uploader has orders')
    // The uploader re-signs the repaired map at once (trusted without a watch check).
    const byUploader = await signRecord(nextRecord(first, plan.holders, pool[0]!.id), pool[0]!.key)
    // Its own watch has not declared the departure yet: the uploader's word is enough to accept, and to plan its copies.
    const h = harness(first, new Set(), ids)
    const repairer = h.repairers.get(late)!
    const decision = await repairer.acceptUpdate({ current: first }, byUploader.bytes)
    assert.ok(decision.status === 'accepted')
    assert.equal(decision.owesCopiesOf, first)
    // Its own round now starts from the repaired map: nothing left to plan there.
    assert.equal((await repairer.repair(decision.state.current, GEOMETRY, { signal: AbortSignal.timeout(5000) })).orders.length, 0)
    const done = await repairer.fulfil(first, decision.state.current, GEOMETRY, { signal: AbortSignal.timeout(5000) })
    assert.deepEqual(done.failed, [])
    assert.deepEqual(h.copies.map((o) => `${o.chunk}>${o.to}`), plan.orders.filter((o) => o.from === late).map((o) => `${o.chunk}>${o.to}`))
  })

  it('signs nothing when one of its copies fails every attempt, and names the failed order', async () => {
    const first = await root()
    const gone = pool[5]!.id
    const ids = pool.slice(0, 6).map((i) => i.id)
    let attempts = 0
    const h = harness(first, new Set([gone]), ids, async (job) => {
      if (job.chunk === Math.min(...planRepair({ ...GEOMETRY, fileId: FILE_ID, chunkCount: 40, replicas: 2, strategy: 'weighted', holders: first.record.holders, peers: liveCandidates(new Set([gone]), ids) }).orders.map((o) => o.chunk))) {
        attempts++
        throw new Error('receiver refused: CORRUPT')
      }
    })
    const outcomes = await Promise.all([...h.repairers].filter(([p]) => p !== gone).map(async ([, r]) => await r.repair(first, GEOMETRY, { signal: AbortSignal.timeout(30_000) })))
    const failing = outcomes.filter((o) => o.failed.length > 0)
    assert.equal(failing.length, 1)
    assert.equal(failing[0]!.record, null)
    assert.equal(failing[0]!.failed.length, 1)
    assert.equal(attempts, 3)
    assert.ok(outcomes.some((o) => o.record !== null), 'the other survivors still sign')
  })

  it('a holder back after its repair: accepts the map naming it replaced, drops its surplus only after the grace period, keeps what the map lists again', async () => {
    const first = await root()
    const back = pool[1]!.id
    const ids = pool.slice(0, 6).map((i) => i.id)
    const [repaired] = await repairEverywhere(harness(first, new Set([back]), ids), first, new Set([back]))
    assert.ok(repaired)
    // Its own watch saw nobody leave; only itself was replaced, which it cannot judge.
    const own = harness(first, new Set(), ids).repairers.get(back)!
    const decision = await own.acceptUpdate({ current: first }, repaired.bytes)
    assert.ok(decision.status === 'accepted' && decision.selfReplaced)
    assert.equal(decision.owesCopiesOf, undefined, 'a replaced holder copies nothing')
    assert.deepEqual(replacedPeers(first.record, repaired.record), [back])

    const held = first.record.holders.flatMap((h, c) => h.includes(back) ? [c] : [])
    assert.deepEqual(surplus(repaired.record, back, held), held)
    assert.deepEqual(surplus(first.record, back, held), [])
    const newcomer = [...holderCounts(repaired.record).keys()].find((p) => !holderCounts(first.record).has(p) || (holderCounts(repaired.record).get(p)! > holderCounts(first.record).get(p)!))!
    assert.ok(missingChunks(repaired.record, newcomer, first.record.holders.flatMap((h, c) => h.includes(newcomer) ? [c] : [])).length > 0)

    const clock = new FakeClock()
    let latest = repaired.record
    const deleted: number[] = []
    const dropper = new SurplusDropper({
      self: back, graceMs: 60_000, clock, latest: () => latest, held: () => held.filter((c) => !deleted.includes(c)),
      deleteChunk: async (_file, chunk) => { deleted.push(chunk) }
    })
    assert.deepEqual(dropper.schedule(FILE_ID), held)
    await clock.advance(59_999)
    assert.deepEqual(deleted, [], 'kept and served during the grace period')
    await clock.advance(2)
    assert.deepEqual(deleted, held)

    // Re-listed before the grace period ends (the uploader re-signed the old map): nothing dropped.
    deleted.length = 0
    latest = repaired.record
    dropper.schedule(FILE_ID)
    latest = first.record
    await clock.advance(120_000)
    assert.deepEqual(deleted, [])
    dropper.stop()
  })

  it('property: for random maps and departures, the survivors\' orders cover every missing copy exactly once and the map they sign verifies', async () => {
    const ids = pool.map((i) => i.id)
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 3 }).chain((n) => fc.record({
        n: fc.constant(n),
        holders: fc.array(fc.shuffledSubarray(ids, { minLength: n, maxLength: n }), { minLength: 1, maxLength: 24 }),
        dead: fc.shuffledSubarray(ids, { minLength: 1, maxLength: ids.length - n })
      })),
      async ({ n, holders, dead: deadList }) => {
        const uploader = pool[0]!
        const first = await signRecord(rootRecord({ fileId: FILE_ID, replicas: n, strategy: 'weighted', holders, uploader: uploader.id }), uploader.key)
        const dead = new Set(deadList)
        const h = harness(first, dead, ids)
        const signed = await repairEverywhere(h, first, dead)

        const expected: string[] = []
        holders.forEach((chunk, c) => {
          const survivors = chunk.filter((p) => !dead.has(p))
          if (survivors.length === 0) return // lost: nothing to copy from
          for (let i = survivors.length; i < n; i++) expected.push(String(c))
        })
        const copied = h.copies.map((o) => String(o.chunk))
        assert.deepEqual(copied.sort(), expected.sort(), 'one copy per missing replica of every chunk that has a survivor')
        for (const o of h.copies) {
          assert.ok(holders[o.chunk]!.includes(o.from) && !dead.has(o.from) && !dead.has(o.to) && !holders[o.chunk]!.includes(o.to))
        }
        assert.equal(new Set(h.copies.map((o) => `${o.chunk}>${o.to}`)).size, h.copies.length, 'no copy made twice')
        if (expected.length === 0) {
          assert.equal(signed.length, 0)
          return
        }
        assert.ok(signed.length >= 1)
        for (const s of signed) {
          assert.deepEqual(s.record.holders, signed[0]!.record.holders)
          await verifyUpdate(first, s.bytes)
          s.record.holders.forEach((chunk, c) => {
            if (holders[c]!.some((p) => !dead.has(p))) assert.ok(chunk.every((p) => !dead.has(p)), `chunk ${c} still lists a departed holder`)
          })
        }
      }
    ), { numRuns: 60 })
  })
})
