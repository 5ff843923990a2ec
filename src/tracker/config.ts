/**
 * Tracker options: defaults from `constants.ts`, overrides validated once
 * (unknown keys rejected), then frozen.
 */
import { readFileSync } from 'node:fs'
import { ShoalError } from '../errors.js'
import * as C from './constants.js'
import type { RateLimit } from './rate-limit.js'

/** Options of `startTracker`. Every field is optional. */
export interface TrackerOptions {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string
  /** TCP port; 0 lets the OS pick. Default 7070. */
  port?: number
  /** Where `tracker.db` lives; without it the tracker keeps state in memory only. */
  dataDir?: string
  /** Re-announce interval told to nodes; default 60. */
  announceIntervalSeconds?: number
  /** Silence after which a peer is dropped; default 3 × the interval. Must exceed the interval. */
  peerTtlSeconds?: number
  maxPeers?: number
  maxFilesPerPeer?: number
  /** Estimated bytes of the index: the bound that caps memory. Default 96 MiB. */
  maxIndexBytes?: number
  /**
   * Fraction of `maxIndexBytes` the peers of one client IP (IPv6 per /64) may
   * hold, with a byte rate of half of it per interval; default 1/8. `false`
   * turns shares off: only for benchmarks driving many peer IDs from one
   * loopback address. Never on a public tracker.
   */
  ipShare?: number | false
  /** Announces per peer ID (after its signature checks); default 1/s with a burst of 10. */
  peerRateLimit?: RateLimit
  /**
   * Requests per client IP before the body is read; default 100/s with a
   * burst of 1,000. `false` turns it off (benchmarks only).
   */
  ipRateLimit?: RateLimit | false
  /** How far an announce's timestamp may be from the tracker's clock, in seconds; default 60. */
  maxClockSkewSeconds?: number
  bodyLimitBytes?: number
  maxConnections?: number
  /** How often expired peers are swept; default 1000. */
  sweepIntervalMs?: number
  /** How often pending changes are written to SQLite; default 1000. */
  persistIntervalMs?: number
  /** Version reported by `GET /`; default the package version. */
  version?: string
  /** Clock in milliseconds since the epoch (tests); default `Date.now`. */
  now?: () => number
  /** Recoverable trouble (failed writes, salvaged database). Default: ignored. */
  onWarning?: (err: ShoalError) => void
}

/** Resolved, validated, frozen tracker configuration. */
export type TrackerConfig = Readonly<Required<Omit<TrackerOptions, 'dataDir'>> & { dataDir: string | undefined }>

type NumericKey = 'port' | 'announceIntervalSeconds' | 'peerTtlSeconds' | 'maxPeers' | 'maxFilesPerPeer' |
'maxIndexBytes' | 'bodyLimitBytes' | 'maxConnections' | 'sweepIntervalMs' | 'persistIntervalMs' | 'maxClockSkewSeconds'

const KNOWN_KEYS = new Set<string>(['host', 'port', 'dataDir', 'announceIntervalSeconds', 'peerTtlSeconds', 'maxPeers',
  'maxFilesPerPeer', 'maxIndexBytes', 'ipShare', 'peerRateLimit', 'ipRateLimit', 'maxClockSkewSeconds', 'bodyLimitBytes', 'maxConnections',
  'sweepIntervalMs', 'persistIntervalMs', 'version', 'now', 'onWarning'])

