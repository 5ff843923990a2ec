/**
 * The holder side in one call, for the node's composition root: the chunk
 * store under the data dir with `storage.chunkQuotaBytes`, the registry in
 * the catalog, the policy from `distribution.acceptPushes` and
 * `storage.chunkQuotaPerUploaderPercent`, the store protocol handler, and
 * the provider that serves held chunks (combine it with the library's).
 */
import { join } from 'node:path'
import { ChunkStore } from '../store/chunk-store.js'
import { HolderRegistry } from './holder-registry.js'
import { HolderStore, perUploaderQuota } from './holder-store.js'
import { HeldFileProvider } from './served-held.js'
import { serveStoreProtocol } from './serve-store.js'
import type { ShoalConfig } from '../config/index.js'
import type { PeerBudgets } from '../protocol/peer-budget.js'
import type { Libp2p } from '@libp2p/interface'
import type { Database } from 'better-sqlite3'

/** Directory of the chunk store inside the data dir. */
export const CHUNKS_DIR = 'chunks'

/** What `startHolding` needs. */
export interface HoldingInit {
  libp2p: Libp2p
  /** The catalog, opened by `openCatalogDatabase` (migrated). */
  db: Database
  dataDir: string
  config: Pick<ShoalConfig, 'storage' | 'distribution' | 'transfer'>
  /** The node's outbound per-peer budgets, shared with the serving protocols. */
  budgets: PeerBudgets
}

/** A running holder side. */
export interface Holding {
  chunks: ChunkStore
  registry: HolderRegistry
  holder: HolderStore
  provider: HeldFileProvider
}

/** Opens the chunk store and registry and registers the store protocol on `libp2p`. */
export async function startHolding (init: HoldingInit): Promise<Holding> {
  const { storage, distribution, transfer } = init.config
  const chunks = new ChunkStore(join(init.dataDir, CHUNKS_DIR), storage.chunkQuotaBytes)
  const registry = await HolderRegistry.open(init.db, chunks)
  const holder = new HolderStore({
    self: init.libp2p.peerId.toString(),
    registry,
    chunks,
    policy: { acceptPushes: distribution.acceptPushes, perUploaderBytes: perUploaderQuota(storage.chunkQuotaBytes, storage.chunkQuotaPerUploaderPercent) }
  })
  await serveStoreProtocol(init.libp2p, { holder, budgets: init.budgets, writeTimeoutMs: transfer.uploadStallTimeoutMs })
  return { chunks, registry, holder, provider: new HeldFileProvider(registry, chunks) }
}
