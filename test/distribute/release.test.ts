/**
 * `rm --everywhere`: a release signed by the uploader makes a holder drop
 * every chunk it holds of the file and then its registry entry; a release by
 * anyone else, for another file, replayed from before this distribution, or
 * tampered with is refused and nothing is dropped.
 */
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { applyRelease, decodeRelease, MAX_RELEASE_BYTES, RELEASE_CLOCK_SKEW_MS, signRelease, verifyRelease, type ReleaseActions, type ReleaseContext } from '../../src/distribute/release.js'
import { rootRecord, RECORD_SIGNING_TAG } from '../../src/distribute/record.js'
import { fileIdFromManifestBytes } from '../../src/content/manifest.js'
import { hasCode, type ErrorCode } from '../../src/errors.js'

interface Identity { key: PrivateKey, id: string }

const FILE_ID = fileIdFromManifestBytes(new TextEncoder().encode('released file'))
const OTHER_FILE = fileIdFromManifestBytes(new TextEncoder().encode('another file'))
const ACCEPTED_AT = 1_800_000_000_000

let uploader: Identity
let holder: Identity
let stranger: Identity

async function identity (): Promise<Identity> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString() }
}

const context = (): ReleaseContext => ({
  record: rootRecord({ fileId: FILE_ID, replicas: 2, strategy: 'weighted', holders: [[uploader.id, holder.id], [holder.id, stranger.id]], uploader: uploader.id }),
  acceptedAtMs: ACCEPTED_AT
})

/** Storage that records what it is told to delete. */
function store (held: number[]): { actions: ReleaseActions, deleted: number[], forgotten: string[] } {
  const deleted: number[] = []
  const forgotten: string[] = []
  return {
    deleted,
    forgotten,
    actions: {
      held,
      deleteChunk: async (fileId, chunk, signal) => { assert.equal(fileId, FILE_ID); assert.ok(!signal.aborted); deleted.push(chunk) },
      forget: async (fileId) => { forgotten.push(fileId) }
    }
  }
}

const refusedWith = async (p: Promise<unknown>, code: ErrorCode): Promise<void> => {
  await assert.rejects(p, (err) => { assert.ok(hasCode(err, code), `expected ${code}, got ${(err as Error).message}`); return true })
}

