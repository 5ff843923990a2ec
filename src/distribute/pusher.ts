/**
 * The uploader's side of distribution: push a file's chunks out so that every
 * chunk has N verified copies on distinct peers, sending each chunk once.
 *
 * 1. Ask every candidate its capacity (QUERY): whether it takes pushes, its
 *    quota left for us, and — when resuming — which chunks it holds already.
 *    Fewer able peers than `minPeers` is ERR_DISTRIBUTION_REQUIRED, before
 *    anything is pushed.
 * 2. Place (placement.ts) — or, resuming, keep the previous record's map —
 *    and sign the record before pushing under it.
 * 3. Rounds: every (chunk, holder) not yet confirmed is pushed, pipelined:
 *    the chunk goes once to its first missing holder, with the rest of its
 *    missing holders as the `forward` list, and every holder's ack comes back
 *    (store-client.ts, forwarder.ts). A holder that refuses or cannot be
 *    reached is replaced for the chunks concerned by the next peer in the
 *    placement's ranking, and never used again in this push; an unreachable
 *    one loses its earlier copies too (they cannot be vouched for). A new
 *    version is signed, then the next round pushes under it. SKIPPED copies
 *    (an upstream holder failed) are retried as they were.
 * 4. The final record is sent to every holder (UPDATE).
 *
 * The local node, when placed (round-robin's rule: it counts as one peer and
 * keeps its share), holds its copies in the file it shares; they count as
 * confirmed without a push.
 */
import { chunkRange } from '../content/chunk-size.js'
import { fileIdFromManifestBytes, manifestChunkCount, type Manifest } from '../content/manifest.js'
import { ShoalError } from '../errors.js'
import { logger } from '../util/log.js'
import { placeChunks, rankPeers, type PlacementPeer, type PlacementRequest, type PlacementStrategy } from './placement.js'
import { MAX_RECORD_REPLICAS, nextRecord, rootRecord, signRecord, type SignedRecord } from './record.js'
import { queryStore, sendRecordUpdate, StoreSession, type StoreAnswer, type StoreOfferInit } from './store-client.js'
import { StoreRefusal, type ChunkAck } from './store-wire.js'
import type { Libp2p, PrivateKey } from '@libp2p/interface'

const log = logger('pusher')

/** Most rounds of re-placement before a push gives up with ERR_DISTRIBUTION_FAILED. */
export const MAX_PUSH_ROUNDS = 8

/** Progress of a push. */
export interface PushProgress {
  /** (chunk, holder) copies confirmed, the local node's included. */
  confirmed: number
  /** chunks × replicas. */
  total: number
  /** Chunk bytes this node has sent. */
  bytesSent: number
}

/** What `pushFile` needs. */
export interface PushInit {
  libp2p: Libp2p
  /** This node's key: it signs the record (its peer ID is the uploader). */
  privateKey: PrivateKey
  manifest: Manifest
  manifestBytes: Uint8Array
  /** Reads chunk `index` from the local copy (verified by the caller or re-checked by the receivers). */
  readChunk: (index: number) => Promise<Uint8Array>
  /** Remote peer IDs that may hold chunks (dialable). */
  candidates: readonly string[]
  replicas: number
  strategy: PlacementStrategy
  /** `chunking.minPeersForDistribution`: able remote peers needed. */
  minPeers: number
  /** Count this node as a holder (default: for round-robin, the seed's rule). */
  includeLocal?: boolean
  /** Measured upload bandwidth per peer, bytes/s (weighted placement). */
  bandwidths?: ReadonlyMap<string, number>
  /** A record of an earlier, interrupted push of this file by this node: resume it. */
  previous?: SignedRecord
  /** Hears every version as soon as it is signed, before it is pushed under (persist it to resume). */
  onRecord?: (record: SignedRecord) => void
  onProgress?: (progress: PushProgress) => void
  signal?: AbortSignal
  /** Stall timeout of the push streams (tests). */
  stallTimeoutMs?: number
}

/** The outcome of a push. */
export interface PushResult {
  record: SignedRecord
  bytesSent: number
  /** Chunks sent by this node (each once per round it was missing). */
  chunksSent: number
  rounds: number
  /** (chunk, holder) copies refused or failed on the way, each re-placed. */
  refused: number
}

