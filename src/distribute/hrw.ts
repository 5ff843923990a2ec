/**
 * Weighted rendezvous hashing (highest random weight, HRW), the ranking the
 * `weighted` placement and repair use.
 *
 * Every (chunk, peer) pair gets a pseudo-random number u ∈ (0, 1) that only
 * depends on the chunk's key and the peer's ID, and a peer's rank for a chunk
 * is the order of `-ln(u) / weight` (smallest first). That is the "log-weight
 * trick" (Schindelhauer & Schomaker, "Weighted distributed hash tables",
 * 2005; also Resch, "Weighted rendezvous hashing"): `-ln(u)/w` is an
 * exponential variable of rate w, so the first peer is picked with
 * probability exactly w / Σw, and the next ones are draws without
 * replacement. Because a pair's number never depends on the other peers, a
 * peer that joins only takes the chunks where it ranks among the first N,
 * and one that leaves only gives up its own: nothing else moves.
 *
 * Determinism across machines: chunk and peer keys come from SHA-256, the
 * mixing is 32-bit integer arithmetic (`Math.imul`), and u has 53 bits. The
 * only floating-point function is `Math.log`, which V8 implements in
 * software (a port of fdlibm's `__ieee754_log`), so it gives the same bits
 * on every platform Node runs on; equal keys fall back to peer ID order.
 */
import { createHash } from 'node:crypto'

/** A 64-bit key, as two 32-bit halves. */
export interface Key64 {
  readonly hi: number
  readonly lo: number
}

const TWO_POW_27 = 2 ** 27
const TWO_POW_53 = 2 ** 53

/** Seeds of the two 32-bit lanes of the pair hash (any fixed odd constants). */
const LANE_SEED_HI = 0x3c6ef372
const LANE_SEED_LO = 0x510e527f

/** The 64-bit key of a string: the first 8 bytes of its SHA-256. */
export function key64 (text: string): Key64 {
  const digest = createHash('sha256').update(text, 'utf8').digest()
  return { hi: digest.readUInt32BE(0), lo: digest.readUInt32BE(4) }
}

/** The key of chunk `index` of file `fileId` (the file ID keeps files' placements independent). */
export function chunkKey (fileId: string, index: number): Key64 {
  return key64(`${fileId}\n${index}`)
}

/** The key of a peer (its ID string). */
export function peerKey (peerId: string): Key64 {
  return key64(`peer\n${peerId}`)
}

/** A chunk's half-mixed hash state: the part of the pair hash that does not depend on the peer, computed once per chunk. */
export interface ChunkState {
  readonly hi: number
  readonly lo: number
}

/** Mixes a chunk key into the two lanes' starting states. */
export function chunkState (chunk: Key64): ChunkState {
  return { hi: mix32(mix32(LANE_SEED_HI, chunk.hi), chunk.lo), lo: mix32(mix32(LANE_SEED_LO, chunk.lo), chunk.hi) }
}

/**
 * The pair's number u, uniform in (0, 1) and never 0 or 1 (so `ln(u)` is
 * finite and negative): two MurmurHash3-style lanes over the four 32-bit
 * words (chunk's first, so they are mixed once per chunk), finalised, then
 * 53 bits of them.
 */
export function pairUniform (chunk: ChunkState, peerHi: number, peerLo: number): number {
  const hi = fmix32(mix32(mix32(chunk.hi, peerHi), peerLo) ^ 16)
  const lo = fmix32(mix32(mix32(chunk.lo, peerLo), peerHi) ^ 16)
  // 26 + 27 = 53 bits; +0.5 keeps the value strictly inside (0, 1).
  return ((hi >>> 6) * TWO_POW_27 + (lo >>> 5) + 0.5) / TWO_POW_53
}

/** One MurmurHash3 x86_32 body step: mixes the word `k` into the state `h`. */
function mix32 (h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51)
  k = (k << 15) | (k >>> 17)
  k = Math.imul(k, 0x1b873593)
  h ^= k
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

/** MurmurHash3's finaliser: every input bit affects every output bit. */
function fmix32 (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
