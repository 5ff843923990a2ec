/**
 * Protocol ids and hard limits for Shoal's libp2p protocols. Ids are
 * versioned `/shoal/<name>/<semver>`; a breaking change bumps the major.
 * Every frame has a cap: a frame above it resets the stream (never the node).
 */
import { MAX_MANIFEST_BYTES } from '../content/manifest.js'

export const MANIFEST_PROTOCOL = '/shoal/manifest/1.0.0'
export const HAVE_PROTOCOL = '/shoal/have/1.0.0'
export const CHUNKS_PROTOCOL = '/shoal/chunks/1.0.0'
/** Pushing chunks to other peers for storage (distribution); see src/distribute/store-wire.ts. */
export const STORE_PROTOCOL = '/shoal/store/1.0.0'

/** Requests and response headers are tiny; anything bigger is an attack or a bug. */
export const MAX_CONTROL_FRAME_BYTES = 4 * 1024

/** A manifest response carries the manifest plus a few bytes of framing. */
export const MAX_MANIFEST_FRAME_BYTES = MAX_MANIFEST_BYTES + 1024

/** A bitfield for the largest manifest (32,000 chunks) is 4,000 bytes; updates are batched. */
export const MAX_HAVE_FRAME_BYTES = 64 * 1024

/**
 * Chunks travel in blocks of this size, so a frame never exceeds it whatever
 * the chunk size, and progress within a chunk is visible.
 */
export const BLOCK_SIZE_BYTES = 256 * 1024

/** Largest raw data frame: one block. */
export const MAX_DATA_FRAME_BYTES = BLOCK_SIZE_BYTES

/** Bound on one block's framing: its ChunkResponse header and both varint length prefixes. */
export const MAX_BLOCK_HEADER_BYTES = 64

/** Requests a peer may queue on one chunks stream before we treat it as abuse. */
export const MAX_QUEUED_REQUESTS_PER_STREAM = 512

/** Inbound streams per protocol per connection (libp2p's default is 32). */
export const MAX_INBOUND_STREAMS = 16

/**
 * Inbound streams per protocol per peer, over all its connections (libp2p
 * counts per connection only; see stream-limits.ts). An honest downloader
 * opens one chunks stream and one have stream per file it fetches from us.
 */
export const MAX_INBOUND_STREAMS_PER_PEER = 32

/** How long an inbound request/response exchange may take before we give up. */
export const INBOUND_REQUEST_TIMEOUT_MS = 10_000

/** How long we wait for a manifest or a first bitfield from a peer. */
export const OUTBOUND_REQUEST_TIMEOUT_MS = 10_000

/** Have updates are batched over this window to keep frames and wakeups few. */
export const HAVE_UPDATE_BATCH_MS = 100

/**
 * A have subscriber that leaves updates unread this long is cut off: its
 * stream is aborted rather than kept open with updates held for it.
 */
export const HAVE_STALL_TIMEOUT_MS = 30_000
