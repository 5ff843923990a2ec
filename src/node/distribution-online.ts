/**
 * Distribution on a started host, as the node composes it: the holder policy
 * behind the store protocol (a newer map from another holder judged by the
 * repair driver first), the release protocol (`rm --everywhere`), and the
 * repair driver itself (started by the node once libp2p runs).
 */
import { serveStoreProtocol } from '../distribute/serve-store.js'
import { serveReleaseProtocol } from '../distribute/release-protocol.js'
import { RepairDriver } from './repair-driver.js'
import type { Distribution, DistributionOnline } from './distribution.js'
import type { PingingLibp2p } from '../distribute/holder-watch-libp2p.js'
import type { PeerBudgets } from '../protocol/peer-budget.js'

/** What `serveDistribution` needs from the node. */
export interface ServeDistributionInit extends DistributionOnline {
  libp2p: DistributionOnline['libp2p'] & PingingLibp2p
  distribution: Distribution
  /** The node's outbound per-peer budgets, shared with the serving protocols. */
  budgets: PeerBudgets
  writeTimeoutMs: number
  repairDelayMs: number
  /** Hears a file newly held here (announce and provide it). */
  onHeld: (fileId: string) => void
}

/** Attaches the unit to the host, registers the store and release protocols, and returns the (unstarted) repair driver. */
export async function serveDistribution (init: ServeDistributionInit): Promise<RepairDriver> {
  const { distribution, libp2p, privateKey, readChunk } = init
  const holder = distribution.attach({ libp2p, privateKey, readChunk, bandwidths: init.bandwidths })
  const repair = new RepairDriver({ libp2p, privateKey, distribution, repairDelayMs: init.repairDelayMs, readChunk, onHeld: init.onHeld })
  await serveStoreProtocol(libp2p, {
    holder,
    budgets: init.budgets,
    writeTimeoutMs: init.writeTimeoutMs,
    otherRecords: distribution.otherRecords,
    judgeRecord: async (held, file) => await repair.judgeRecord(held, file)
  })
  await serveReleaseProtocol(libp2p, async (bytes, _from, signal) => await distribution.onRelease(bytes, signal))
  return repair
}