/** Pushes a file out; see the module comment. Resolves with the final record. */
export async function pushFile (init: PushInit): Promise<PushResult> {
  const self = init.libp2p.peerId.toString()
  const fileId = fileIdFromManifestBytes(init.manifestBytes)
  const chunkCount = manifestChunkCount(init.manifest)
  const geometry = { fileId, chunkCount, chunkSizeBytes: init.manifest.chunkSize, lastChunkSizeBytes: chunkCount === 0 ? undefined : chunkRange(init.manifest.size, init.manifest.chunkSize, chunkCount - 1).length }
  if (init.previous != null && (init.previous.record.fileId !== fileId || init.previous.record.uploader !== self)) {
    throw new ShoalError('ERR_INVALID_RECORD', 'the previous record is not this node\'s record of this file')
  }
  if (!Number.isSafeInteger(init.replicas) || init.replicas < 1 || init.replicas > MAX_RECORD_REPLICAS) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `replicas must be an integer from 1 to ${MAX_RECORD_REPLICAS}, got ${String(init.replicas)}`, { replicas: init.replicas })
  }
  const answers = await queryAll(init, fileId, chunkCount)
  const smallest = chunkCount === 0 ? 0 : Math.min(geometry.chunkSizeBytes, geometry.lastChunkSizeBytes ?? geometry.chunkSizeBytes)
  const able = [...answers].filter(([, a]) => a.accepting && a.uploaderFreeBytes >= smallest).map(([p]) => p)
  const includeLocal = init.includeLocal ?? init.strategy === 'round-robin'
  const needed = Math.max(init.minPeers, init.replicas - (includeLocal ? 1 : 0))
  if (able.length < needed) {
    throw new ShoalError('ERR_DISTRIBUTION_REQUIRED', `distributing this file with ${init.replicas} replicas needs ${needed} peers able to take chunks; ${able.length} available`, {
      fileSizeGb: Math.round(init.manifest.size / 2 ** 30 * 1000) / 1000,
      availablePeers: able.length,
      replicas: init.replicas
    })
  }
  const peers: PlacementPeer[] = able.map((peerId) => ({ peerId, freeBytes: (answers.get(peerId) as StoreAnswer).uploaderFreeBytes, bandwidthBytesPerSec: init.bandwidths?.get(peerId) }))
  if (includeLocal) peers.push({ peerId: self, freeBytes: Number.MAX_SAFE_INTEGER, local: true })
  const request: PlacementRequest = { ...geometry, replicas: init.replicas, strategy: init.strategy, peers }

  const holders: string[][] = init.previous != null
    ? init.previous.record.holders.map((h) => [...h])
    : placeChunks(request).holders.map((h) => [...h])
  const confirmed = new Set<string>()
  const key = (c: number, h: string): string => `${c} ${h}`
  for (let c = 0; c < chunkCount; c++) {
    for (const h of holders[c] as string[]) if (h === self || answers.get(h)?.have.get(c) === true) confirmed.add(key(c, h))
  }
  let record = init.previous ?? await signRecord(rootRecord({ fileId, replicas: init.replicas, strategy: init.strategy, holders, uploader: self }), init.privateKey)
  if (init.previous == null) init.onRecord?.(record)

  const bad = new Set<string>()
  let bytesSent = 0
  let chunksSent = 0
  let refused = 0
  const progress = (): void => {
    const count = holders.reduce((n, hs, c) => n + hs.filter((h) => confirmed.has(key(c, h))).length, 0)
    init.onProgress?.({ confirmed: count, total: chunkCount * init.replicas, bytesSent })
  }
  progress()
  for (let round = 1; ; round++) {
    const missing = holders.map((hs, c) => hs.filter((h) => !confirmed.has(key(c, h))))
    if (missing.every((m) => m.length === 0)) {
      await announce(init, record, fileId, chunkCount)
      return { record, bytesSent, chunksSent, rounds: round - 1, refused }
    }
    if (round > MAX_PUSH_ROUNDS) throw new ShoalError('ERR_DISTRIBUTION_FAILED', `chunks still lack copies after ${MAX_PUSH_ROUNDS} rounds`, { fileId })
    const failed: ChunkAck[] = []
    const sent = await pushRound(init, record, missing, (ack) => {
      if (ack.refusal === StoreRefusal.NONE) confirmed.add(key(ack.index, ack.holder))
      else if (ack.refusal !== StoreRefusal.SKIPPED) failed.push(ack)
      progress()
    }, (bytes) => { bytesSent += bytes; progress() })
    chunksSent += sent
    if (failed.length === 0) continue
    refused += failed.length
    for (const ack of failed) {
      log('%s refused chunk %d: %s %s', ack.holder, ack.index, ack.refusal, ack.message)
      bad.add(ack.holder)
      if (ack.refusal === StoreRefusal.UNREACHED) for (const k of [...confirmed]) if (k.endsWith(` ${ack.holder}`)) confirmed.delete(k)
    }
    for (let c = 0; c < chunkCount; c++) {
      const hs = holders[c] as string[]
      for (let r = 0; r < hs.length; r++) {
        if (!bad.has(hs[r] as string) || confirmed.has(key(c, hs[r] as string))) continue
        const replacement = rankPeers(request, c, new Set([...hs, ...bad]))[0]
        if (replacement === undefined) {
          throw new ShoalError('ERR_DISTRIBUTION_FAILED', `no peer left to take chunk ${c}: every candidate refused it or is gone`, { fileId, chunk: c })
        }
        hs[r] = replacement
      }
    }
    record = await signRecord(nextRecord(record, holders.map((h) => [...h]), self), init.privateKey)
    init.onRecord?.(record)
    progress()
  }
}

