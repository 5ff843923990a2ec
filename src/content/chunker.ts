/**
 * Hashes a local file chunk by chunk, for its manifest.
 *
 * Big files are hashed off the main thread so that a node keeps serving
 * peers, the API and the dashboard while it imports a 100 GiB file: up to
 * MAX_HASH_WORKERS worker threads each take a contiguous range of chunks
 * (hash-worker.ts). Small files are read with one asynchronous read and
 * hashed inline, which costs a couple of milliseconds at most and saves a
 * worker start. Either way the file must be the same (identity, size, mtime)
 * at the end as at the start, or the result is refused with ERR_FILE_CHANGED:
 * a manifest must never describe bytes that are not on disk.
 */
import { availableParallelism } from 'node:os'
import { open } from 'node:fs/promises'
import type { Worker } from 'node:worker_threads'
import { ShoalError, toShoalError } from '../errors.js'
import { assertChunkSize, chunkCount, chunkSizeFor, DEFAULT_CHUNK_SIZE_BYTES, MIB } from './chunk-size.js'
import { assertUnchanged, fileError, statRegularFile } from './file-check.js'
import { SHA256_BYTES, sha256 } from './hash.js'
import { startModuleWorker } from './module-worker.js'
import type { HashWorkerData, HashWorkerMessage } from './hash-worker.js'

/** Most worker threads one hashFile call uses (SHA-256 runs at ~1.8 GiB/s per core; two saturate most disks). */
export const MAX_HASH_WORKERS = 2

/** Files up to this size are hashed on the main thread (~2 ms of CPU). */
export const INLINE_HASH_MAX_BYTES = 4 * MIB

/** Options of `hashFile`. */
export interface HashFileOptions {
  /** Exact chunk size to use (e.g. from an existing manifest); default: `chunkSizeFor(size, baseChunkSize)`. */
  chunkSize?: number
  /** Base chunk size for `chunkSizeFor`; default DEFAULT_CHUNK_SIZE_BYTES. */
  baseChunkSize?: number
  signal?: AbortSignal
  /** Called as chunks are hashed; if it throws, hashing stops and hashFile rejects with that error. */
  onProgress?: (bytesHashed: number, totalBytes: number) => void
}

/** A hashed file: what its manifest needs, plus the mtime it had. */
export interface FileHashes {
  size: number
  mtimeMs: number
  chunkSize: number
  /** SHA-256 of every chunk, concatenated in chunk order. */
  hashes: Uint8Array
}

/**
 * Hashes the file at `path`. Rejects with ERR_PATH_NOT_FOUND,
 * ERR_PATH_IS_DIRECTORY, ERR_PATH_NOT_READABLE, ERR_FILE_CHANGED (size,
 * mtime or identity changed while hashing), ERR_INVALID_ARGUMENT (bad chunk
 * size) or ERR_ABORTED.
 */
export async function hashFile (path: string, options: HashFileOptions = {}): Promise<FileHashes> {
  const { signal } = options
  throwIfAborted(signal)
  const before = await statRegularFile(path)
  const size = before.size
  if (options.chunkSize !== undefined) assertChunkSize(options.chunkSize, 'ERR_INVALID_ARGUMENT')
  const chunkSize = options.chunkSize ?? chunkSizeFor(size, options.baseChunkSize ?? DEFAULT_CHUNK_SIZE_BYTES)
  const hashes = new Uint8Array(chunkCount(size, chunkSize) * SHA256_BYTES)
  const job: HashJob = { path, size, chunkSize, hashes, signal, onProgress: options.onProgress }
  if (size <= INLINE_HASH_MAX_BYTES) {
    await hashInline(job)
  } else {
    await hashInWorkers(job)
  }
  throwIfAborted(signal)
  await assertUnchanged(path, before)
  return { size, mtimeMs: before.mtimeMs, chunkSize, hashes }
}

interface HashJob {
  path: string
  size: number
  chunkSize: number
  hashes: Uint8Array
  signal: AbortSignal | undefined
  onProgress: ((bytesHashed: number, totalBytes: number) => void) | undefined
}

async function hashInline (job: HashJob): Promise<void> {
  const { path, size, chunkSize, hashes, signal, onProgress } = job
  const data = await readExactly(path, size, signal)
  for (let offset = 0, index = 0; offset < size; offset += chunkSize, index++) {
    hashes.set(sha256(data.subarray(offset, offset + chunkSize)), index * SHA256_BYTES)
    onProgress?.(Math.min(offset + chunkSize, size), size)
    throwIfAborted(signal)
  }
}

/** Reads the whole of a small file, failing with ERR_FILE_CHANGED unless it holds exactly `size` bytes. */
async function readExactly (path: string, size: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const handle = await open(path, 'r').catch((err: unknown) => { throw fileError(err, path) })
  try {
    // One byte more than expected, to notice a file that grew.
    const buffer = new Uint8Array(size + 1)
    let filled = 0
    while (filled < buffer.byteLength) {
      throwIfAborted(signal)
      const { bytesRead } = await handle.read(buffer, filled, buffer.byteLength - filled, filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    if (filled !== size) throw new ShoalError('ERR_FILE_CHANGED', `${path} changed size while it was being read`, { path, size, read: filled })
    return buffer.subarray(0, size)
  } catch (err) {
    throw fileError(err, path)
  } finally {
    await handle.close()
  }
}

function hashInWorkers (job: HashJob): Promise<void> {
  const { path, size, chunkSize, hashes, signal, onProgress } = job
  const count = hashes.byteLength / SHA256_BYTES
  const workerCount = Math.min(MAX_HASH_WORKERS, availableParallelism(), count)
  return new Promise<void>((resolve, reject) => {
    const workers = new Set<Worker>()
    let running = workerCount
    let hashed = 0
    let settled = false
    const settle = (err?: unknown): void => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', onAbort)
      for (const worker of workers) void worker.terminate()
      if (err === undefined) resolve()
      else reject(err)
    }
    const onAbort = (): void => { settle(abortError(signal)) }
    signal?.addEventListener('abort', onAbort, { once: true })

    for (let k = 0; k < workerCount; k++) {
      const workerData: HashWorkerData = {
        path,
        size,
        chunkSize,
        first: Math.floor(count * k / workerCount),
        end: Math.floor(count * (k + 1) / workerCount)
      }
      const worker = startModuleWorker(import.meta.url, './hash-worker', { workerData })
      let finished = false
      workers.add(worker)
      worker.on('message', (message: HashWorkerMessage) => {
        if (settled) return
        if (message.type === 'hashes') {
          hashes.set(message.digests, message.first * SHA256_BYTES)
          hashed += message.bytes
          try {
            onProgress?.(hashed, size)
          } catch (err) {
            settle(err)
          }
        } else if (message.type === 'done') {
          finished = true
          workers.delete(worker)
          if (--running === 0) settle()
        } else {
          settle(new ShoalError(message.code, message.message, { path }))
        }
      })
      worker.on('error', (err) => { settle(toShoalError(err)) })
      worker.on('exit', (code) => {
        if (!finished) settle(new ShoalError('ERR_INTERNAL', `hash worker stopped (exit code ${code}) before it finished`, { path }))
      })
    }
  })
}

function throwIfAborted (signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortError(signal)
}

function abortError (signal: AbortSignal | undefined): ShoalError {
  return new ShoalError('ERR_ABORTED', 'hashing was aborted', {}, { cause: signal?.reason })
}
