/**
 * Tracker defaults, in one place, with units in the names. `config.ts`
 * validates overrides against these; nothing else hard-codes a limit.
 */

/** How often nodes are told to re-announce. */
export const ANNOUNCE_INTERVAL_SECONDS = 60

/** A peer silent for this many announce intervals is expired. */
export const PEER_TTL_INTERVALS = 3

/** Registered peers at most; new peers are refused beyond this. */
export const MAX_PEERS = 100_000

/** Files one peer may hold in the index. */
export const MAX_FILES_PER_PEER = 10_000

/**
 * (peer, file) pairs across the whole index. MAX_PEERS × MAX_FILES_PER_PEER
 * would be a billion entries, so this is the bound that actually caps memory
 * (roughly 100–150 bytes per entry).
 */
export const MAX_FILE_ENTRIES = 2_000_000

/** Addresses one announce may carry, and the longest accepted address. */
export const MAX_ADDRS_PER_ANNOUNCE = 16
export const MAX_ADDR_LENGTH = 256

/** Files (and `left` files) one announce may carry. */
export const MAX_FILES_PER_ANNOUNCE = 1_000

/** Longest accepted peer ID or file ID string (CIDs of sha2-256 are ~60). */
export const MAX_ID_LENGTH = 128

/** Largest request body; a full announce is ~135 KiB. */
export const BODY_LIMIT_BYTES = 256 * 1024

/** Per peer ID: sustained announces per second and burst. */
export const PEER_ANNOUNCES_PER_SECOND = 1
export const PEER_ANNOUNCE_BURST = 10

/**
 * Per client IP (IPv6 by /64): sustained announces per second and burst. With
 * the TTL this also bounds how many peers one address can keep registered:
 * rate × TTL (20/s × 180 s = 3,600).
 */
export const IP_ANNOUNCES_PER_SECOND = 20
export const IP_ANNOUNCE_BURST = 200

/** Rate-limit buckets kept at most per limiter (least recently used dropped). */
export const MAX_RATE_LIMIT_KEYS = 100_000

/** Peers returned by `GET /files/:id/peers` at most (a random sample beyond). */
export const MAX_PROVIDERS_RETURNED = 200

/** Page size of `GET /peers` and `GET /files`: default and maximum. */
export const DEFAULT_PAGE_LIMIT = 1_000
export const MAX_PAGE_LIMIT = 10_000

/** How often expired peers are swept. */
export const SWEEP_INTERVAL_MS = 1_000

/** How often pending changes are written to SQLite in one transaction. */
export const PERSIST_INTERVAL_MS = 1_000

/** Pending peers that trigger a write before the interval is up. */
export const PERSIST_BATCH_PEERS = 5_000

/** Inbound request time limit (headers and body). */
export const REQUEST_TIMEOUT_MS = 10_000

/** Concurrent HTTP connections at most. */
export const MAX_CONNECTIONS = 10_000

/** Default listen address of `shoal tracker`. */
export const DEFAULT_TRACKER_HOST = '127.0.0.1'
export const DEFAULT_TRACKER_PORT = 7070

/** Client side: time limit of one tracker request, and largest response read. */
export const CLIENT_TIMEOUT_MS = 10_000
export const CLIENT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
