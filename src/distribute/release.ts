/**
 * `shoal rm ID --everywhere`: the uploader releases every pushed copy of a
 * distributed file. The release is its own signed message, not a record
 * version: a record must name N holders per chunk, and a release has to be
 * told apart from a repair anyway.
 *
 * Trust: only the uploader — the record's root of trust — can release. A
 * release names the file and the uploader and is signed with the uploader's
 * libp2p key; a holder checks the signature against that peer ID and the peer
 * ID against the `uploader` of the record it keeps, so neither another holder
 * nor a stranger can make a node drop data. Replay: a release carries the
 * time it was issued, and a holder refuses one issued before it accepted the
 * file's current distribution (less a clock-skew margin), so an old release
 * cannot remove a later distribution of the same file by the same uploader.
 *
 * Encoding, like the record (record-codec.ts): a DAG-CBOR envelope
 * `{ body, sig }`, canonical and strictly decoded; the signed bytes are the
 * tag `shoal-distribution-release-v1`, a zero byte and the body, so a release
 * signature can never pass for a record's or any other message's.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { ShoalError } from '../errors.js'
import { equalBytes } from '../content/hash.js'
import { parseFileId } from '../content/manifest.js'
import { logger } from '../util/log.js'
import { taggedSigningBytes, type DistributionRecord } from './record.js'

const log = logger('release')

/** Domain-separation tag prefixed to the signed bytes. */
export const RELEASE_SIGNING_TAG = 'shoal-distribution-release-v1'

/** Largest encoded release accepted (a file ID, a peer ID, a time and a signature fit in well under this). */
export const MAX_RELEASE_BYTES = 1024

/** How far a release's issue time may precede the holder's acceptance of the distribution and still count. */
export const RELEASE_CLOCK_SKEW_MS = 5 * 60_000

/** Longest signature accepted (as for records). */
const MAX_SIGNATURE_BYTES = 512
const BODY_KEYS = ['file', 'issuedAt', 'uploader', 'v']
const ENVELOPE_KEYS = ['body', 'sig']

/** A release's content. */
export interface Release {
  readonly fileId: string
  readonly uploader: string
  /** When the uploader issued it (ms since the epoch, its clock). */
  readonly issuedAt: number
}

/** Signs a release with the uploader's key; throws ERR_INVALID_ARGUMENT when the key is not the uploader's. */
export async function signRelease (release: Release, privateKey: PrivateKey): Promise<Uint8Array> {
  const key = peerIdFromString(release.uploader).publicKey
  if (key === undefined || !key.equals(privateKey.publicKey)) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', 'the signing key is not the uploader\'s', { uploader: release.uploader })
  }
  const body = dagCbor.encode({ v: 1, file: release.fileId, uploader: release.uploader, issuedAt: release.issuedAt })
  validate(dagCbor.decode(body))
  return dagCbor.encode({ body, sig: await privateKey.sign(signingBytes(body)) })
}

/**
 * Decodes a release and checks its signature against its uploader's peer ID.
 * Throws ERR_INVALID_RECORD (malformed) or ERR_INVALID_SIGNATURE.
 */
export async function decodeRelease (bytes: Uint8Array): Promise<Release> {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength > MAX_RELEASE_BYTES) throw invalid(`a release is bytes, at most ${MAX_RELEASE_BYTES}`)
  const envelope = decodeMap(bytes, ENVELOPE_KEYS)
  const { body, sig } = envelope
  if (!(body instanceof Uint8Array) || !(sig instanceof Uint8Array) || sig.byteLength === 0 || sig.byteLength > MAX_SIGNATURE_BYTES) {
    throw invalid('release body and signature must be bytes')
  }
  const fields = decodeMap(body, BODY_KEYS)
  const release = validate(fields)
  if (!equalBytes(dagCbor.encode({ body, sig }), bytes) || !equalBytes(dagCbor.encode(fields), body)) throw invalid('release bytes are not canonical DAG-CBOR')
  const key = peerIdFromString(release.uploader).publicKey
  let valid = false
  try {
    valid = key !== undefined && await key.verify(signingBytes(body), sig)
  } catch (err) {
    throw new ShoalError('ERR_INVALID_SIGNATURE', 'the release signature could not be checked', { uploader: release.uploader }, { cause: err })
  }
  if (!valid) throw new ShoalError('ERR_INVALID_SIGNATURE', `the release is not signed by ${release.uploader}`, { uploader: release.uploader })
  return release
}

