/**
 * SHA-256 of downloaded chunks off the main thread, so verifying a gigabyte
 * (~0.7 s of CPU) never stalls the event loop that drives the network. Each
 * chunk buffer is transferred to a worker and back, never copied; buffers
 * must therefore own their whole ArrayBuffer (BufferPool's do). Small chunks,
 * and any chunk when the worker is unavailable, are hashed inline.
 */
import { sha256 } from './hash.js'
import { startModuleWorker } from './module-worker.js'
import type { Worker } from 'node:worker_threads'
import type { VerifyRequest, VerifyResponse } from './verify-worker.js'

/** Below this, a round trip to the worker costs more than hashing inline. */
export const INLINE_VERIFY_MAX_BYTES = 64 * 1024

interface Pending {
  resolve: (r: { digest: Uint8Array, buffer: Buffer }) => void
  reject: (err: Error) => void
  length: number
}

/** Hashes chunk buffers in a worker thread. */
export class ChunkVerifier {
  #worker: Worker | undefined
  #failed = false
  #nextId = 0
  readonly #pending = new Map<number, Pending>()

  /**
   * Resolves with the buffer's digest and the buffer itself (the same memory,
   * handed back by the worker). The caller must not touch `buffer` meanwhile.
   */
  async digest (buffer: Buffer): Promise<{ digest: Uint8Array, buffer: Buffer }> {
    const ownsMemory = buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.byteLength
    const worker = buffer.byteLength > INLINE_VERIFY_MAX_BYTES && ownsMemory ? this.#start() : undefined
    if (worker == null) return { digest: sha256(buffer), buffer }
    const id = this.#nextId++
    return await new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, length: buffer.byteLength })
      const req: VerifyRequest = { id, buffer: buffer.buffer as ArrayBuffer, length: buffer.byteLength }
      worker.postMessage(req, [req.buffer])
    })
  }

  #start (): Worker | undefined {
    if (this.#worker != null || this.#failed) return this.#worker
    try {
      const worker = startModuleWorker(import.meta.url, './verify-worker')
      worker.unref()
      worker.on('message', (res: VerifyResponse) => {
        const p = this.#pending.get(res.id)
        if (p == null) return
        this.#pending.delete(res.id)
        p.resolve({ digest: res.digest, buffer: Buffer.from(res.buffer, 0, p.length) })
      })
      worker.on('error', (err) => { this.#fail(err) })
      worker.on('exit', () => { this.#fail(new Error('verify worker exited')) })
      this.#worker = worker
    } catch {
      this.#failed = true
    }
    return this.#worker
  }

  #fail (err: Error): void {
    this.#failed = true
    this.#worker = undefined
    for (const p of this.#pending.values()) p.reject(err)
    this.#pending.clear()
  }

  async close (): Promise<void> {
    const worker = this.#worker
    this.#worker = undefined
    this.#failed = true
    if (worker != null) await worker.terminate()
  }
}
