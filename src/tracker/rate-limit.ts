/**
 * Token buckets keyed by peer ID or client address. Memory is bounded: the
 * map is kept in least-recently-used order, buckets that have refilled
 * completely are dropped as new requests arrive (a full bucket is the same as
 * no bucket), and beyond `maxKeys` the least recently used one is evicted,
 * which at worst hands that key a fresh burst.
 */
import { isIPv4, isIPv6 } from 'node:net'

/** A sustained rate with a burst allowance. */
export interface RateLimit {
  readonly perSecond: number
  readonly burst: number
}

/** A rate limit, how many keys to remember, and an injectable clock. */
export interface TokenBucketInit extends RateLimit {
  readonly maxKeys: number
  /** Milliseconds, monotonic enough; `Date.now` by default. */
  readonly now?: () => number
}

interface Bucket {
  tokens: number
  at: number
}

/** Idle buckets dropped per request at most: amortised cleanup with no timer. */
const IDLE_EVICTIONS_PER_TAKE = 2

/** Per-key token-bucket rate limiter with bounded memory. */
export class TokenBucketLimiter {
  readonly #init: TokenBucketInit
  readonly #now: () => number
  readonly #buckets = new Map<string, Bucket>()

  constructor (init: TokenBucketInit) {
    this.#init = init
    this.#now = init.now ?? Date.now
  }

  /** Keys currently remembered. */
  get size (): number { return this.#buckets.size }

  /**
   * Takes `cost` tokens (default 1, at most the burst) for `key`: returns 0 if
   * allowed, else milliseconds until they are due. A refused take takes nothing.
   */
  take (key: string, cost = 1): number {
    const now = this.#now()
    this.#evictIdle(now)
    const bucket = this.#buckets.get(key)
    let tokens = this.#init.burst
    if (bucket !== undefined) {
      tokens = this.#refilled(bucket, now)
      this.#buckets.delete(key)
    }
    const allowed = tokens >= cost
    if (allowed) tokens -= cost
    this.#buckets.set(key, { tokens, at: now })
    if (this.#buckets.size > this.#init.maxKeys) {
      const oldest = this.#buckets.keys().next()
      if (oldest.done !== true) this.#buckets.delete(oldest.value)
    }
    return allowed ? 0 : Math.ceil((cost - tokens) / this.#init.perSecond * 1000)
  }

  #refilled (bucket: Bucket, now: number): number {
    const elapsedSeconds = Math.max(0, now - bucket.at) / 1000
    return Math.min(this.#init.burst, bucket.tokens + elapsedSeconds * this.#init.perSecond)
  }

  #evictIdle (now: number): void {
    let n = 0
    for (const [key, bucket] of this.#buckets) {
      if (n++ >= IDLE_EVICTIONS_PER_TAKE || this.#refilled(bucket, now) < this.#init.burst) return
      this.#buckets.delete(key)
    }
  }
}

/**
 * The rate-limit key of a client address: IPv4 as is (IPv4-mapped IPv6
 * unwrapped), IPv6 by its /64 prefix, since one host usually owns a whole /64.
 */
export function clientKey (address: string): string {
  const ip = address.replace(/%.*$/, '')
  if (ip.toLowerCase().startsWith('::ffff:') && isIPv4(ip.slice(7))) return ip.slice(7)
  if (!isIPv6(ip)) return ip
  return `${ipv6Groups(ip).slice(0, 4).join(':')}::/64`
}

/** The eight 16-bit groups of a valid IPv6 address, lower-case hex without leading zeros. */
function ipv6Groups (ip: string): string[] {
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two groups; only its count matters here.
  const split = (part: string): string[] => part === '' ? [] : part.split(':').flatMap(g => g.includes('.') ? ['0', '0'] : [g])
  const [head = '', tail] = ip.split('::')
  const headGroups = split(head)
  const tailGroups = split(tail ?? '')
  const zeros = tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill('0')
  return [...headGroups, ...zeros, ...tailGroups].map(g => parseInt(g, 16).toString(16))
}
