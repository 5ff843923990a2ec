/**
 * The repairer: what one surviving holder does when holders of a file have
 * departed, and what any holder does with a repair update it receives.
 *
 * Repair, without a coordinator. Every surviving holder runs `planRepair`
 * (repair.ts) on the same inputs — the latest record, the holders its own
 * watch has declared departed, the live candidates with the capacities they
 * announce — so every survivor computes the same plan. Each carries out the
 * copy orders whose source is itself (`ordersFrom`) through the injected
 * `copyChunk` (the store protocol's push; the receiver verifies the chunk
 * against the manifest before it acks, which is the "verify" step), and only
 * when all of them succeeded signs the next version of the record with its
 * own key (a surviving holder: the repair rule in record-chain.ts accepts
 * it) and hands it to the other holders (`publishRecord`). Two survivors
 * signing the same repair sign the same map; `preferRecord` keeps one of the
 * two byte strings everywhere. A survivor whose copies failed signs nothing
 * and tries again at its next round; the map another survivor signed may then
 * name a new holder that lacks a chunk (`missingChunks`, surplus.ts), which
 * the store side fetches from the chunk's other holders.
 *
 * A holder that accepts a repair it did not sign still owes its own orders of
 * that repair (`fulfil`): the first signer's map names copies every survivor
 * is making.
 *
 * Receiving an update (`acceptUpdate`). The signature and the repair rule are
 * checked (`verifyUpdate`); an update signed by a holder rather than the
 * uploader is acted upon only when every peer it replaces — other than this
 * node itself — is departed by this node's own watch. Otherwise it is
 * deferred: nothing is dropped, the current record stays, and this node keeps
 * serving (the caller may offer the update again once the watch agrees). A
 * node that finds itself replaced (it was away) accepts the map and keeps its
 * copies as surplus, dropped after a grace period (surplus.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { PrivateKey } from '@libp2p/interface'
import { ShoalError } from '../errors.js'
import { logger } from '../util/log.js'
import { holderCounts, nextRecord, signRecord, type DistributionRecord, type SignedRecord } from './record.js'
import { preferRecord, verifyUpdate } from './record-chain.js'
import { ordersFrom, planRepair, type CopyOrder, type RepairPlan } from './repair.js'
import { compareIds, type ChunkGeometry, type PlacementPeer } from './placement.js'
import { decodeRecordBytes } from './record-codec.js'

const log = logger('repairer')

/**
 * Copies one survivor runs at once, each on a store stream of its own: enough
 * to cover each copy's offer and answer round trips with other copies' bytes,
 * and under the receiver's cap on one peer's store streams (8), which all of
 * them may reach.
 */
export const DEFAULT_COPY_CONCURRENCY = 6
/** Tries per copy order before the round gives up. */
export const DEFAULT_COPY_ATTEMPTS = 3
/**
 * Wait before the second try of a copy, doubled before each later one. The
 * usual refusal is passing: the receiver's own watch has not yet declared the
 * departed holder gone (its verdict comes a moment apart from ours) and
 * defers the new version until it does.
 */
export const DEFAULT_COPY_RETRY_DELAY_MS = 1_000

/** One copy to make: a repair order with its file. */
export interface CopyJob extends CopyOrder {
  readonly fileId: string
}

/** A file's geometry as its manifest gives it (the record has the file ID and chunk count). */
export type RepairGeometry = Omit<ChunkGeometry, 'fileId' | 'chunkCount'>