/** What a holder checks a release against. */
export interface ReleaseContext {
  /** The latest record it keeps for the file. */
  readonly record: DistributionRecord
  /** When it accepted the file's current distribution (its root record), ms since the epoch. */
  readonly acceptedAtMs: number
}

/**
 * Verifies a release for the file of `ctx.record`: signed by that record's
 * uploader (ERR_INVALID_SIGNATURE otherwise), for that file
 * (ERR_INVALID_RECORD), and not older than the distribution it would end
 * (ERR_STALE_MESSAGE).
 */
export async function verifyRelease (bytes: Uint8Array, ctx: ReleaseContext): Promise<Release> {
  const release = await decodeRelease(bytes)
  if (release.uploader !== ctx.record.uploader) {
    throw new ShoalError('ERR_INVALID_SIGNATURE', `only the uploader ${ctx.record.uploader} can release this file, not ${release.uploader}`, { uploader: ctx.record.uploader, signer: release.uploader })
  }
  if (release.fileId !== ctx.record.fileId) throw invalid(`the release is for file ${release.fileId}, not ${ctx.record.fileId}`)
  if (release.issuedAt < ctx.acceptedAtMs - RELEASE_CLOCK_SKEW_MS) {
    throw new ShoalError('ERR_STALE_MESSAGE', 'the release was issued before this distribution of the file', { issuedAt: release.issuedAt, acceptedAt: ctx.acceptedAtMs })
  }
  return release
}

/** What a holder does with a verified release: storage is injected. */
export interface ReleaseActions {
  /** Indices of the file's chunks this node holds. */
  readonly held: Iterable<number>
  /** Deletes one held chunk (the store keeps bytes another file still uses). */
  readonly deleteChunk: (fileId: string, chunk: number, signal: AbortSignal) => Promise<void>
  /** Removes the file's record and registry entry (after its chunks). */
  readonly forget: (fileId: string, signal: AbortSignal) => Promise<void>
}

/**
 * Verifies a release and, only if it is valid, deletes every held chunk and
 * then the file's registry entry. Returns the chunks deleted. Chunks go
 * first so a crash half-way leaves a registry entry that the next release
 * (or a restart's check) finishes, not chunks nobody accounts for.
 */
export async function applyRelease (bytes: Uint8Array, ctx: ReleaseContext, actions: ReleaseActions, signal: AbortSignal): Promise<number[]> {
  const release = await verifyRelease(bytes, ctx)
  const dropped: number[] = []
  for (const chunk of new Set(actions.held)) {
    signal.throwIfAborted()
    await actions.deleteChunk(release.fileId, chunk, signal)
    dropped.push(chunk)
  }
  signal.throwIfAborted()
  await actions.forget(release.fileId, signal)
  log('released %s: dropped %d chunks', release.fileId, dropped.length)
  return dropped
}

function validate (b: Record<string, unknown>): Release {
  if (b.v !== 1) throw invalid(`unsupported release version: ${String(b.v)}`)
  try {
    parseFileId(b.file as string)
  } catch (err) {
    throw new ShoalError('ERR_INVALID_RECORD', 'release file ID is not a file ID', {}, { cause: err })
  }
  if (!Number.isSafeInteger(b.issuedAt) || (b.issuedAt as number) < 0) throw invalid('release issuedAt must be a non-negative integer (ms)')
  const uploader = b.uploader
  let canonical = false
  try {
    canonical = typeof uploader === 'string' && uploader.length <= 128 && peerIdFromString(uploader).toString() === uploader &&
      peerIdFromString(uploader).publicKey !== undefined
  } catch (err) {
    throw new ShoalError('ERR_INVALID_RECORD', 'release uploader is not a peer ID', {}, { cause: err })
  }
  if (!canonical) throw invalid('release uploader is not a canonical peer ID with a public key')
  return { fileId: b.file as string, uploader: uploader as string, issuedAt: b.issuedAt as number }
}

function decodeMap (bytes: Uint8Array, keys: readonly string[]): Record<string, unknown> {
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new ShoalError('ERR_INVALID_RECORD', `release is not valid DAG-CBOR: ${(err as Error).message}`, {}, { cause: err })
  }
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) throw invalid('release is not a map')
  const map = value as Record<string, unknown>
  const actual = Object.keys(map).sort()
  if (actual.length !== keys.length || actual.some((k, i) => k !== keys[i])) throw invalid(`release keys must be exactly ${keys.join(', ')}`)
  return map
}

function signingBytes (body: Uint8Array): Uint8Array {
  return taggedSigningBytes(RELEASE_SIGNING_TAG, body)
}

function invalid (message: string): ShoalError {
  return new ShoalError('ERR_INVALID_RECORD', message)
}
