/**
 * Bare libp2p hosts for store-protocol tests: real TCP on 127.0.0.1, a real
 * catalog SQLite file and chunks/ dir per holder, the serving protocols over
 * the held files, and the store protocol. A pusher is a host without a store.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createShoalLibp2p } from '../../src/net/create-libp2p.js'
import { openCatalogDatabase } from '../../src/store/catalog-open.js'
import { ChunkStore } from '../../src/store/chunk-store.js'
import { HolderRegistry } from '../../src/distribute/holder-registry.js'
import { HolderStore, perUploaderQuota } from '../../src/distribute/holder-store.js'
import { HeldFileProvider } from '../../src/distribute/served-held.js'
import { serveStoreProtocol } from '../../src/distribute/serve-store.js'
import { serveShoalProtocols } from '../../src/protocol/serve.js'
import { PeerBudgets } from '../../src/protocol/peer-budget.js'
import { UploadLimiter } from '../../src/transfer/upload-limiter.js'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Database } from 'better-sqlite3'
import type { TestContext } from 'node:test'
import type { PushInit } from '../../src/distribute/pusher.js'
import type { Fixture } from './store-fixture.js'

/** A running host. */
export interface Host {
  name: string
  libp2p: Libp2p
  privateKey: PrivateKey
  peerId: string
  addrs: string[]
  stop: () => Promise<void>
}

/** A running holder: a host with a store. */
export interface Holder extends Host {
  dir: string
  db: Database
  chunks: ChunkStore
  registry: HolderRegistry
  store: HolderStore
}

/** Holder settings. */
export interface HolderOptions {
  quotaBytes?: number
  perUploaderPercent?: number
  acceptPushes?: boolean
  stallTimeoutMs?: number
  stepTimeoutMs?: number
  privateKey?: PrivateKey
  /** Chunk bytes one pusher may have in this holder's memory (default: the protocol's). */
  inboundBudgetBytes?: number
}

/** Starts a host that only pushes (and downloads nothing). */
export async function startHost (t: TestContext, name: string, privateKey?: PrivateKey): Promise<Host> {
  const key = privateKey ?? await generateKeyPair('Ed25519')
  const libp2p = await createShoalLibp2p({ privateKey: key, listen: ['/ip4/127.0.0.1/tcp/0'], maxConnections: 100, mdns: false, bootstrap: [] })
  await libp2p.start()
  let stopped = false
  const stop = async (): Promise<void> => { if (!stopped) { stopped = true; await libp2p.stop() } }
  t.after(stop)
  return { name, libp2p, privateKey: key, peerId: libp2p.peerId.toString(), addrs: libp2p.getMultiaddrs().map(String), stop }
}

/** Starts a holder with its data in `dir` (reopened as it is when `dir` was used before). */
export async function startHolder (t: TestContext, dir: string, name: string, options: HolderOptions = {}): Promise<Holder> {
  await mkdir(dir, { recursive: true })
  const host = await startHost(t, name, options.privateKey)
  const db = openCatalogDatabase(join(dir, 'shoal.db'))
  const quota = options.quotaBytes ?? 1024 ** 3
  const chunks = new ChunkStore(join(dir, 'chunks'), quota)
  const registry = await HolderRegistry.open(db, chunks)
  const holder = new HolderStore({ self: host.peerId, registry, chunks, policy: { acceptPushes: options.acceptPushes ?? true, perUploaderBytes: perUploaderQuota(quota, options.perUploaderPercent ?? 100) } })
  const budgets = new PeerBudgets()
  const inboundBudgets = options.inboundBudgetBytes === undefined ? undefined : new PeerBudgets(options.inboundBudgetBytes)
  await serveStoreProtocol(host.libp2p, { holder, budgets, inboundBudgets, writeTimeoutMs: 10_000, stallTimeoutMs: options.stallTimeoutMs, stepTimeoutMs: options.stepTimeoutMs })
  await serveShoalProtocols(host.libp2p, { provider: new HeldFileProvider(registry, chunks), uploads: { gate: new UploadLimiter({ maxPerPeer: 8, maxTotal: 32 }), budgets, writeTimeoutMs: 10_000 } })
  const stopHost = host.stop
  let closed = false
  const stop = async (): Promise<void> => {
    await stopHost()
    if (!closed) { closed = true; db.close() }
  }
  t.after(stop)
  return { ...host, dir, db, chunks, registry, store: holder, stop }
}

/** Tells every host the addresses of every other, so any can dial any (as the peer book would). */
export async function introduce (hosts: readonly Host[]): Promise<void> {
  for (const a of hosts) {
    for (const b of hosts) {
      if (a === b) continue
      await a.libp2p.peerStore.merge(peerIdFromString(b.peerId), { multiaddrs: b.addrs.map((s) => multiaddr(s)) })
    }
  }
}

/** A temp dir removed when the test ends. */
export async function tempDir (t: TestContext, prefix = 'shoal-dist-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

/** A push of `file` from `pusher` to `candidates`, 2 replicas round-robin, the pusher keeping no share. */
export function pushBase (pusher: Host, file: Fixture, candidates: readonly Host[]): PushInit {
  return { libp2p: pusher.libp2p, privateKey: pusher.privateKey, manifest: file.manifest, manifestBytes: file.manifestBytes, readChunk: file.readChunk, candidates: candidates.map((h) => h.peerId), replicas: 2, strategy: 'round-robin', minPeers: 2, includeLocal: false }
}
