/**
 * Worker thread that hashes a contiguous range of a file's chunks. It opens
 * the file itself and reads with blocking `readSync` into one reusable buffer:
 * blocking is what a worker is for, and it avoids a thread-pool round trip per
 * read. Digests go back in batches whose buffers are transferred, not copied.
 * The main thread (chunker.ts) owns the outcome: it checks afterwards that the
 * file did not change and terminates workers on abort.
 */
import { closeSync, openSync, readSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { parentPort, workerData } from 'node:worker_threads'
import { ShoalError, type ErrorCode } from '../errors.js'
import { fileError } from './file-check.js'
import { SHA256_BYTES } from './hash.js'
import { MIB } from './chunk-size.js'

/** What the worker hashes: chunks `first` (inclusive) to `end` (exclusive). */
export interface HashWorkerData {
  path: string
  size: number
  chunkSize: number
  first: number
  end: number
}

/** Messages from the worker: digest batches, then `done` or one `error`. */
export type HashWorkerMessage =
  | { type: 'hashes', first: number, digests: Uint8Array, bytes: number }
  | { type: 'done' }
  | { type: 'error', code: ErrorCode, message: string }

/** Largest single read; big enough to amortise the syscall, small enough to stay in cache. */
const READ_BYTES = 4 * MIB

/** Bytes hashed between two progress reports. */
const BATCH_BYTES = 16 * MIB

function hashRange (task: HashWorkerData, post: (message: HashWorkerMessage, transfer?: ArrayBuffer[]) => void): void {
  const { path, size, chunkSize, first, end } = task
  const buffer = Buffer.allocUnsafe(Math.min(chunkSize, READ_BYTES))
  const batchChunks = Math.max(1, Math.floor(BATCH_BYTES / chunkSize))
  const fd = openSync(path, 'r')
  try {
    let batchFirst = first
    let batch = new Uint8Array(Math.min(batchChunks, end - first) * SHA256_BYTES)
    let batchBytes = 0
    for (let index = first; index < end; index++) {
      const offset = index * chunkSize
      const length = Math.min(chunkSize, size - offset)
      const hash = createHash('sha256')
      for (let done = 0; done < length;) {
        const bytesRead = readSync(fd, buffer, 0, Math.min(buffer.byteLength, length - done), offset + done)
        if (bytesRead === 0) throw new ShoalError('ERR_FILE_CHANGED', `${path} shrank while it was being hashed`, { path })
        hash.update(buffer.subarray(0, bytesRead))
        done += bytesRead
      }
      batch.set(hash.digest(), (index - batchFirst) * SHA256_BYTES)
      batchBytes += length
      if (index + 1 - batchFirst === batchChunks || index + 1 === end) {
        post({ type: 'hashes', first: batchFirst, digests: batch, bytes: batchBytes }, [batch.buffer as ArrayBuffer])
        batchFirst = index + 1
        batch = new Uint8Array(Math.min(batchChunks, end - batchFirst) * SHA256_BYTES)
        batchBytes = 0
      }
    }
  } finally {
    closeSync(fd)
  }
}

if (parentPort !== null) {
  const port = parentPort
  const task = workerData as HashWorkerData
  try {
    hashRange(task, (message, transfer) => { port.postMessage(message, transfer) })
    port.postMessage({ type: 'done' } satisfies HashWorkerMessage)
  } catch (err) {
    const error = fileError(err, task.path)
    port.postMessage({ type: 'error', code: error.code, message: error.message } satisfies HashWorkerMessage)
  }
}
