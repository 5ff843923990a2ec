/**
 * What a serving protocol needs from the node's upload limits: a slot per
 * piece being sent (bounded per peer and in total) and pacing of its bytes.
 * Declared here so protocol handlers do not depend on `transfer/`;
 * `UploadLimiter` satisfies it structurally.
 */

/** Upload slots and rate limits, as the serving side of a protocol sees them. */
export interface UploadGate {
  /** Waits for an upload slot for `peer`; resolves with the function that frees it (call it exactly once). */
  acquire: (peer: string, signal?: AbortSignal) => Promise<() => void>
  /** Waits until `bytes` may be sent to `peer` under the rate limits. */
  throttle: (peer: string, bytes: number, signal?: AbortSignal) => Promise<void>
}