/** Applies defaults and validates; throws `ERR_INVALID_CONFIG` naming the bad option. */
export function resolveTrackerConfig (opts: TrackerOptions = {}): TrackerConfig {
  for (const key of Object.keys(opts)) {
    if (!KNOWN_KEYS.has(key)) fail(key, 'is not a tracker option')
  }
  const interval = opts.announceIntervalSeconds ?? C.ANNOUNCE_INTERVAL_SECONDS
  const config: TrackerConfig = {
    host: opts.host ?? C.DEFAULT_TRACKER_HOST,
    port: opts.port ?? C.DEFAULT_TRACKER_PORT,
    dataDir: opts.dataDir,
    announceIntervalSeconds: interval,
    peerTtlSeconds: opts.peerTtlSeconds ?? interval * C.PEER_TTL_INTERVALS,
    maxPeers: opts.maxPeers ?? C.MAX_PEERS,
    maxFilesPerPeer: opts.maxFilesPerPeer ?? C.MAX_FILES_PER_PEER,
    maxIndexBytes: opts.maxIndexBytes ?? C.MAX_INDEX_BYTES,
    ipShare: opts.ipShare ?? C.IP_SHARE_FRACTION,
    maxClockSkewSeconds: opts.maxClockSkewSeconds ?? C.MAX_CLOCK_SKEW_MS / 1000,
    peerRateLimit: opts.peerRateLimit ?? { perSecond: C.PEER_ANNOUNCES_PER_SECOND, burst: C.PEER_ANNOUNCE_BURST },
    ipRateLimit: opts.ipRateLimit ?? { perSecond: C.IP_ANNOUNCES_PER_SECOND, burst: C.IP_ANNOUNCE_BURST },
    bodyLimitBytes: opts.bodyLimitBytes ?? C.BODY_LIMIT_BYTES,
    maxConnections: opts.maxConnections ?? C.MAX_CONNECTIONS,
    sweepIntervalMs: opts.sweepIntervalMs ?? C.SWEEP_INTERVAL_MS,
    persistIntervalMs: opts.persistIntervalMs ?? C.PERSIST_INTERVAL_MS,
    version: opts.version ?? packageVersion(),
    now: opts.now ?? Date.now,
    onWarning: opts.onWarning ?? (() => {})
  }
  validate(config)
  return Object.freeze(config)
}

function validate (c: TrackerConfig): void {
  if (typeof c.host !== 'string' || c.host === '') fail('host', 'must be a non-empty string')
  if (c.dataDir !== undefined && (typeof c.dataDir !== 'string' || c.dataDir === '')) fail('dataDir', 'must be a non-empty string')
  if (typeof c.version !== 'string') fail('version', 'must be a string')
  if (typeof c.now !== 'function') fail('now', 'must be a function')
  if (typeof c.onWarning !== 'function') fail('onWarning', 'must be a function')
  const integers: NumericKey[] = ['port', 'maxPeers', 'maxFilesPerPeer', 'maxIndexBytes', 'bodyLimitBytes', 'maxConnections']
  for (const key of integers) {
    if (!Number.isSafeInteger(c[key]) || c[key] < (key === 'port' ? 0 : 1)) fail(key, 'must be a positive integer')
  }
  if (c.port > 65535) fail('port', 'must be at most 65535')
  for (const key of ['announceIntervalSeconds', 'peerTtlSeconds', 'sweepIntervalMs', 'persistIntervalMs', 'maxClockSkewSeconds'] as const) {
    if (typeof c[key] !== 'number' || !Number.isFinite(c[key]) || c[key] <= 0) fail(key, 'must be a positive number')
  }
  if (c.peerTtlSeconds <= c.announceIntervalSeconds) fail('peerTtlSeconds', 'must exceed announceIntervalSeconds, or peers expire between announces')
  if (c.ipShare !== false && !(typeof c.ipShare === 'number' && c.ipShare > 0 && c.ipShare <= 1)) fail('ipShare', 'must be a fraction in (0, 1] or false')
  checkRate('peerRateLimit', c.peerRateLimit)
  if (c.ipRateLimit !== false) checkRate('ipRateLimit', c.ipRateLimit)
}

function checkRate (key: string, rate: RateLimit): void {
  const ok = typeof rate === 'object' && rate !== null &&
    Number.isFinite(rate.perSecond) && rate.perSecond > 0 && Number.isFinite(rate.burst) && rate.burst >= 1
  if (!ok) fail(key, 'must be { perSecond > 0, burst >= 1 }')
}

function fail (key: string, why: string): never {
  throw new ShoalError('ERR_INVALID_CONFIG', `tracker option ${key} ${why}`, { key })
}

function packageVersion (): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0'
  } catch {
    // No readable package.json (an unusual install): the version is only informative.
    return '0.0.0'
  }
}
