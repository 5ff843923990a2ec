/**
 * Test fixtures for the tracker: real peer IDs (with their keys, to sign
 * announces) and CIDs, a fake clock, temp dirs and started trackers that
 * register their own teardown.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { startTracker, type RunningTracker, type TrackerOptions } from '../../src/tracker/index.js'
import { announceSigningBytes } from '../../src/tracker/signature.js'
import type { PrivateKey } from '@libp2p/interface'
import type { TestContext } from 'node:test'

/** Keys of the peer IDs made here, so `signedAnnounce` can sign for them. */
const keys = new Map<string, PrivateKey>()

/** `n` real Ed25519 peer IDs, as strings; their keys are kept for `signedAnnounce`. */
export async function peerIds (n: number): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, async () => {
    const key = await generateKeyPair('Ed25519')
    const id = peerIdFromPrivateKey(key).toString()
    keys.set(id, key)
    return id
  }))
}

/** The private key of a peer ID made by `peerIds`. */
export function keyOf (peerId: string): PrivateKey {
  const key = keys.get(peerId)
  if (key === undefined) throw new Error(`no key for ${peerId}`)
  return key
}

/** Last timestamp signed per peer, so timestamps strictly increase. */
const lastTimestamps = new Map<string, number>()

/**
 * `body` signed by its peer (made by `peerIds`, in any spelling of its ID)
 * at `now()`, or just after the peer's last timestamp if that is later and
 * close (a fake clock far from it starts afresh). A peerId the helpers made
 * no key for (garbage cases) is left unsigned.
 */
export async function sign (body: Record<string, any>, now: () => number = Date.now): Promise<Record<string, any>> {
  let canonical: string | undefined
  try {
    canonical = typeof body.peerId === 'string' ? peerIdFromString(body.peerId).toString() : undefined
  } catch {
    canonical = undefined // not a peer ID: a garbage case, sent unsigned
  }
  const key = canonical === undefined ? undefined : keys.get(canonical)
  if (key === undefined || canonical === undefined) return body
  const last = lastTimestamps.get(canonical) ?? -Infinity
  const t = now()
  const timestamp = t <= last && last - t < 10_000 ? last + 1 : t
  lastTimestamps.set(canonical, timestamp)
  const signature = await key.sign(announceSigningBytes({ ...body as any, timestamp }))
  return { ...body, timestamp, signature: Buffer.from(signature).toString('base64url') }
}

/** POSTs `body` to `/announce` signed by its peer (see `sign`). */
export async function signedAnnounce (url: string, body: Record<string, any>, now?: () => number): Promise<{ status: number, headers: Headers, body: any }> {
  return await announce(url, await sign(body, now))
}

/** `n` distinct CIDv1 (raw, sha2-256) strings, deterministic per `seed`. */
export async function fileIds (n: number, seed = 'f'): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, async (_, i) =>
    CID.createV1(0x55, await sha256.digest(new TextEncoder().encode(`${seed}${i}`))).toString()))
}

/** A clock tests move by hand. */
export class FakeClock {
  ms = 1_700_000_000_000
  readonly now = (): number => this.ms
  advance (ms: number): void { this.ms += ms }
}

/** A temp dir removed after the test. */
export async function tempDir (t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-tracker-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

/** A tracker on 127.0.0.1, port 0, closed after the test. */
export async function tracker (t: TestContext, opts: TrackerOptions = {}): Promise<RunningTracker> {
  const running = await startTracker({ host: '127.0.0.1', port: 0, ...opts })
  t.after(async () => { await running.close() })
  return running
}

/** POSTs a JSON (or raw string) body to `/announce`; returns status, headers and parsed body. */
export async function announce (url: string, body: unknown, contentType = 'application/json'): Promise<{ status: number, headers: Headers, body: any }> {
  const res = await fetch(`${url}/announce`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
  return { status: res.status, headers: res.headers, body: await res.json() }
}

/** GETs a path; returns status and parsed body. */
export async function get (url: string, path: string): Promise<{ status: number, body: any }> {
  const res = await fetch(url + path)
  return { status: res.status, body: await res.json() }
}
