/**
 * The standalone tracker (`shoal tracker`): its own small composition root.
 * It builds the registry, restores saved peers, wires persistence and the
 * expiry sweep to it, and serves HTTP. The node-side client is `client.ts`.
 */
import { ShoalError } from '../errors.js'
import { resolveTrackerConfig, type TrackerConfig, type TrackerOptions } from './config.js'
import { ipShareBytes } from './admission.js'
import { MAX_REPLAY_GUARD_KEYS, PERSIST_BATCH_PEERS } from './constants.js'
import { openTrackerStore, type TrackerStore } from './persistence.js'
import { Registry, removal } from './registry.js'
import { ReplayGuard } from './replay-guard.js'
import { buildTrackerServer } from './server.js'
import type { AddressInfo } from 'node:net'

export type { TrackerOptions } from './config.js'
export type { AnnounceBody, AnnounceReply } from './server.js'
export { signAnnounce, ANNOUNCE_SIGNATURE_DOMAIN, type SignedAnnounce } from './signature.js'
export { DEFAULT_TRACKER_HOST, DEFAULT_TRACKER_PORT } from './constants.js'

/** A tracker that is listening. */
export interface RunningTracker {
  /** Base URL to give nodes (`--tracker`), e.g. `http://127.0.0.1:7070`. */
  readonly url: string
  /** Stops serving, then writes pending state and closes the database. Idempotent. */
  close: () => Promise<void>
}

/** The tracker's in-memory state for a config: the index, bounded as configured, and the replay guard. */
export function createTrackerState (config: TrackerConfig): { registry: Registry, guard: ReplayGuard } {
  const registry = new Registry({
    peerTtlMs: config.peerTtlSeconds * 1000,
    maxPeers: config.maxPeers,
    maxFilesPerPeer: config.maxFilesPerPeer,
    maxIndexBytes: config.maxIndexBytes,
    ipShareBytes: ipShareBytes(config),
    now: config.now
  })
  const guard = new ReplayGuard({ maxSkewMs: config.maxClockSkewSeconds * 1000, maxKeys: MAX_REPLAY_GUARD_KEYS, now: config.now })
  return { registry, guard }
}

/**
 * Starts a tracker. Throws `ERR_INVALID_CONFIG` for bad options or an address
 * it cannot listen on; a failed start releases everything it opened.
 */
export async function startTracker (opts: TrackerOptions = {}): Promise<RunningTracker> {
  const config = resolveTrackerConfig(opts)
  const { registry, guard } = createTrackerState(config)
  let store: TrackerStore | undefined
  if (config.dataDir !== undefined) {
    const opened = openTrackerStore({
      dataDir: config.dataDir,
      source: registry,
      flushIntervalMs: config.persistIntervalMs,
      batchPeers: PERSIST_BATCH_PEERS,
      onWarning: config.onWarning
    })
    store = opened.store
    // Saved peers that expired while we were down (or no longer fit) are deleted on the next write.
    for (const peer of opened.saved) {
      if (!registry.restore(peer)) store.record(removal(peer.peerId))
      // Signed timestamps are not saved; the last-seen time (tracker clock)
      // stands in, so an announce captured before the restart and older
      // than that cannot be replayed after it.
      guard.remember(peer.peerId, peer.lastSeen)
    }
  }
  const app = buildTrackerServer({ config, registry, guard, onChange: change => store?.record(change) })
  const sweeper = setInterval(() => {
    for (const peerId of registry.sweep()) store?.record(removal(peerId))
  }, config.sweepIntervalMs).unref()

  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    clearInterval(sweeper)
    store?.close()
    await app.close()
    throw new ShoalError('ERR_INVALID_CONFIG', `tracker cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`,
      { host: config.host, port: config.port }, { cause: err })
  }

  let closing: Promise<void> | undefined
  return {
    url: urlOf(app.server.address() as AddressInfo),
    close: async () => {
      // Order: stop taking requests (in-flight ones finish), then stop the
      // sweep, then the final write, so nothing changes after the last flush.
      closing ??= (async () => {
        await app.close()
        clearInterval(sweeper)
        store?.close()
      })()
      return closing
    }
  }
}

/** A URL that reaches the listener; wildcard hosts are reached through loopback. */
function urlOf (address: AddressInfo): string {
  const host = address.address === '0.0.0.0'
    ? '127.0.0.1'
    : address.address === '::' ? '::1' : address.address
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`
}
