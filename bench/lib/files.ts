/**
 * The benchmark's files: random sources, hashes to verify copies, and the
 * page-cache state every timed run starts from.
 *
 * Cache modes: `warm` (default) syncs dirty pages to disk, then reads the
 * source files once, so every run reads its source from memory and writes
 * fresh output — the conditions of the reference figure (raw TLS,
 * 1 GiB in ~1.5 s, faster than a cold read of this disk). `cold` syncs and
 * drops the page cache (`/proc/sys/vm/drop_caches`, needs root), so every run
 * reads its source from disk; then every figure is bounded by the disk.
 */
import { execFile } from 'node:child_process'
import { createHash, randomFillSync } from 'node:crypto'
import { open, writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { ShoalError } from '../../src/errors.js'
import { MiB } from './stats.js'

/** How runs start; see the module comment. */
export type CacheMode = 'warm' | 'cold'

const IO_BLOCK_BYTES = 4 * MiB

/** Writes `size` random bytes to a new file at `path`. */
export async function writeRandomFile (path: string, size: number, options: { signal?: AbortSignal } = {}): Promise<void> {
  const fh = await open(path, 'wx')
  try {
    const block = Buffer.allocUnsafe(IO_BLOCK_BYTES)
    for (let done = 0; done < size;) {
      options.signal?.throwIfAborted()
      const n = Math.min(block.length, size - done)
      randomFillSync(block, 0, n)
      await fh.write(block, 0, n)
      done += n
    }
  } finally {
    await fh.close()
  }
}

/** Reads a whole file in large blocks, handing each to `onBlock`. */
async function readFile (path: string, onBlock: (block: Buffer) => void, signal?: AbortSignal): Promise<void> {
  const fh = await open(path, 'r')
  try {
    const block = Buffer.allocUnsafe(IO_BLOCK_BYTES)
    for (;;) {
      signal?.throwIfAborted()
      const { bytesRead } = await fh.read(block, 0, block.length, null)
      if (bytesRead === 0) return
      onBlock(block.subarray(0, bytesRead))
    }
  } finally {
    await fh.close()
  }
}

/** Hex SHA-256 of a file. */
export async function sha256File (path: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  const hash = createHash('sha256')
  await readFile(path, block => hash.update(block), options.signal)
  return hash.digest('hex')
}

/** Throws ERR_CHUNK_CORRUPT unless the file at `path` hashes to `expected`. */
export async function assertSameBytes (path: string, expected: string, options: { signal?: AbortSignal } = {}): Promise<void> {
  const actual = await sha256File(path, options)
  if (actual !== expected) {
    throw new ShoalError('ERR_CHUNK_CORRUPT', `${path} does not match its source: sha256 ${actual}, expected ${expected}`, { path, actual, expected })
  }
}

/** Puts the page cache in `mode` for the next timed run that reads `sources`. */
export async function prepareCache (mode: CacheMode, sources: readonly string[], options: { signal?: AbortSignal } = {}): Promise<void> {
  await promisify(execFile)('sync', [], { signal: options.signal })
  if (mode === 'cold') {
    await writeFile('/proc/sys/vm/drop_caches', '3\n')
    return
  }
  for (const source of sources) await readFile(source, () => {}, options.signal)
}
