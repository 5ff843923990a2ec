/**
 * Repair, wired to a running node: a HolderWatch fed by libp2p (connections,
 * pings) watches the other holders of every record this node keeps (held
 * files and its own distributions), and a Repairer acts when one departs.
 *
 * Every SYNC_INTERVAL_MS the driver re-reads the records (a push, a repair
 * update or a release changes them), re-watches those whose version changed,
 * and starts a repair round for each file that names a departed holder while
 * this node is one of its live holders. The Repairer's I/O goes over the
 * store protocol:
 * - candidates: a QUERY to every connected peer (capacity they announce),
 *   and this node's own; never the uploader (it has the whole file);
 *   memoised for the round so every plan of the round is the same plan;
 * - copyChunk: a one-chunk push to the new holder under the next version of
 *   the record, pre-signed by this node from that plan (the receiver checks
 *   it is placed there; Ed25519 signatures are deterministic, so it is the
 *   very version the Repairer signs and publishes after the copies);
 * - publishRecord: an UPDATE with the whole chain to every other holder.
 * A failed round is retried after RETRY_BACKOFF_MS.
 *
 * Updates from other holders (`judgeRecord`, the store server's judge): one
 * signed by the uploader is adopted; a holder-signed one goes through the
 * Repairer's `acceptUpdate` and is deferred while this node's own watch sees
 * a peer it replaces alive. A deferred update is kept and offered again at
 * every sync, so it is adopted once the watch declares those peers departed. Copies a new map no
 * longer lists this node for (it was replaced while away) keep being served
 * and are dropped after surplus.ts's grace period.
 */
import { pingProbe, feedConnections, type PingingLibp2p } from '../distribute/holder-watch-libp2p.js'
import { HolderWatch } from '../distribute/holder-watch.js'
import { DEFAULT_SURPLUS_GRACE_MS, SurplusDropper } from '../distribute/surplus.js'
import { MissingFetcher } from './missing-fetcher.js'
import { Repairer, replacedBySteps, replacedPeers, type CopyJob, type RepairGeometry } from '../distribute/repairer.js'
import { coarseCapacity } from '../distribute/repair.js'
import { queryStore, sendRecordUpdate, StoreSession } from '../distribute/store-client.js'
import { StoreRefusal, type ChunkAck } from '../distribute/store-wire.js'
import { holderCounts, nextRecord, signRecord, type SignedRecord } from '../distribute/record.js'
import { preferRecord, verifyChain } from '../distribute/record-chain.js'
import { decodeRecordBytes } from '../distribute/record-codec.js'
import { equalBytes } from '../content/hash.js'
import type { HeldFile } from '../distribute/holder-registry.js'
import type { OfferedFile } from '../distribute/holder-store.js'
import { chunkRange } from '../content/chunk-size.js'
import { ShoalError } from '../errors.js'
import { logger } from '../util/log.js'
import type { PlacementPeer } from '../distribute/placement.js'
import type { Distribution, KnownRecord } from './distribution.js'
import type { PrivateKey } from '@libp2p/interface'

const log = logger('repair-driver')

/** How often records are re-read and repairs considered. */
export const SYNC_INTERVAL_MS = 1_000
/** Wait before a failed repair round of a file is tried again. */
export const RETRY_BACKOFF_MS = 5_000
/**
 * Environment variable overriding the surplus grace (milliseconds): tests
 * and the host harness shorten it; users have no reason to (surplus.ts).
 */
export const SURPLUS_GRACE_ENV = 'SHOAL_SURPLUS_GRACE_MS'

/** The surplus grace: `SHOAL_SURPLUS_GRACE_MS` when set to a non-negative integer, else surplus.ts's default. */
export function surplusGraceMs (env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[SURPLUS_GRACE_ENV]
  const ms = raw === undefined || raw === '' ? NaN : Number(raw)
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : DEFAULT_SURPLUS_GRACE_MS
}

/** What the driver needs. */
export interface RepairDriverInit {
  libp2p: PingingLibp2p
  privateKey: PrivateKey
  distribution: Distribution
  repairDelayMs: number
  /** Reads a chunk this node serves (library or held), verified. */
  readChunk: (fileId: string, index: number) => Promise<Uint8Array>
  /** Hears a file newly held here (announce and provide it). */
  onHeld: (fileId: string) => void
  /** How long a surplus copy is kept before it is dropped; default surplusGraceMs() (the environment, else an hour). */
  surplusGraceMs?: number
}

