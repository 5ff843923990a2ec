/**
 * Tracker defaults, in one place, with units in the names. `config.ts`
 * validates overrides against these; nothing else hard-codes a limit.
 */

/** How often nodes are told to re-announce. */
export const ANNOUNCE_INTERVAL_SECONDS = 60

/** A peer silent for this many announce intervals is expired. */
export const PEER_TTL_INTERVALS = 3

/** Registered peers at most; beyond it the least recently announced are evicted. */
export const MAX_PEERS = 100_000

/** Files one peer may hold in the index. */
export const MAX_FILES_PER_PEER = 10_000

/**
 * Estimated bytes of the whole index (`budget.ts`): the bound that caps the
 * tracker's memory whatever peers announce. 48 MiB holds ~33,000 peers of
 * 10 files each (whose real heap is ~1/2 of the estimate). Under a flood of
 * announces of 1,000 distinct files each the process grows by ~3× the
 * index's heap (request garbage, V8's headroom): with Node's own ~65 MiB, a
 * full tracker stays well within 256 MiB RSS (test/tracker/flood.test.ts).
 */
export const MAX_INDEX_BYTES = 48 * 1024 * 1024

/**
 * The share of the index one client address (IPv4, or IPv6 /64) may hold:
 * at least 8 addresses are needed to fill it, and peers of one address are
 * evicted among themselves first.
 */
export const IP_SHARE_FRACTION = 1 / 8

/**
 * Bytes one address may announce per interval, as a fraction of its share,
 * and its burst. Each announce costs the whole record it refreshes, so within
 * one interval an address can push at most 3/4 of its share ahead of a peer
 * that announced: a peer re-announcing every interval is never the least
 * recent of its address, however hard its neighbours flood.
 */
export const IP_SHARE_PER_INTERVAL = 1 / 2
export const IP_SHARE_BURST = 1 / 4

/** Addresses one announce may carry, and the longest accepted address. */
export const MAX_ADDRS_PER_ANNOUNCE = 8
export const MAX_ADDR_LENGTH = 256

/** Files (and `left` files) one announce may carry. */
export const MAX_FILES_PER_ANNOUNCE = 1_000

/** Longest accepted peer ID or file ID string (CIDs of sha2-256 are ~60). */
export const MAX_ID_LENGTH = 128

/** Longest accepted signature (base64url; Ed25519 is 86 characters, secp256k1 DER ≤ 96). */
export const MAX_SIGNATURE_LENGTH = 128

/** Largest request body; a full announce is ~135 KiB. */
export const BODY_LIMIT_BYTES = 256 * 1024

/**
 * How far an announce's timestamp may be from the tracker's clock. Replies
 * carry a `Date` header, from which a client with a wrong clock corrects itself.
 */
export const MAX_CLOCK_SKEW_MS = 60_000

/** Peers whose last announce timestamp is remembered at most (replay guard; ~150 bytes each). */
export const MAX_REPLAY_GUARD_KEYS = 100_000

/** Per peer ID, counted after its signature verified: sustained announces per second and burst. */
export const PEER_ANNOUNCES_PER_SECOND = 1
export const PEER_ANNOUNCE_BURST = 10

/**
 * Per client IP (IPv6 by /64), before the body is read: a generous ceiling
 * on requests that bounds the parsing and signature checks one address can
 * make the tracker do (~1 ms each at most). Memory is bounded by the shares,
 * not by this.
 */
export const IP_ANNOUNCES_PER_SECOND = 100
export const IP_ANNOUNCE_BURST = 1_000

/**
 * A registered peer's own lane past its address's ceiling: an announce that
 * names (header `x-shoal-peer-id`) a peer registered from the same address
 * gets through even when a neighbour drains the ceiling, this often per
 * interval; its signature is still checked.
 */
export const PEER_LANE_PER_INTERVAL = 4
export const PEER_LANE_BURST = 2

/** Header naming the announcing peer, read before the body. */
export const PEER_ID_HEADER = 'x-shoal-peer-id'

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
