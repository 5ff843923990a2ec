/**
 * Signed announces. A peer proves an announce is its own by signing it with
 * its libp2p private key; the tracker takes the public key out of the peer ID
 * itself (Ed25519 and secp256k1 IDs embed it), so no key is ever registered
 * and nobody can announce, move or stop a peer they do not hold the key of.
 *
 * What is signed is a canonical byte string, not the JSON (whose spelling
 * varies): the domain-separation prefix `shoal-announce-v1` and a NUL, then
 * each field in a fixed order, strings as uvarint byte length + UTF-8, lists
 * as uvarint count + strings, the timestamp as a 64-bit big-endian integer:
 *
 *   "shoal-announce-v1" 0x00 peerId event timestamp addrs[] files[] left[]
 *
 * Every field is length-delimited, so no two different announces share an
 * encoding; the prefix keeps a signature over it from meaning anything in
 * another Shoal or libp2p context. Fields are signed exactly as sent, before
 * the tracker canonicalises them. The timestamp (ms since the epoch, sender's
 * clock) gives freshness; see `replay-guard.ts`.
 */
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { ShoalError } from '../errors.js'
import type { AnnounceEvent } from './registry.js'
import type { PrivateKey } from '@libp2p/interface'

/** Domain-separation prefix and version of the signed encoding. */
export const ANNOUNCE_SIGNATURE_DOMAIN = 'shoal-announce-v1'

/** What an announce says, as signed. */
export interface AnnounceFields {
  peerId: string
  addrs: string[]
  files?: string[]
  left?: string[]
  /** `update` when absent. */
  event?: AnnounceEvent
}

/** An announce as it goes on the wire: the fields, when, and the signature (base64url). */
export interface SignedAnnounce extends AnnounceFields {
  /** Milliseconds since the epoch, by the sender's clock; strictly increasing per peer. */
  timestamp: number
  signature: string
}

const encoder = new TextEncoder()

/** The exact bytes signed for an announce; see the module comment. */
export function announceSigningBytes (a: AnnounceFields & { timestamp: number }): Uint8Array {
  const parts: Uint8Array[] = [encoder.encode(ANNOUNCE_SIGNATURE_DOMAIN), Uint8Array.of(0)]
  const str = (s: string): void => {
    const bytes = encoder.encode(s)
    parts.push(uvarint(bytes.length), bytes)
  }
  const list = (xs: readonly string[]): void => {
    parts.push(uvarint(xs.length))
    for (const x of xs) str(x)
  }
  str(a.peerId)
  str(a.event ?? 'update')
  const ts = new Uint8Array(8)
  new DataView(ts.buffer).setBigUint64(0, BigInt(a.timestamp))
  parts.push(ts)
  list(a.addrs)
  list(a.files ?? [])
  list(a.left ?? [])
  return Buffer.concat(parts)
}

/** Signs an announce with `privateKey`; `peerId` is the key's own. */
export async function signAnnounce (privateKey: PrivateKey, fields: Omit<AnnounceFields, 'peerId'>, timestamp: number): Promise<SignedAnnounce> {
  const unsigned = { ...fields, peerId: peerIdFromPrivateKey(privateKey).toString(), timestamp }
  const signature = await privateKey.sign(announceSigningBytes(unsigned))
  return { ...unsigned, signature: Buffer.from(signature).toString('base64url') }
}

/**
 * Checks that `a` was signed by the key its peer ID names. Throws
 * `ERR_INVALID_SIGNATURE` if the ID embeds no public key (RSA IDs are
 * hashes), the signature is not base64url, or it does not verify.
 */
export async function verifyAnnounce (a: SignedAnnounce): Promise<void> {
  let publicKey
  try {
    publicKey = peerIdFromString(a.peerId).publicKey
  } catch (err) {
    throw new ShoalError('ERR_INVALID_ID', 'peerId is not a libp2p peer ID', { field: 'peerId' }, { cause: err })
  }
  if (publicKey === undefined) {
    throw new ShoalError('ERR_INVALID_SIGNATURE', 'peerId does not embed its public key (use an Ed25519 identity)', { field: 'peerId' })
  }
  const signature = Buffer.from(a.signature, 'base64url')
  if (signature.toString('base64url') !== a.signature) {
    throw new ShoalError('ERR_INVALID_SIGNATURE', 'signature is not base64url', { field: 'signature' })
  }
  let ok = false
  try {
    ok = await publicKey.verify(announceSigningBytes(a), signature)
  } catch (err) {
    throw new ShoalError('ERR_INVALID_SIGNATURE', `announce signature does not verify for ${a.peerId}`, { field: 'signature' }, { cause: err })
  }
  if (!ok) throw new ShoalError('ERR_INVALID_SIGNATURE', `announce signature does not verify for ${a.peerId}`, { field: 'signature' })
}

/** Unsigned LEB128, as multiformats uses (lengths here are far below 2^31). */
function uvarint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  out.push(n)
  return Uint8Array.from(out)
}
