import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { distributionView, nextRecord, rootRecord, signRecord, verifyRecord, holderCounts, MAX_RECORD_BYTES, type DistributionRecord, type SignedRecord } from '../../src/distribute/record.js'
import { encodeBody } from '../../src/distribute/record-codec.js'
import { preferRecord, verifyChain, verifyUpdate } from '../../src/distribute/record-chain.js'
import { placeChunks } from '../../src/distribute/placement.js'
import { planRepair } from '../../src/distribute/repair.js'
import { fileIdFromManifestBytes } from '../../src/content/manifest.js'
import { hasCode, type ErrorCode } from '../../src/errors.js'

interface Identity { key: PrivateKey, id: string }

const FILE_ID = fileIdFromManifestBytes(new TextEncoder().encode('a distributed file'))
const MIB = 1024 * 1024
const CHUNKS = 40

let uploader: Identity
let holders: Identity[]
let stranger: Identity

async function identity (): Promise<Identity> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString() }
}

const keyOf = (id: string): PrivateKey => {
  const found = [uploader, ...holders, stranger].find((i) => i.id === id)
  assert.ok(found, `no key for ${id}`)
  return found.key
}

/** The uploader's root record: 40 chunks on the uploader and five holders, N = 2. */
async function root (): Promise<SignedRecord> {
  const peers = [uploader, ...holders].map((i) => ({ peerId: i.id, freeBytes: 1000 * MIB, local: i === uploader }))
  const placement = placeChunks({ fileId: FILE_ID, chunkCount: CHUNKS, chunkSizeBytes: MIB, replicas: 2, strategy: 'weighted', peers })
  return await signRecord(rootRecord({ fileId: FILE_ID, replicas: 2, strategy: 'weighted', holders: placement.holders, uploader: uploader.id }), uploader.key)
}

/** The repair of `previous` after `dead` left, signed by `signer`. */
async function repair (previous: SignedRecord, dead: string[], signer: string): Promise<SignedRecord> {
  const live = [uploader, ...holders].filter((i) => !dead.includes(i.id)).map((i) => ({ peerId: i.id, freeBytes: 1000 * MIB }))
  const plan = planRepair({ fileId: FILE_ID, chunkCount: CHUNKS, chunkSizeBytes: MIB, replicas: 2, strategy: 'weighted', holders: previous.record.holders, peers: live })
  assert.ok(plan.orders.length > 0)
  return await signRecord(nextRecord(previous, plan.holders, signer), keyOf(signer))
}

/** Re-encodes an envelope with its body changed by `edit`, keeping the old signature. */
function tamper (bytes: Uint8Array, edit: (body: Record<string, unknown>) => void): Uint8Array {
  const envelope = dagCbor.decode<{ body: Uint8Array, sig: Uint8Array }>(bytes)
  const body = dagCbor.decode<Record<string, unknown>>(envelope.body)
  edit(body)
  return dagCbor.encode({ body: dagCbor.encode(body), sig: envelope.sig })
}

/** Signs an arbitrary record body with `key`, bypassing signRecord's own checks. */
async function forge (record: DistributionRecord, key: PrivateKey): Promise<Uint8Array> {
  const body = encodeBody(record)
  const tag = new TextEncoder().encode('shoal-distribution-record-v1')
  const sig = await key.sign(new Uint8Array([...tag, 0, ...body]))
  return dagCbor.encode({ body, sig })
}

const rejectsWith = async (p: Promise<unknown>, code: ErrorCode): Promise<void> => {
  await assert.rejects(p, (err) => { assert.ok(hasCode(err, code), `expected ${code}, got ${String((err as Error).message)} (${String((err as { code?: string }).code)})`); return true })
}

/** A holder of `record` other than the uploader and not in `except`. */
const aHolder = (record: DistributionRecord, except: string[] = []): string => {
  const found = [...holderCounts(record).keys()].find((p) => p !== record.uploader && !except.includes(p))
  assert.ok(found)
  return found
}

