/**
 * Test fixtures for the tracker: real peer IDs and CIDs, a fake clock, temp
 * dirs and started trackers that register their own teardown.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { startTracker, type RunningTracker, type TrackerOptions } from '../../src/tracker/index.js'
import type { TestContext } from 'node:test'

/** `n` real Ed25519 peer IDs, as strings. */
export async function peerIds (n: number): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
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
