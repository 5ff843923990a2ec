/**
 * What the tracker's index costs in memory, estimated in bytes, so the index
 * is bounded in bytes and not only in entries (1,000 files per peer cost 100×
 * what 10 do). The figures are V8 heap growth measured after a forced GC on
 * Node 20 for JSON-parsed announces, rounded up so an estimate is never below
 * the heap it stands for (measured/estimated: 0.3–0.7 for peers of 0–10
 * shared files, 0.7 for peers of 1,000 distinct files): a peer record with
 * its map entries, set and address array; each address string; each (peer,
 * file) link (the peer's set entry, the holder slot and its position entry);
 * each distinct file (its map entry, holder array, position map, ID string).
 */

/** A peer record with its map entries, file set and address array, before files. */
export const PEER_RECORD_BYTES = 400
/** An address string beyond its characters, plus its array slot. */
export const ADDR_OVERHEAD_BYTES = 48
/** One (peer, file) link: set entry, holder slot, position map entry. */
export const FILE_LINK_BYTES = 64
/** One distinct file: index map entry, holders array, position map, ID string. */
export const FILE_ENTRY_BYTES = 560

/** The estimated bytes of a peer's record and addresses, without its files. */
export function peerBytes (addrs: readonly string[]): number {
  let bytes = PEER_RECORD_BYTES
  for (const a of addrs) bytes += ADDR_OVERHEAD_BYTES + a.length
  return bytes
}

/**
 * What a peer holding `files` files is charged against its address's share:
 * each file as if no other peer held it (the worst case, and what a flood of
 * random file IDs costs), so a share is a true bound whatever others hold.
 */
export function chargedBytes (addrs: readonly string[], files: number): number {
  return peerBytes(addrs) + files * (FILE_LINK_BYTES + FILE_ENTRY_BYTES)
}
