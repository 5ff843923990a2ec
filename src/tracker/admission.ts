/**
 * Who may change the index, and how much. An announce passes, in order:
 *
 * 1. the per-address request ceiling, before its body is read (`check`):
 *    generous, it only bounds the parsing and signature checks one address
 *    can cause. A peer registered from that address has its own small lane
 *    past it (named by the `x-shoal-peer-id` header), so a neighbour behind
 *    the same NAT who drains the ceiling does not silence it;
 * 2. its signature, by the key its peer ID embeds (`signature.ts`);
 * 3. freshness: timestamp near the tracker's clock and newer than the peer's
 *    last (`replay-guard.ts`);
 * 4. the per-peer rate limit, counted only now, so nobody can spend another
 *    peer's allowance;
 * 5. its address's byte rate: an announce costs the bytes of the record it
 *    leaves (`budget.ts`), refreshed or new, which is what bounds how fast one
 *    address can push its neighbours towards eviction (see `registry.ts`).
 */
import { ShoalError } from '../errors.js'
import { chargedBytes } from './budget.js'
import * as C from './constants.js'
import { rateLimitedError } from './errors.js'
import { ReplayGuard } from './replay-guard.js'
import { TokenBucketLimiter } from './rate-limit.js'
import { verifyAnnounce, type SignedAnnounce } from './signature.js'
import type { TrackerConfig } from './config.js'
import type { Registry } from './registry.js'

/** The limits and checks in front of the registry. */
export class Admission {
  readonly #registry: Registry
  readonly #guard: ReplayGuard
  readonly #ipRequests: TokenBucketLimiter | undefined
  readonly #lanes: TokenBucketLimiter
  readonly #peers: TokenBucketLimiter
  readonly #ipBytes: TokenBucketLimiter | undefined
  readonly #ipBurstBytes: number

  constructor (config: TrackerConfig, registry: Registry, guard: ReplayGuard) {
    const now = config.now
    const maxKeys = C.MAX_RATE_LIMIT_KEYS
    this.#registry = registry
    this.#guard = guard
    this.#ipRequests = config.ipRateLimit === false ? undefined : new TokenBucketLimiter({ ...config.ipRateLimit, maxKeys, now })
    this.#lanes = new TokenBucketLimiter({ perSecond: C.PEER_LANE_PER_INTERVAL / config.announceIntervalSeconds, burst: C.PEER_LANE_BURST, maxKeys, now })
    this.#peers = new TokenBucketLimiter({ ...config.peerRateLimit, maxKeys, now })
    const share = ipShareBytes(config)
    this.#ipBurstBytes = share * C.IP_SHARE_BURST
    this.#ipBytes = config.ipShare === false
      ? undefined
      : new TokenBucketLimiter({ perSecond: share * C.IP_SHARE_PER_INTERVAL / config.announceIntervalSeconds, burst: this.#ipBurstBytes, maxKeys, now })
  }

  /**
   * Step 1, before the body is read. Returns the peer ID whose lane let the
   * request through (its body must then be that peer's), or undefined.
   */
  check (ip: string, claimedPeerId: string | undefined): string | undefined {
    const wait = this.#ipRequests?.take(ip) ?? 0
    if (wait === 0) return undefined
    if (claimedPeerId !== undefined && this.#registry.peer(claimedPeerId)?.ip === ip && this.#lanes.take(claimedPeerId) === 0) {
      return claimedPeerId
    }
    throw rateLimitedError('too many announces from this address', Math.ceil(wait / 1000))
  }

  /** Steps 2–5 for a parsed announce whose canonical peer ID is `peerId`. */
  async admit (body: Partial<SignedAnnounce> & Pick<SignedAnnounce, 'peerId' | 'addrs'>, peerId: string, ip: string, lane: string | undefined): Promise<void> {
    if (lane !== undefined && lane !== peerId) throw rateLimitedError('too many announces from this address', 1)
    if (typeof body.signature !== 'string' || typeof body.timestamp !== 'number') {
      throw new ShoalError('ERR_INVALID_SIGNATURE', 'announces must be signed (shoal-announce-v1: timestamp and signature)', { field: 'signature' })
    }
    await verifyAnnounce(body as SignedAnnounce)
    this.#guard.accept(peerId, body.timestamp)
    const wait = this.#peers.take(peerId)
    if (wait > 0) throw rateLimitedError('too many announces for this peer ID', Math.ceil(wait / 1000))
    if (this.#ipBytes === undefined || body.event === 'stopped') return
    const files = body.files?.length ?? 0
    const held = body.event === 'started' ? files : (this.#registry.peer(peerId)?.files.size ?? 0) + files
    // A record larger than the burst is charged the burst: it can still announce, once per refill.
    const cost = Math.min(chargedBytes(body.addrs, held), this.#ipBurstBytes)
    const bytesWait = this.#ipBytes.take(ip, cost)
    if (bytesWait > 0) throw rateLimitedError('this address announces more than its share of the tracker', Math.ceil(bytesWait / 1000))
  }
}

/** The bytes one client address may hold (`Infinity` with shares off). */
export function ipShareBytes (config: TrackerConfig): number {
  return config.ipShare === false ? Infinity : Math.floor(config.maxIndexBytes * config.ipShare)
}