/** What a Repairer needs; every I/O is injected. */
export interface RepairerInit {
  /** This node's peer ID. */
  readonly self: string
  /** This node's libp2p key: it signs the repairs it makes. */
  readonly privateKey: PrivateKey
  /** This node's own verdict (holder-watch.ts). */
  readonly isDeparted: (peerId: string) => boolean
  /**
   * Peers that could take copies, with the quota and bandwidth they announce
   * (a capacity query of the store protocol; announced, not measured, so every
   * survivor gets the same figures), this node included with its own quota.
   * Surviving holders missing from the answer are added with no free quota:
   * they stay holders but take no new copies (the same on every survivor only
   * if every survivor misses the same ones).
   */
  readonly candidates: (record: DistributionRecord, signal: AbortSignal) => Promise<PlacementPeer[]>
  /** Copies `job.chunk` from this node to `job.to`; resolves once the receiver verified and kept it. */
  readonly copyChunk: (job: CopyJob, signal: AbortSignal) => Promise<void>
  /** Hands a signed record to `to` (the other live holders). */
  readonly publishRecord: (record: SignedRecord, to: readonly string[], signal: AbortSignal) => Promise<void>
  readonly copyConcurrency?: number
  readonly copyAttempts?: number
  readonly copyRetryDelayMs?: number
}

/** What one repair round did. */
export interface RepairOutcome {
  readonly plan: RepairPlan
  /** This node's orders, all of them copied when `record` is set. */
  readonly orders: readonly CopyJob[]
  /** Orders that failed every attempt (then `record` is null). */
  readonly failed: readonly CopyJob[]
  /** The next version, signed by this node; null when it had nothing to copy or a copy failed. */
  readonly record: SignedRecord | null
}

/** A node's view of one file's record: the latest version and the one it replaced. */
export interface RecordState {
  readonly current: SignedRecord
  /** The version `current` chains from (needed to judge a concurrent repair of the same version). */
  readonly previous?: SignedRecord
}

/** What `acceptUpdate` decided. */
export type UpdateDecision =
  | {
    readonly status: 'accepted'
    readonly state: RecordState
    readonly replaced: readonly string[]
    readonly selfReplaced: boolean
    /**
     * Set when this node, a surviving holder, owes copies of this repair
     * (a first signature of the next version, not a second one of a version
     * already taken): call `fulfil(owesCopiesOf, state.current, …)`.
     */
    readonly owesCopiesOf?: SignedRecord
  }
  | { readonly status: 'deferred', readonly alive: readonly string[] }

/** Runs repairs for this node and judges the repair updates it receives; see the module comment. */
export class Repairer {
  readonly #init: RepairerInit
  readonly #running = new Set<string>()

  constructor (init: RepairerInit) {
    this.#init = init
  }