describe('release (rm --everywhere)', () => {
  before(async () => {
    [uploader, holder, stranger] = await Promise.all([identity(), identity(), identity()])
  })

  it('a release by the uploader drops every held chunk, then the registry entry', async () => {
    const bytes = await signRelease({ fileId: FILE_ID, uploader: uploader.id, issuedAt: ACCEPTED_AT + 1000 }, uploader.key)
    assert.ok(bytes.byteLength < MAX_RELEASE_BYTES, `${bytes.byteLength} bytes`)
    assert.deepEqual(await decodeRelease(bytes), { fileId: FILE_ID, uploader: uploader.id, issuedAt: ACCEPTED_AT + 1000 })
    const s = store([0, 1, 7, 7])
    assert.deepEqual(await applyRelease(bytes, context(), s.actions, AbortSignal.timeout(5000)), [0, 1, 7])
    assert.deepEqual(s.deleted, [0, 1, 7])
    assert.deepEqual(s.forgotten, [FILE_ID])
    // A little clock skew is tolerated.
    const early = await signRelease({ fileId: FILE_ID, uploader: uploader.id, issuedAt: ACCEPTED_AT - RELEASE_CLOCK_SKEW_MS + 1 }, uploader.key)
    assert.equal((await verifyRelease(early, context())).fileId, FILE_ID)
  })

  it('refuses a release signed by a holder or a stranger, and drops nothing', async () => {
    for (const signer of [holder, stranger]) {
      const bytes = await signRelease({ fileId: FILE_ID, uploader: signer.id, issuedAt: ACCEPTED_AT + 1 }, signer.key)
      const s = store([0, 1])
      await refusedWith(applyRelease(bytes, context(), s.actions, AbortSignal.timeout(5000)), 'ERR_INVALID_SIGNATURE')
      assert.deepEqual(s.deleted, [])
      assert.deepEqual(s.forgotten, [])
    }
  })

  it('refuses a release claiming the uploader but signed with another key, or with a changed body', async () => {
    await refusedWith(signRelease({ fileId: FILE_ID, uploader: uploader.id, issuedAt: ACCEPTED_AT }, stranger.key), 'ERR_INVALID_ARGUMENT')
    const genuine = await signRelease({ fileId: OTHER_FILE, uploader: uploader.id, issuedAt: ACCEPTED_AT + 1 }, uploader.key)
    const envelope = dagCbor.decode<{ body: Uint8Array, sig: Uint8Array }>(genuine)
    const body = dagCbor.decode<Record<string, unknown>>(envelope.body)
    // The uploader's signature on another file's release, moved onto this file.
    const moved = dagCbor.encode({ body: dagCbor.encode({ ...body, file: FILE_ID }), sig: envelope.sig })
    const s = store([0])
    await refusedWith(applyRelease(moved, context(), s.actions, AbortSignal.timeout(5000)), 'ERR_INVALID_SIGNATURE')
    // A stranger's body with the uploader's name and the stranger's signature.
    const strangerBody = dagCbor.encode({ v: 1, file: FILE_ID, uploader: uploader.id, issuedAt: ACCEPTED_AT + 1 })
    const tag = new TextEncoder().encode('shoal-distribution-release-v1')
    const forged = dagCbor.encode({ body: strangerBody, sig: await stranger.key.sign(new Uint8Array([...tag, 0, ...strangerBody])) })
    await refusedWith(applyRelease(forged, context(), s.actions, AbortSignal.timeout(5000)), 'ERR_INVALID_SIGNATURE')
    assert.deepEqual(s.deleted, [])
  })

  it('refuses a release for another file, one from before this distribution, and bytes that are not a release', async () => {
    const other = await signRelease({ fileId: OTHER_FILE, uploader: uploader.id, issuedAt: ACCEPTED_AT + 1 }, uploader.key)
    await refusedWith(verifyRelease(other, context()), 'ERR_INVALID_RECORD')
    const replayed = await signRelease({ fileId: FILE_ID, uploader: uploader.id, issuedAt: ACCEPTED_AT - RELEASE_CLOCK_SKEW_MS - 1 }, uploader.key)
    await refusedWith(verifyRelease(replayed, context()), 'ERR_STALE_MESSAGE')
    await refusedWith(verifyRelease(new Uint8Array([0xff, 0x00]), context()), 'ERR_INVALID_RECORD')
    await refusedWith(verifyRelease(new Uint8Array(MAX_RELEASE_BYTES + 1), context()), 'ERR_INVALID_RECORD')
    const genuine = await signRelease({ fileId: FILE_ID, uploader: uploader.id, issuedAt: ACCEPTED_AT + 1 }, uploader.key)
    const envelope = dagCbor.decode<{ body: Uint8Array, sig: Uint8Array }>(genuine)
    await refusedWith(verifyRelease(dagCbor.encode({ ...envelope, extra: 1 }), context()), 'ERR_INVALID_RECORD')
  })

  it('a record signature cannot pass for a release: the signing tags differ', async () => {
    const body = dagCbor.encode({ v: 1, file: FILE_ID, uploader: uploader.id, issuedAt: ACCEPTED_AT + 1 })
    const recordTag = new TextEncoder().encode(RECORD_SIGNING_TAG)
    const crossSigned = dagCbor.encode({ body, sig: await uploader.key.sign(new Uint8Array([...recordTag, 0, ...body])) })
    await refusedWith(verifyRelease(crossSigned, context()), 'ERR_INVALID_SIGNATURE')
  })
})
