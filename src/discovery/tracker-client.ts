/**
 * The HTTP client nodes use to talk to a tracker (`--tracker URL`): announce,
 * find the peers holding a file, list peers for bootstrapping. Every call has
 * a time limit and reads at most a bounded response; whatever goes wrong comes
 * back as a ShoalError with a code a caller can act on:
 * `ERR_TIMEOUT`, `ERR_ABORTED`, `ERR_PEER_UNREACHABLE` (no connection),
 * `ERR_PROTOCOL` (not a tracker answer), `ERR_MESSAGE_TOO_LARGE`,
 * `ERR_RATE_LIMITED` (details.retryAfterSeconds), or the tracker's own code.
 *
 * Announces are signed with the node's libp2p key (`signature.ts`), with a
 * timestamp that strictly increases per client. A tracker that finds it stale
 * (this clock is off) is answered once more with the timestamp corrected by
 * the tracker's `Date` header.
 *
 * Rebuilding a restarted tracker: announce replies carry `held`, the number of
 * files the tracker lists for this peer. A node that sees fewer than it holds
 * should send its full set with `event: 'started'`.
 */
import { ERROR_CODES, ShoalError, hasCode, type ErrorCode } from '../errors.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { CLIENT_MAX_RESPONSE_BYTES, CLIENT_TIMEOUT_MS, PEER_ID_HEADER } from '../tracker/constants.js'
import { ERR_RATE_LIMITED, rateLimitedError } from '../tracker/errors.js'
import { signAnnounce } from '../tracker/signature.js'
import { canonicalFileId } from '../tracker/validate.js'
import type { AnnounceEvent } from '../tracker/registry.js'
import type { AnnounceReply } from '../tracker/server.js'
import type { PrivateKey } from '@libp2p/interface'

/** Options of a {@link TrackerClient}. */
export interface TrackerClientOptions {
  /** A fetch implementation (tests); the global `fetch` by default. */
  fetch?: typeof globalThis.fetch
  /** Time limit of one request, in ms; default 10,000. */
  timeoutMs?: number
  /** Largest response body read, in bytes; default 16 MiB. */
  maxResponseBytes?: number
  /** The node's libp2p key: announces are signed with it (and name its peer ID). Needed to announce. */
  privateKey?: PrivateKey
}

/** What a node announces about itself. `files` adds (or, with `started`, replaces); `left` removes. */
export interface AnnounceRequest {
  addrs: string[]
  files?: string[]
  left?: string[]
  event?: AnnounceEvent
}

/** A peer as the tracker lists it for a file: dialable addresses ending in `/p2p/<peerId>`. */
export interface TrackerPeer {
  peerId: string
  addrs: string[]
}

/** A registered peer as `GET /peers` lists it. */
export interface TrackerPeerSummary extends TrackerPeer {
  /** Files the tracker lists for it. */
  files: number
  /** Last announce, ms since the epoch (tracker clock). */
  lastSeen: number
}

interface CallOptions { signal?: AbortSignal }

/** Client of one tracker. */
export class TrackerClient {
  readonly #base: URL
  readonly #fetch: typeof globalThis.fetch
  readonly #timeoutMs: number
  readonly #maxBytes: number
  readonly #privateKey: PrivateKey | undefined
  readonly #peerId: string | undefined
  /** Last timestamp sent; the next is strictly later. */
  #lastTimestamp = 0
  /** Tracker clock minus ours, learnt from a stale-message reply. */
  #clockOffsetMs = 0

  /** Throws `ERR_INVALID_ARGUMENT` unless `baseUrl` is an http(s) URL. */
  constructor (baseUrl: string | URL, opts: TrackerClientOptions = {}) {
    let base: URL
    try {
      base = new URL(baseUrl)
    } catch (err) {
      throw new ShoalError('ERR_INVALID_ARGUMENT', `tracker URL "${String(baseUrl)}" is not a URL`, {}, { cause: err })
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new ShoalError('ERR_INVALID_ARGUMENT', `tracker URL must be http or https, not ${base.protocol}`)
    }
    if (!base.pathname.endsWith('/')) base.pathname += '/'
    this.#base = base
    this.#fetch = opts.fetch ?? globalThis.fetch
    this.#timeoutMs = opts.timeoutMs ?? CLIENT_TIMEOUT_MS
    this.#maxBytes = opts.maxResponseBytes ?? CLIENT_MAX_RESPONSE_BYTES
    this.#privateKey = opts.privateKey
    this.#peerId = opts.privateKey === undefined ? undefined : peerIdFromPrivateKey(opts.privateKey).toString()
  }