describe('distribution record', () => {
  before(async () => {
    uploader = await identity()
    holders = await Promise.all(Array.from({ length: 5 }, identity))
    stranger = await identity()
  })

  it('round-trips: signed by the uploader, decoded and verified to the same record', async () => {
    const signed = await root()
    const verified = await verifyRecord(signed.bytes)
    assert.deepEqual(verified.record, { ...signed.record, holders: signed.record.holders.map((h) => [...h]) })
    assert.deepEqual(verified.bytes, signed.bytes)
    assert.equal(verified.record.version, 1)
    assert.equal(verified.record.prev, null)
    // Compact: a 40-chunk, 6-peer map is a few hundred bytes.
    assert.ok(signed.bytes.byteLength < 1000, `${signed.bytes.byteLength} bytes`)
    const view = distributionView(verified.record)
    assert.equal(view.id, FILE_ID)
    assert.equal(view.chunks.length, CHUNKS)
    assert.deepEqual(view.chunks[3], { index: 3, holders: [...(signed.record.holders[3] ?? [])] })
    assert.equal(Object.values(view.holders).reduce((a, b) => a + b, 0), CHUNKS * 2)
    // Deterministic: signing the same record again gives the same bytes (Ed25519 signatures are deterministic).
    assert.deepEqual((await signRecord(signed.record, uploader.key)).bytes, signed.bytes)
  })

  it('refuses a record whose fields were changed after signing, or whose signature was altered, with ERR_INVALID_SIGNATURE', async () => {
    const signed = await root()
    await rejectsWith(verifyRecord(tamper(signed.bytes, (b) => { b.version = 2; b.prev = new Uint8Array(32) })), 'ERR_INVALID_SIGNATURE')
    await rejectsWith(verifyRecord(tamper(signed.bytes, (b) => { b.n = 1; b.holders = (b.holders as Uint8Array).subarray(0, CHUNKS * 2) })), 'ERR_INVALID_SIGNATURE')
    await rejectsWith(verifyRecord(tamper(signed.bytes, (b) => { const h = new Uint8Array(b.holders as Uint8Array); [h[1], h[3]] = [h[3] as number, h[1] as number]; b.holders = h })), 'ERR_INVALID_SIGNATURE')
    const envelope = dagCbor.decode<{ body: Uint8Array, sig: Uint8Array }>(signed.bytes)
    const sig = new Uint8Array(envelope.sig)
    sig[10] = (sig[10] as number) ^ 1
    await rejectsWith(verifyRecord(dagCbor.encode({ body: envelope.body, sig })), 'ERR_INVALID_SIGNATURE')
  })

  it('refuses a record signed by another key claiming to be the uploader', async () => {
    const signed = await root()
    await rejectsWith(verifyRecord(await forge(signed.record, stranger.key)), 'ERR_INVALID_SIGNATURE')
    await rejectsWith(signRecord(signed.record, stranger.key), 'ERR_INVALID_ARGUMENT')
  })

  it('accepts a chain of repair updates, each signed by a surviving holder', async () => {
    const first = await root()
    const deadOne = aHolder(first.record)
    const second = await repair(first, [deadOne], aHolder(first.record, [deadOne]))
    const deadTwo = aHolder(second.record, [deadOne])
    const third = await repair(second, [deadOne, deadTwo], aHolder(second.record, [deadOne, deadTwo]))
    const last = await verifyChain([first.bytes, second.bytes, third.bytes], { fileId: FILE_ID, uploader: uploader.id })
    assert.equal(last.record.version, 3)
    assert.ok(!holderCounts(last.record).has(deadOne) && !holderCounts(last.record).has(deadTwo))
    // The uploader, the root of trust, may re-sign any map as the next version.
    const reshuffled = await signRecord(nextRecord(third, [...third.record.holders].reverse(), uploader.id), uploader.key)
    assert.equal((await verifyUpdate(last, reshuffled.bytes)).record.version, 4)
  })

  it('refuses an update signed by a peer that holds nothing, and a chain not rooted in the uploader', async () => {
    const first = await root()
    const dead = aHolder(first.record)
    const plan = planRepair({ fileId: FILE_ID, chunkCount: CHUNKS, chunkSizeBytes: MIB, replicas: 2, strategy: 'weighted', holders: first.record.holders, peers: [uploader, ...holders].filter((i) => i.id !== dead).map((i) => ({ peerId: i.id, freeBytes: 1000 * MIB })) })
    const byStranger = await signRecord(nextRecord(first, plan.holders, stranger.id), stranger.key)
    await rejectsWith(verifyUpdate(first, byStranger.bytes), 'ERR_INVALID_SIGNATURE')
    await rejectsWith(verifyChain([first.bytes, byStranger.bytes]), 'ERR_INVALID_SIGNATURE')
    // A holder's own "root" is not a root.
    const holder = aHolder(first.record)
    const fake = await signRecord({ ...first.record, signer: holder }, keyOf(holder))
    await rejectsWith(verifyChain([fake.bytes]), 'ERR_INVALID_SIGNATURE')
    await rejectsWith(verifyChain([first.bytes], { uploader: stranger.id }), 'ERR_INVALID_SIGNATURE')
    await rejectsWith(verifyChain([first.bytes], { fileId: fileIdFromManifestBytes(new Uint8Array([1])) }), 'ERR_INVALID_RECORD')
  })

  it('allows a holder only to replace departed peers: no self-removal, no emptied chunk, no re-adding, no other change', async () => {
    const first = await root()
    const signer = aHolder(first.record)
    const other = aHolder(first.record, [signer])
    const update = async (holdersOf: (h: readonly string[], c: number) => string[], patch: Partial<DistributionRecord> = {}): Promise<Uint8Array> =>
      (await signRecord({ ...nextRecord(first, first.record.holders.map(holdersOf), signer), ...patch }, keyOf(signer))).bytes
    const spare = (h: readonly string[]): string => [uploader, ...holders].map((i) => i.id).find((p) => !h.includes(p) && p !== signer && p !== other) as string

    // The signer removes itself.
    await rejectsWith(verifyUpdate(first, await update((h) => h.map((p) => p === signer ? spare(h) : p))), 'ERR_INVALID_SIGNATURE')
    // Every holder of a chunk is replaced: there was nothing to copy from.
    await rejectsWith(verifyUpdate(first, await update((h, c) => c === 0 ? h.map((p, i) => i === 0 ? spare(h) : spare([...h, spare(h)])) : [...h])), 'ERR_INVALID_SIGNATURE')
    // A peer replaced in one chunk is added in another.
    const swapped = await update((h) => h.includes(other) && !h.includes(signer) ? h.map((p) => p === other ? spare(h) : p) : h.includes(signer) && !h.includes(other) ? h.map((p) => p !== signer ? other : p) : [...h])
    await rejectsWith(verifyUpdate(first, swapped), 'ERR_INVALID_SIGNATURE')
    // Nothing changes.
    await rejectsWith(verifyUpdate(first, await update((h) => [...h])), 'ERR_INVALID_SIGNATURE')
    // The replica count or the strategy changes.
    await rejectsWith(verifyUpdate(first, await update((h) => [...h], { strategy: 'round-robin' })), 'ERR_INVALID_RECORD')
    // Not chained to the previous version, or not newer.
    await rejectsWith(verifyUpdate(first, await update((h) => [...h], { prev: new Uint8Array(32) })), 'ERR_INVALID_RECORD')
    await rejectsWith(verifyUpdate(first, await update((h) => [...h], { version: 3 })), 'ERR_INVALID_RECORD')
    const second = await repair(first, [other], signer)
    await rejectsWith(verifyUpdate(second, second.bytes), 'ERR_STALE_MESSAGE')
  })

  it('settles two holders signing the same repair the same way on every node', async () => {
    const first = await root()
    const dead = aHolder(first.record)
    const a = await repair(first, [dead], aHolder(first.record, [dead]))
    const b = await repair(first, [dead], aHolder(first.record, [dead, a.record.signer]))
    await verifyUpdate(first, a.bytes)
    await verifyUpdate(first, b.bytes)
    assert.deepEqual(a.record.holders, b.record.holders)
    assert.equal(preferRecord(a, b), preferRecord(b, a))
    assert.equal(preferRecord(first, b), b)
  })

  it('refuses malformed and non-canonical bytes with ERR_INVALID_RECORD', async () => {
    const signed = await root()
    await rejectsWith(verifyRecord(new Uint8Array(MAX_RECORD_BYTES + 1)), 'ERR_INVALID_RECORD')
    await rejectsWith(verifyRecord(signed.bytes.subarray(0, signed.bytes.byteLength - 1)), 'ERR_INVALID_RECORD')
    await rejectsWith(verifyRecord(tamper(signed.bytes, (b) => { b.peers = [...(b.peers as string[])].reverse() })), 'ERR_INVALID_RECORD')
    await rejectsWith(verifyRecord(tamper(signed.bytes, (b) => { b.extra = 1 })), 'ERR_INVALID_RECORD')
    await rejectsWith(verifyRecord(tamper(signed.bytes, (b) => { b.peers = [...(b.peers as string[]), stranger.id].sort() })), 'ERR_INVALID_RECORD')
    await rejectsWith(verifyRecord(tamper(signed.bytes, (b) => { const h = new Uint8Array(b.holders as Uint8Array); h[1] = h[3] as number; h[0] = h[2] as number; b.holders = h })), 'ERR_INVALID_RECORD')
    await rejectsWith(verifyRecord(tamper(signed.bytes, (b) => { b.uploader = 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N' })), 'ERR_INVALID_RECORD')
    await rejectsWith(verifyRecord(tamper(signed.bytes, (b) => { b.n = 33 })), 'ERR_INVALID_RECORD')
  })

  it('answers random and mutated bytes with coded errors only', async () => {
    const signed = await root()
    const allowed = new Set(['ERR_INVALID_RECORD', 'ERR_INVALID_SIGNATURE'])
    const check = async (bytes: Uint8Array): Promise<void> => {
      try {
        await verifyRecord(bytes)
      } catch (err) {
        assert.ok(allowed.has((err as { code?: string }).code ?? ''), `uncoded error: ${String(err)}`)
        return
      }
      assert.deepEqual(bytes, signed.bytes, 'only the original bytes verify')
    }
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), check), { numRuns: 300 })
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(signed.bytes.byteLength - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
      async (flips) => {
        const bytes = new Uint8Array(signed.bytes)
        for (const [at, x] of flips) bytes[at] = (bytes[at] as number) ^ x
        await check(bytes)
      }), { numRuns: 300 })
    await fc.assert(fc.asyncProperty(fc.nat(signed.bytes.byteLength - 1), async (cut) => { await check(signed.bytes.subarray(0, cut)) }), { numRuns: 100 })
  })
})
