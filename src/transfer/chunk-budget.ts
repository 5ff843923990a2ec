/**
 * How much chunk data one download may hold in memory: requests in flight
 * (over all peers) plus chunks received but not yet verified and written.
 * Past it no new request goes out, so neither many peers nor a disk slower
 * than the network can pile chunks up: memory stays flat in the file size.
 *
 * A download fills its budget (measured on loopback: every buffer of it in use
 * at the peak), so each MiB of budget is a MiB of the downloader's peak RSS;
 * 16 MiB downloads from loopback seeders as fast as 32 MiB did.
 */

/** Bytes of chunk data per download. */
export const CHUNK_MEMORY_BUDGET_BYTES = 16 * 1024 * 1024

/** However large the chunks, this many may be in flight or buffered. */
export const MIN_CHUNK_BUDGET = 4

/** How many chunks of `chunkSize` bytes fit one download's budget. */
export function chunkBudget (chunkSize: number): number {
  return Math.max(MIN_CHUNK_BUDGET, Math.floor(CHUNK_MEMORY_BUDGET_BYTES / Math.max(1, chunkSize)))
}
