/**
 * Worker thread that hashes chunk buffers for ChunkVerifier. Buffers arrive
 * transferred (not copied) and go back the same way with their digest.
 */
import { createHash } from 'node:crypto'
import { parentPort } from 'node:worker_threads'

/** A request: hash `length` bytes of `buffer`. */
export interface VerifyRequest { id: number, buffer: ArrayBuffer, length: number }
/** The answer, with the buffer handed back. */
export interface VerifyResponse { id: number, buffer: ArrayBuffer, digest: Uint8Array }

parentPort?.on('message', (req: VerifyRequest) => {
  const digest = new Uint8Array(createHash('sha256').update(new Uint8Array(req.buffer, 0, req.length)).digest())
  const res: VerifyResponse = { id: req.id, buffer: req.buffer, digest }
  parentPort?.postMessage(res, [req.buffer, digest.buffer as ArrayBuffer])
})