/** Asks every candidate at once; one that does not answer is left out. */
async function queryAll (init: PushInit, fileId: string, chunkCount: number): Promise<Map<string, StoreAnswer>> {
  const answers = new Map<string, StoreAnswer>()
  await Promise.all(init.candidates.map(async (peer) => {
    try {
      answers.set(peer, await queryStore(init.libp2p, peer, { fileId, chunkCount }, { signal: init.signal }))
    } catch (err) {
      log('%s did not answer a store query: %s', peer, err)
    }
  }))
  init.signal?.throwIfAborted()
  return answers
}

/** One round: each missing (chunk, holders) goes once to its first holder, which forwards it on. Resolves with the chunks sent. */
async function pushRound (init: PushInit, record: SignedRecord, missing: string[][], onAck: (ack: ChunkAck) => void, onBytes: (bytes: number) => void): Promise<number> {
  const self = init.libp2p.peerId.toString()
  const byFirst = new Map<string, Array<{ index: number, forward: string[] }>>()
  missing.forEach((hs, index) => {
    const targets = hs.filter((h) => h !== self)
    const [first, ...forward] = targets
    if (first === undefined) return
    let list = byFirst.get(first)
    if (list == null) byFirst.set(first, list = [])
    list.push({ index, forward })
  })
  const offer: StoreOfferInit = { fileId: record.record.fileId, chunkCount: missing.length, chunkSize: init.manifest.chunkSize, manifestBytes: init.manifestBytes, chain: [record.bytes] }
  let sent = 0
  await Promise.all([...byFirst].map(async ([peer, chunks]) => {
    let session: StoreSession
    try {
      session = await StoreSession.open(init.libp2p, peer, offer, { onAck, signal: init.signal, stallTimeoutMs: init.stallTimeoutMs })
    } catch (err) {
      init.signal?.throwIfAborted()
      const details = (err as ShoalError).details ?? {}
      const refusal = typeof details.refusal === 'string' ? details.refusal as StoreRefusal : StoreRefusal.UNREACHED
      for (const { index, forward } of chunks) {
        onAck({ index, holder: peer, refusal, message: (err as Error).message })
        for (const h of forward) onAck({ index, holder: h, refusal: StoreRefusal.SKIPPED, message: `not reached: ${peer} failed` })
      }
      return
    }
    try {
      for (const { index, forward } of chunks) {
        const data = await init.readChunk(index)
        const before = session.bytesSent
        await session.push(index, data, forward, init.signal)
        onBytes(session.bytesSent - before)
        if (session.bytesSent > before) sent++
      }
      await session.finish(init.signal)
    } catch (err) {
      // Aborted, or the local copy failed: the receiver must not wait out its timeout.
      session.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    }
  }))
  return sent
}

/** Sends the final record to every holder; one that misses it keeps an older version, which still names it. */
async function announce (init: PushInit, record: SignedRecord, fileId: string, chunkCount: number): Promise<void> {
  const self = init.libp2p.peerId.toString()
  const holders = new Set(record.record.holders.flat())
  holders.delete(self)
  const offer: StoreOfferInit = { fileId, chunkCount, chunkSize: init.manifest.chunkSize, chain: [record.bytes] }
  await Promise.all([...holders].map(async (peer) => {
    try {
      const answer = await sendRecordUpdate(init.libp2p, peer, offer, { signal: init.signal })
      if (!answer.accepted) log.error('%s refused the final record of %s: %s %s', peer, fileId, answer.refusal, answer.message)
    } catch (err) {
      log.error('could not send the final record of %s to %s: %s', fileId, peer, err)
    }
  }))
}
