/**
 * The store protocol's frames and limits (`/shoal/store/1.0.0`, messages in
 * src/protocol/pb/shoal.proto). One stream carries one file from a pusher to
 * one receiver:
 *
 *   pusher → StoreOffer, then `records` raw frames (the record chain)
 *   receiver → StoreReply (ACCEPT or REFUSE; for QUERY, capacity and `have`)
 *   pusher → per chunk: StoreChunk {index, length, forward}, then the bytes
 *            in raw frames of at most one block; at most `storeWindow` chunks
 *            not yet fully acknowledged
 *   receiver → StoreAck per (chunk, holder): its own, then those the holders
 *            it forwarded the chunk to sent back (pipelined replication)
 *
 * Every frame has a cap that depends on the phase: the offer ≤ a manifest
 * frame, each record ≤ MAX_RECORD_BYTES, control frames ≤ 4 KiB, data frames
 * ≤ one block; a frame above its cap resets that stream only.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { BLOCK_SIZE_BYTES, MAX_CONTROL_FRAME_BYTES, MAX_MANIFEST_FRAME_BYTES } from '../protocol/constants.js'
import { StoreAck, StoreChunk, StoreOffer, StoreRefusal, StoreReply } from '../protocol/pb/shoal.js'
import { MAX_RECORD_BYTES } from './record-codec.js'

export { StoreAck, StoreChunk, StoreOffer, StoreRefusal, StoreReply }

/** Bytes of chunks one pipeline hop may hold at once (before the clamp below). */
export const STORE_WINDOW_BYTES = 32 * 1024 * 1024

/** Fewest and most chunks in flight on one store stream, whatever the chunk size. */
export const MIN_STORE_WINDOW_CHUNKS = 2
export const MAX_STORE_WINDOW_CHUNKS = 16

/**
 * Chunk bytes one pushing peer may have in a holder's memory at once, over
 * all its store streams: two full windows (one stream's window always fits;
 * a larger chunk is taken alone). Beyond it, streams pause (see store-server.ts).
 */
export const STORE_PEER_INBOUND_BYTES = 2 * STORE_WINDOW_BYTES

/**
 * Inbound store streams one peer may hold open (a pusher opens one per file it
 * pushes to us, a holder one per upstream stream it forwards from), so that
 * offers and their record chains (≤ MAX_STORE_RECORD_FRAME_BYTES each) cannot
 * pile up.
 */
export const MAX_STORE_STREAMS_PER_PEER = 8

/** Most records in an offered chain (an uploader-signed version, then repair updates). */
export const MAX_STORE_CHAIN_RECORDS = 16

/** Largest offer frame: a manifest plus a few bytes of framing. */
export const MAX_STORE_OFFER_FRAME_BYTES = MAX_MANIFEST_FRAME_BYTES

/** Largest record frame, and the most bytes of all the records of one offered chain. */
export const MAX_STORE_RECORD_FRAME_BYTES = MAX_RECORD_BYTES

/** Largest StoreChunk / StoreAck / StoreReply-without-have frame. */
export const MAX_STORE_CONTROL_FRAME_BYTES = MAX_CONTROL_FRAME_BYTES

/** Largest reply (a QUERY's carries the file's bitfield: ≤ 4,000 bytes for 32,000 chunks). */
export const MAX_STORE_REPLY_FRAME_BYTES = 64 * 1024

/** Largest data frame: one block, as on the chunks protocol. */
export const MAX_STORE_DATA_FRAME_BYTES = BLOCK_SIZE_BYTES

/** How long an inbound store stream may wait for its next frame (offer, record, chunk) while nothing is in flight. */
export const STORE_STEP_TIMEOUT_MS = 30_000

/** How long a pusher or forwarding holder waits for any ack while chunks are in flight, before it gives the hop up. */
export const STORE_STALL_TIMEOUT_MS = 30_000

/** How long a QUERY or UPDATE exchange may take, end to end. */
export const STORE_REQUEST_TIMEOUT_MS = 10_000

/**
 * Chunks in flight on one stream for a file of `chunkSize`-byte chunks: the
 * pusher never has more unacknowledged, and a receiver resets a stream that
 * sends more (so a forwarding hop holds at most this many chunks).
 */
export function storeWindow (chunkSize: number): number {
  return Math.max(MIN_STORE_WINDOW_CHUNKS, Math.min(MAX_STORE_WINDOW_CHUNKS, Math.floor(STORE_WINDOW_BYTES / chunkSize)))
}

/** The frames that carry one chunk: its header and its bytes in blocks, without copying them. */
export function chunkFrames (index: number, data: Uint8Array, forward: readonly string[]): Uint8Array[] {
  const frames: Uint8Array[] = [StoreChunk.encode({ index, length: data.byteLength, forward: [...forward] })]
  for (let offset = 0; offset < data.byteLength; offset += BLOCK_SIZE_BYTES) {
    frames.push(data.subarray(offset, Math.min(data.byteLength, offset + BLOCK_SIZE_BYTES)))
  }
  return frames
}

/** The result of one (chunk, holder): `NONE` is stored and verified. */
export interface ChunkAck {
  index: number
  holder: string
  refusal: StoreRefusal
  message: string
}

/** Decodes an ack frame. */
export function decodeAck (frame: Uint8ArrayList): ChunkAck {
  return StoreAck.decode(frame)
}

/** Encodes an ack frame. */
export function encodeAck (ack: ChunkAck): Uint8Array {
  return StoreAck.encode(ack)
}