/** See the module comment. */
export class RepairDriver {
  readonly #init: RepairDriverInit
  readonly #self: string
  readonly #watch: HolderWatch
  readonly #repairer: Repairer
  /** Copies this node holds that the latest map no longer lists it for (it was replaced while away): dropped after a grace period. */
  readonly #surplus: SurplusDropper
  readonly #watched = new Map<string, Uint8Array>()
  /** fileId → the version last watched (the base a newer version that arrives replaced). */
  readonly #lastSeen = new Map<string, SignedRecord>()
  readonly #held = new Set<string>()
  readonly #running = new Set<string>()
  readonly #nextTry = new Map<string, number>()
  /** fileId → a holder-signed update deferred while our watch saw a peer it replaces alive. */
  readonly #deferred = new Map<string, OfferedFile>()
  /** Fetches chunks a held map names us for but that never reached us. */
  readonly #missing: MissingFetcher
  /** fileId → this round's candidates and pre-signed next version. */
  readonly #rounds = new Map<string, { candidates?: Promise<PlacementPeer[]>, next?: Promise<SignedRecord> }>()
  readonly #lifetime = new AbortController()
  #timer: NodeJS.Timeout | undefined
  #unfeed: (() => void) | undefined

  constructor (init: RepairDriverInit) {
    this.#init = init
    this.#self = init.libp2p.peerId.toString()
    this.#watch = new HolderWatch({ self: this.#self, repairDelayMs: init.repairDelayMs, probe: pingProbe(init.libp2p) })
    this.#repairer = new Repairer({
      self: this.#self,
      privateKey: init.privateKey,
      isDeparted: (peer) => this.#watch.isDeparted(peer),
      candidates: async (record, signal) => await this.#candidates(record.fileId, signal),
      copyChunk: async (job, signal) => { await this.#copy(job, signal) },
      publishRecord: async (record, to, signal) => { await this.#publish(record, to, signal) }
    })
    const dist = init.distribution
    this.#missing = new MissingFetcher({ self: this.#self, libp2p: init.libp2p, distribution: dist, isDeparted: (peer) => this.#watch.isDeparted(peer) })
    this.#surplus = new SurplusDropper({
      self: this.#self,
      graceMs: init.surplusGraceMs ?? surplusGraceMs(),
      latest: (fileId) => dist.registry.get(fileId)?.record.record,
      held: (fileId) => {
        const have = dist.registry.get(fileId)?.have
        return have == null ? [] : Array.from({ length: have.length }, (_, i) => i).filter((i) => have.get(i))
      },
      deleteChunk: async (fileId, chunk) => { await dist.dropHeldChunk(fileId, chunk) }
    })
  }

  start (): void {
    this.#unfeed = feedConnections(this.#watch, this.#init.libp2p)
    // A departure is acted on at once, not at the next sync: survivors that
    // saw the holder go together start their repairs together.
    this.#watch.on('holder:departed', () => { this.#kick() })
    this.#watch.start()
    this.#tick()
  }

  stop (): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#lifetime.abort()
    this.#unfeed?.()
    this.#watch.stop()
    this.#surplus.stop()
  }

  /** Runs the next sync as soon as the current task is done (a departure, an adopted update). */
  #kick (): void {
    if (this.#lifetime.signal.aborted) return
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => { this.#tick() }, 0)
    this.#timer.unref()
  }

  #tick (): void {
    if (this.#lifetime.signal.aborted) return
    try {
      this.#sync()
    } catch (err) {
      log.error('repair sync failed: %o', err)
    }
    // A kick during the sync (a departure declared by it) is superseded: this is the one next tick.
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => { this.#tick() }, SYNC_INTERVAL_MS)
    this.#timer.unref()
  }

  /**
   * The store server's judge of a newer record for a file held here: true
   * adopts it; false defers it (kept, and offered again at every sync).
   */
  async judgeRecord (held: HeldFile, file: OfferedFile): Promise<boolean> {
    const adopt = await this.#judge(held, file)
    if (adopt) {
      this.#deferred.delete(file.fileId)
      // The copies this node owes under it start at the next sync: now, once the store server has kept it.
      this.#kick()
    } else {
      this.#deferred.set(file.fileId, file)
    }
    return adopt
  }

  async #judge (held: HeldFile, file: OfferedFile): Promise<boolean> {
    const incoming = file.record
    // The uploader's signature is the root of trust: its versions need no agreement.
    if (incoming.record.signer === incoming.record.uploader) return true
    const gap = incoming.record.version - held.record.record.version
    if (gap === 0 || gap === 1) {
      try {
        const previous = held.chain.length > 1 ? await verifyChain(held.chain.slice(0, -1)) : undefined
        const decision = await this.#repairer.acceptUpdate({ current: held.record, previous }, incoming.bytes)
        return decision.status === 'accepted' && equalBytes(decision.state.current.bytes, incoming.bytes)
      } catch (err) {
        // Not a link of our chain (a fork): judged step by step below.
        log('%s: version %d is not a link of our chain: %s', file.fileId, incoming.record.version, err)
      }
    }
    // The store server verified the incoming chain (signatures, links, the repair
    // rule); each holder-signed step we have not taken must replace only peers departed here.
    const chain = file.chain.map((bytes) => decodeRecordBytes(bytes).record)
    const alive = new Set(replacedBySteps(chain, held.record.record.version).filter((p) => p !== this.#self && !this.#watch.isDeparted(p)))
    if (alive.size > 0) log('deferring version %d of %s: %o still alive here', incoming.record.version, file.fileId, [...alive])
    return alive.size === 0
  }

  /** Offers each deferred update again: adopted once our watch agrees, forgotten once a newer record is held. */
  async #reofferDeferred (): Promise<void> {
    const registry = this.#init.distribution.registry
    for (const [id, file] of [...this.#deferred]) {
      const held = registry.get(id)
      if (held == null || preferRecord(held.record, file.record) !== file.record || equalBytes(held.record.bytes, file.record.bytes)) {
        this.#deferred.delete(id)
        continue
      }
      if (!await this.#judge(held, file)) continue
      this.#deferred.delete(id)
      log('%s: deferred version %d adopted: its replaced holders are gone here too', id, file.record.record.version)
      registry.setChain(id, file.chain, file.record)
    }
  }

  #sync (): void {
    const dist = this.#init.distribution
    if (this.#deferred.size > 0) this.#reofferDeferred().catch((err: unknown) => { log.error('re-offering deferred updates failed: %o', err) })
    for (const id of dist.heldFileIds()) {
      if (this.#held.has(id)) continue
      this.#held.add(id)
      this.#init.onHeld(id)
    }
    const known = dist.records()
    const ids = new Set(known.map((k) => k.record.record.fileId))
    for (const id of [...this.#watched.keys()]) if (!ids.has(id)) { this.#watch.unwatch(id); this.#watched.delete(id); this.#lastSeen.delete(id) }
    for (const id of [...this.#held]) if (!ids.has(id)) this.#held.delete(id)
    for (const k of known) {
      const id = k.record.record.fileId
      if (this.#watched.get(id) !== k.record.bytes) {
        // Before re-watching: the new version lets the peers it replaced go, and their verdicts with them.
        const base = this.#lastSeen.get(id)
        if (base != null) this.#maybeFulfil(base, k.record)
        this.#lastSeen.set(id, k.record)
        this.#watch.watch(k.record.record)
        this.#watched.set(id, k.record.bytes)
        if (!k.own) this.#surplus.schedule(id)
        this.#missing.changed(id)
      }
      if (!k.own) this.#missing.maybeFetch(id, this.#lifetime.signal)
      this.#maybeRepair(k.record)
    }
  }

  #maybeRepair (current: SignedRecord): void {
    const record = current.record
    const id = record.fileId
    if (this.#running.has(id) || (this.#nextTry.get(id) ?? 0) > Date.now()) return
    const holders = new Set(record.holders.flat())
    if (!holders.has(this.#self)) return
    const departed = [...holders].filter((p) => this.#watch.isDeparted(p))
    if (departed.length === 0) return
    const k = this.#init.distribution.known(id)
    if (k == null) return
    this.#running.add(id)
    this.#rounds.set(id, {})
    this.#init.distribution.emit('repair:started', { id, departed })
    const last = record.holders.length - 1
    const geometry = { chunkSizeBytes: k.manifest.chunkSize, lastChunkSizeBytes: last < 0 ? undefined : chunkRange(k.manifest.size, k.manifest.chunkSize, last).length }
    this.#repairer.repair(k.record, geometry, { signal: this.#lifetime.signal }).then((outcome) => {
      // Kept unless another survivor's signature of the same version, preferred everywhere, was taken meanwhile.
      const latest = this.#init.distribution.known(id)?.record
      if (outcome.record != null && (latest == null || preferRecord(latest, outcome.record) === outcome.record)) {
        this.#init.distribution.adopt(id, [...k.chain, outcome.record.bytes], outcome.record)
      }
      if (outcome.failed.length > 0 || (outcome.record == null && outcome.plan.orders.length > 0 && outcome.orders.length === 0)) {
        // Failed copies, or another survivor's part: look again later (its update may arrive meanwhile).
        this.#nextTry.set(id, Date.now() + RETRY_BACKOFF_MS)
      }
      if (outcome.plan.orders.length === 0) this.#nextTry.set(id, Date.now() + RETRY_BACKOFF_MS)
      log('repair of %s: %d copies by us, %d failed, version %s', id, outcome.orders.length, outcome.failed.length, outcome.record?.record.version ?? '-')
      this.#init.distribution.emit('repair:done', { id, version: outcome.record?.record.version ?? null, copies: outcome.orders.length, failed: outcome.failed.length })
    }, (err: unknown) => {
      this.#nextTry.set(id, Date.now() + RETRY_BACKOFF_MS)
      if (!this.#lifetime.signal.aborted) log.error('repair of %s failed: %o', id, err)
    }).finally(() => {
      this.#running.delete(id)
      this.#rounds.delete(id)
    })
  }

  /**
   * A repair another survivor signed first reached this node (an UPDATE):
   * the new map names copies from every survivor, this node's among them,
   * and this node, finding no departed holder left in it, would run no round
   * of its own. So it makes the copies it owes (Repairer.fulfil). Not while
   * its own round runs (that round makes them), and not for an uploader's
   * version whose replaced peers this node's watch does not see departed (a
   * push re-placing refusing peers: the pusher sends those chunks itself).
   */
  #maybeFulfil (base: SignedRecord, update: SignedRecord): void {
    const id = update.record.fileId
    if (update.record.version <= base.record.version || update.record.signer === this.#self || this.#running.has(id)) return
    const replaced = replacedPeers(base.record, update.record)
    if (replaced.length === 0 || replaced.includes(this.#self) || !holderCounts(base.record).has(this.#self)) return
    const repair = update.record.signer !== update.record.uploader || replaced.every((p) => this.#watch.isDeparted(p))
    if (!repair) return
    const k = this.#init.distribution.known(id)
    if (k == null) return
    this.#running.add(id)
    // The copies go under the update itself: the receivers find themselves placed in it.
    this.#rounds.set(id, { next: Promise.resolve(update) })
    this.#repairer.fulfil(base, update, this.#geometry(k), { signal: this.#lifetime.signal }).then(({ orders, failed }) => {
      log('repair of %s signed by %s: %d copies owed by us, %d failed', id, update.record.signer, orders.length, failed.length)
      this.#init.distribution.emit('repair:done', { id, version: update.record.version, copies: orders.length, failed: failed.length })
    }, (err: unknown) => {
      if (!this.#lifetime.signal.aborted) log.error('copies owed for version %d of %s failed: %o', update.record.version, id, err)
    }).finally(() => {
      this.#running.delete(id)
      this.#rounds.delete(id)
    })
  }

  #geometry (k: KnownRecord): RepairGeometry {
    const last = k.record.record.holders.length - 1
    return { chunkSizeBytes: k.manifest.chunkSize, lastChunkSizeBytes: last < 0 ? undefined : chunkRange(k.manifest.size, k.manifest.chunkSize, last).length }
  }

  /** Connected peers' announced capacity, asked once per round. */
  async #candidates (fileId: string, signal: AbortSignal): Promise<PlacementPeer[]> {
    const round = this.#rounds.get(fileId) ?? {}
    this.#rounds.set(fileId, round)
    round.candidates ??= (async () => {
      const known = this.#init.distribution.known(fileId)
      const chunkCount = known?.record.record.holders.length ?? 0
      const uploader = known?.record.record.uploader
      // Every survivor must plan over the same peers: itself included, and
      // never the uploader as a new holder (it keeps the whole file; as a
      // surviving holder the Repairer adds it back without room).
      const peers = this.#init.libp2p.getPeers().map(String).filter((p) => p !== uploader)
      const out: PlacementPeer[] = []
      const own = this.#init.distribution.capacity(uploader ?? this.#self)
      if (this.#self !== uploader && own.accepting) out.push({ peerId: this.#self, freeBytes: coarseCapacity(own.uploaderFreeBytes) })
      await Promise.all(peers.map(async (peer) => {
        try {
          const answer = await queryStore(this.#init.libp2p, peer, { fileId, chunkCount }, { signal })
          if (answer.accepting) out.push({ peerId: peer, freeBytes: coarseCapacity(answer.uploaderFreeBytes) })
        } catch (err) {
          log('%s did not answer a store query: %s', peer, err)
        }
      }))
      return out.sort((a, b) => a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0)
    })()
    return await round.candidates
  }

  /** The version this round will sign: needed before the copies, so receivers see themselves placed. */
  async #next (k: KnownRecord, signal: AbortSignal): Promise<SignedRecord> {
    const id = k.record.record.fileId
    const round = this.#rounds.get(id) ?? {}
    this.#rounds.set(id, round)
    round.next ??= (async () => {
      const last = k.record.record.holders.length - 1
      const plan = await this.#repairer.plan(k.record, { chunkSizeBytes: k.manifest.chunkSize, lastChunkSizeBytes: last < 0 ? undefined : chunkRange(k.manifest.size, k.manifest.chunkSize, last).length }, signal)
      return await signRecord(nextRecord(k.record, plan.holders, this.#self), this.#init.privateKey)
    })()
    return await round.next
  }

  async #copy (job: CopyJob, signal: AbortSignal): Promise<void> {
    const k = this.#init.distribution.known(job.fileId)
    if (k == null) throw new ShoalError('ERR_FILE_NOT_FOUND', `no record of ${job.fileId} any more`)
    const next = await this.#next(k, signal)
    const data = await this.#init.readChunk(job.fileId, job.chunk)
    let ack: ChunkAck | undefined
    const session = await StoreSession.open(this.#init.libp2p, job.to, {
      fileId: job.fileId, chunkCount: k.record.record.holders.length, chunkSize: k.manifest.chunkSize, manifestBytes: k.manifestBytes,
      // Owed copies of an update taken already go under the chain that ends with it.
      chain: k.record.record.version >= next.record.version ? k.chain : [...k.chain, next.bytes]
    }, { onAck: (a) => { ack = a }, signal })
    await session.push(job.chunk, data, [], signal)
    await session.finish(signal)
    if (ack?.refusal !== StoreRefusal.NONE) {
      throw new ShoalError('ERR_DISTRIBUTION_FAILED', `${job.to} did not keep chunk ${job.chunk}: ${ack?.refusal ?? 'no answer'} ${ack?.message ?? ''}`, { peer: job.to })
    }
  }

  async #publish (record: SignedRecord, to: readonly string[], signal: AbortSignal): Promise<void> {
    const k = this.#init.distribution.known(record.record.fileId)
    if (k == null) return
    // The chain up to the version this one follows: another survivor's signature of
    // the same version may have been taken meanwhile, and ours must not chain to it.
    const chain = [...k.chain.filter((bytes) => decodeRecordBytes(bytes).record.version < record.record.version), record.bytes]
    await Promise.all(to.map(async (peer) => {
      try {
        const answer = await sendRecordUpdate(this.#init.libp2p, peer, { fileId: record.record.fileId, chunkCount: record.record.holders.length, chunkSize: k.manifest.chunkSize, chain }, { signal })
        if (!answer.accepted) log('%s refused version %d of %s: %s', peer, record.record.version, record.record.fileId, answer.message)
      } catch (err) {
        log('could not send version %d of %s to %s: %s', record.record.version, record.record.fileId, peer, err)
      }
    }))
  }
}