  /** The tracker's base URL. */
  get url (): string { return this.#base.href }

  /**
   * Registers or refreshes this node and the files it holds, signed with the
   * client's key (`ERR_INVALID_ARGUMENT` without one).
   */
  async announce (req: AnnounceRequest, opts: CallOptions = {}): Promise<AnnounceReply> {
    let body
    try {
      body = await this.#signedAnnounce(req, opts.signal)
    } catch (err) {
      const trackerTime = (err as Partial<ShoalError>).details?.trackerTime
      if (!hasCode(err, 'ERR_STALE_MESSAGE') || typeof trackerTime !== 'number') throw err
      // Our clock is off (or a restart reused timestamps): follow the tracker's, once.
      this.#clockOffsetMs = trackerTime - Date.now()
      body = await this.#signedAnnounce(req, opts.signal)
    }
    const { interval, peers, held } = body
    if (!isCount(interval) || interval === 0 || !isCount(peers) || !isCount(held)) throw malformed('announce')
    return { interval, peers, held }
  }

  /** Peers holding `fileId` (at most 200, sampled by the tracker). `ERR_INVALID_ID` if it is not a CID. */
  async findPeers (fileId: string, opts: CallOptions = {}): Promise<TrackerPeer[]> {
    const id = canonicalFileId(fileId, 'fileId')
    const body = asObject(await this.#request('GET', `files/${encodeURIComponent(id)}/peers`, undefined, opts.signal))
    return peerList(body.peers, 'file peers').map(p => ({ peerId: p.peerId, addrs: p.addrs }))
  }

  /** A page of registered peers (for bootstrapping and display). */
  async listPeers (opts: CallOptions & { limit?: number, offset?: number } = {}): Promise<TrackerPeerSummary[]> {
    const query = new URLSearchParams()
    if (opts.limit !== undefined) query.set('limit', String(opts.limit))
    if (opts.offset !== undefined) query.set('offset', String(opts.offset))
    const path = query.size > 0 ? `peers?${query.toString()}` : 'peers'
    const body = asObject(await this.#request('GET', path, undefined, opts.signal))
    return peerList(body.peers, 'peers').map(p => ({
      peerId: p.peerId,
      addrs: p.addrs,
      files: isCount(p.files) ? p.files : 0,
      lastSeen: isCount(p.lastSeen) ? p.lastSeen : 0
    }))
  }

  async #signedAnnounce (req: AnnounceRequest, signal: AbortSignal | undefined): Promise<Record<string, unknown>> {
    if (this.#privateKey === undefined || this.#peerId === undefined) {
      throw new ShoalError('ERR_INVALID_ARGUMENT', 'announcing needs the node\'s private key (TrackerClient option privateKey)')
    }
    const timestamp = this.#lastTimestamp = Math.max(Date.now() + this.#clockOffsetMs, this.#lastTimestamp + 1)
    const signed = await signAnnounce(this.#privateKey, req, timestamp)
    return asObject(await this.#request('POST', 'announce', signed, signal, { [PEER_ID_HEADER]: this.#peerId }))
  }

  async #request (method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal | undefined, headers: Record<string, string> = {}): Promise<unknown> {
    const url = new URL(path, this.#base)
    const timeout = AbortSignal.timeout(this.#timeoutMs)
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout])
    let res: Response
    let text: string
    try {
      res = await this.#fetch(url, {
        method,
        headers: body === undefined ? { accept: 'application/json', ...headers } : { accept: 'application/json', 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: combined
      })
      text = await readCapped(res, this.#maxBytes)
    } catch (err) {
      if (signal?.aborted === true) throw new ShoalError('ERR_ABORTED', 'tracker request aborted', { url: url.href }, { cause: err })
      if (timeout.aborted) throw new ShoalError('ERR_TIMEOUT', `tracker ${this.#base.origin} did not answer within ${this.#timeoutMs} ms`, { url: url.href }, { cause: err })
      if (hasCode(err, 'ERR_MESSAGE_TOO_LARGE')) throw err
      throw new ShoalError('ERR_PEER_UNREACHABLE', `tracker ${this.#base.origin} is unreachable: ${(err as Error).message}`, { url: url.href }, { cause: err })
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (err) {
      throw new ShoalError('ERR_PROTOCOL', `tracker answered HTTP ${res.status} with something that is not JSON`, { url: url.href, status: res.status }, { cause: err })
    }
    if (!res.ok) throw errorFromReply(res, json)
    return json
  }
}

/** The ShoalError for a tracker's error reply, keeping its code when it is one of ours. */
function errorFromReply (res: Response, json: unknown): ShoalError {
  const body = typeof json === 'object' && json !== null ? json as Record<string, unknown> : {}
  const message = `tracker: ${typeof body.message === 'string' ? body.message : `HTTP ${res.status}`}`
  if (body.code === ERR_RATE_LIMITED || res.status === 429) {
    const retry = Number(res.headers.get('retry-after'))
    return rateLimitedError(message, Number.isFinite(retry) && retry > 0 ? retry : 1)
  }
  if (typeof body.code === 'string' && body.code in ERROR_CODES) {
    // The tracker's clock (HTTP Date, to the second), for correcting stale timestamps.
    const date = Date.parse(res.headers.get('date') ?? '')
    return new ShoalError(body.code as ErrorCode, message, { status: res.status, ...(Number.isFinite(date) ? { trackerTime: date } : {}) })
  }
  return new ShoalError('ERR_PROTOCOL', `tracker answered HTTP ${res.status}`, { status: res.status })
}

/** The body as text, refusing (and cancelling) bodies above `max` bytes. */
async function readCapped (res: Response, max: number): Promise<string> {
  const tooLarge = (): ShoalError => new ShoalError('ERR_MESSAGE_TOO_LARGE', `tracker response exceeds ${max} bytes`, { max })
  if (Number(res.headers.get('content-length') ?? 0) > max) {
    await res.body?.cancel()
    throw tooLarge()
  }
  if (res.body === null) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > max) {
      await reader.cancel()
      throw tooLarge()
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function asObject (value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed('reply')
  return value as Record<string, unknown>
}

/** Entries with a string peer ID and string addresses; malformed entries are dropped. */
function peerList (value: unknown, what: string): Array<TrackerPeer & Record<string, unknown>> {
  if (!Array.isArray(value)) throw malformed(what)
  return value.filter((p): p is TrackerPeer & Record<string, unknown> =>
    typeof p === 'object' && p !== null && typeof p.peerId === 'string' &&
    Array.isArray(p.addrs) && (p.addrs as unknown[]).every(a => typeof a === 'string'))
}

function isCount (value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}

function malformed (what: string): ShoalError {
  return new ShoalError('ERR_PROTOCOL', `tracker sent a malformed ${what} reply`)
}