  /**
   * The plan every survivor computes for `current`, given this node's
   * departed verdicts and any peers in `alsoDeparted` (those an accepted
   * update replaced, which this node's watch may not have declared yet).
   */
  async plan (current: SignedRecord, geometry: RepairGeometry, signal: AbortSignal, alsoDeparted: ReadonlySet<string> = new Set()): Promise<RepairPlan> {
    const record = current.record
    const gone = (peer: string): boolean => alsoDeparted.has(peer) || this.#init.isDeparted(peer)
    const offered = (await this.#init.candidates(record, signal)).filter((p) => !gone(p.peerId))
    const peers = new Map(offered.map((p) => [p.peerId, p]))
    if (!peers.has(this.#init.self) && holderCounts(record).has(this.#init.self)) {
      // Every survivor would then plan with itself full and the others not: their plans, and maps, differ.
      log.error('%s: the capacity answer leaves out this node; include it with its announced quota', record.fileId)
    }
    for (const holder of holderCounts(record).keys()) {
      if (!peers.has(holder) && !gone(holder)) peers.set(holder, { peerId: holder, freeBytes: 0 })
    }
    return planRepair({
      ...geometry,
      fileId: record.fileId,
      chunkCount: record.holders.length,
      replicas: record.replicas,
      strategy: record.strategy,
      holders: record.holders,
      peers: [...peers.values()]
    })
  }

  /**
   * One repair round for a file: plan, copy this node's orders, sign and
   * publish the next version. Throws ERR_CANCELLED when a round for the
   * file is already running here.
   */
  async repair (current: SignedRecord, geometry: RepairGeometry, options: { signal: AbortSignal }): Promise<RepairOutcome> {
    const fileId = current.record.fileId
    if (this.#running.has(fileId)) throw new ShoalError('ERR_CANCELLED', `a repair of ${fileId} is already running`, { fileId })
    this.#running.add(fileId)
    try {
      return await this.#repair(current, geometry, options.signal)
    } finally {
      this.#running.delete(fileId)
    }
  }

  async #repair (current: SignedRecord, geometry: RepairGeometry, signal: AbortSignal): Promise<RepairOutcome> {
    const { self } = this.#init
    const plan = await this.plan(current, geometry, signal)
    const orders = ordersFrom(plan, self).map((o) => ({ ...o, fileId: current.record.fileId }))
    if (plan.lost.length > 0) log.error('%s: chunks %o have no live holder left', current.record.fileId, plan.lost)
    if (orders.length === 0) return { plan, orders, failed: [], record: null }
    const failed = await this.#copyAll(orders, signal)
    if (failed.length > 0) return { plan, orders, failed, record: null }
    const signed = await signRecord(nextRecord(current, plan.holders, self), this.#init.privateKey)
    // The rule every other holder applies; failing it here is a bug, not a peer's fault.
    await verifyUpdate(current, signed.bytes)
    const departed = new Set(plan.departed)
    const to = [...new Set([...holderCounts(current.record).keys(), ...holderCounts(signed.record).keys()])]
      .filter((p) => p !== self && !departed.has(p)).sort(compareIds)
    try {
      await this.#init.publishRecord(signed, to, signal)
    } catch (err) {
      // The copies are made and the record is signed: it is kept here and sent again with the next update.
      log.error('publishing version %d of %s failed: %o', signed.record.version, current.record.fileId, err)
    }
    return { plan, orders, failed: [], record: signed }
  }

  /**
   * Carries out this node's part of a repair another node signed first: the
   * orders of this node's own plan for `base` whose copy `update` lists
   * (an uploader's update is accepted at once, and a holder's may arrive
   * before this node's own round, which then finds nothing left to plan).
   * Copies only; the update is already signed. Returns the orders and those
   * that failed every attempt — those, and any order two planners assigned
   * differently, are left to the new holder fetching what it lacks
   * (`missingChunks`).
   */
  async fulfil (base: SignedRecord, update: SignedRecord, geometry: RepairGeometry, options: { signal: AbortSignal }): Promise<{ orders: CopyJob[], failed: CopyJob[] }> {
    const fileId = base.record.fileId
    // The update's replaced peers count as departed here: an uploader's update is accepted before this node's watch agrees.
    const plan = await this.plan(base, geometry, options.signal, new Set(replacedPeers(base.record, update.record)))
    const orders = ordersFrom(plan, this.#init.self)
      .filter((o) => update.record.holders[o.chunk]?.includes(o.to) === true)
      .map((o) => ({ ...o, fileId }))
    return { orders, failed: orders.length === 0 ? [] : await this.#copyAll(orders, options.signal) }
  }

  /** Runs the copies, a few at once, each retried; returns those that failed every attempt. */
  async #copyAll (jobs: readonly CopyJob[], signal: AbortSignal): Promise<CopyJob[]> {
    const attempts = this.#init.copyAttempts ?? DEFAULT_COPY_ATTEMPTS
    const failed: CopyJob[] = []
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const job = jobs[next++] as CopyJob
        for (let attempt = 1; ; attempt++) {
          signal.throwIfAborted()
          try {
            await this.#init.copyChunk(job, signal)
            break
          } catch (err) {
            if (signal.aborted) throw err
            log.error('copy of chunk %d of %s to %s failed (attempt %d/%d): %o', job.chunk, job.fileId, job.to, attempt, attempts, err)
            if (attempt >= attempts) {
              failed.push(job)
              break
            }
            await sleep((this.#init.copyRetryDelayMs ?? DEFAULT_COPY_RETRY_DELAY_MS) * 2 ** (attempt - 1), undefined, { signal })
          }
        }
      }
    }
    const workers = Math.min(jobs.length, this.#init.copyConcurrency ?? DEFAULT_COPY_CONCURRENCY)
    await Promise.all(Array.from({ length: workers }, worker))
    return failed
  }

  /**
   * Judges a record update received from another holder against this node's
   * state. Throws what `verifyUpdate` throws for a forged, stale or
   * unchained update; returns `deferred` when it replaces a peer this node's
   * watch still considers alive.
   */
  async acceptUpdate (state: RecordState, bytes: Uint8Array): Promise<UpdateDecision> {
    const { current, previous } = state
    // A second signature of the version we already have (a concurrent repair) chains from `previous`.
    const concurrent = previous !== undefined && peekVersion(bytes) === current.record.version
    const base = concurrent ? previous : current
    const incoming = await verifyUpdate(base, bytes)
    const replaced = replacedPeers(base.record, incoming.record)
    const others = replaced.filter((p) => p !== this.#init.self)
    if (incoming.record.signer !== incoming.record.uploader) {
      const alive = others.filter((p) => !this.#init.isDeparted(p))
      if (alive.length > 0) {
        log('deferring version %d of %s: %o still alive here', incoming.record.version, incoming.record.fileId, alive)
        return { status: 'deferred', alive }
      }
    }
    const chosen = concurrent ? preferRecord(current, incoming) : incoming
    const selfReplaced = replaced.includes(this.#init.self)
    const heldBefore = holderCounts(base.record).has(this.#init.self)
    const owes = !concurrent && replaced.length > 0 && heldBefore && !selfReplaced
    return { status: 'accepted', state: { current: chosen, previous: base }, replaced, selfReplaced, ...(owes ? { owesCopiesOf: base } : {}) }
  }
}

/**
 * The state after this node's own round on `base` signed `signed`: kept as
 * the next version, or, when another signature of that version was accepted
 * meanwhile, settled with it by `preferRecord`; an older result changes nothing.
 */
export function adoptOwn (state: RecordState, base: SignedRecord, signed: SignedRecord): RecordState {
  const have = state.current.record.version
  const mine = signed.record.version
  if (mine > have) return { current: signed, previous: base }
  if (mine === have) return { current: preferRecord(state.current, signed), previous: state.previous ?? base }
  return state
}

/**
 * The peers that the holder-signed steps of `chain` (decoded records, oldest
 * first) from version `fromVersion` on replace, each step judged against its
 * own parent (sorted). For an update that does not chain to the version held
 * here — a rival of it, another survivor's signature of the same repair — the
 * net change against the held version would count the peers each plan added,
 * live peers all, as replaced.
 */
export function replacedBySteps (chain: readonly DistributionRecord[], fromVersion: number): string[] {
  const out = new Set<string>()
  for (let i = 1; i < chain.length; i++) {
    const [parent, step] = [chain[i - 1], chain[i]] as [DistributionRecord, DistributionRecord]
    if (step.version < fromVersion || step.signer === step.uploader) continue
    for (const p of replacedPeers(parent, step)) out.add(p)
  }
  return [...out].sort(compareIds)
}

/** Peers listed in `before` for some chunk and no longer listed for it in `after` (sorted). */
export function replacedPeers (before: DistributionRecord, after: DistributionRecord): string[] {
  const out = new Set<string>()
  before.holders.forEach((holders, c) => {
    const now = after.holders[c] ?? []
    for (const p of holders) if (!now.includes(p)) out.add(p)
  })
  return [...out].sort(compareIds)
}

/** The version an update claims, before it is verified (only to pick what to verify it against). */
function peekVersion (bytes: Uint8Array): number | undefined {
  try {
    return decodeRecordBytes(bytes).record.version
  } catch (err) {
    // Malformed: verifyUpdate reports it properly.
    log('update does not decode: %s', (err as Error).message)
    return undefined
  }
}
