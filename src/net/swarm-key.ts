/**
 * Swarm keys: the pre-shared key of a private swarm, in kubo's `swarm.key`
 * format (https://github.com/ipfs/kubo/blob/master/docs/experimental-features.md#private-networks),
 * so a key made by `ipfs-swarm-key-gen` works here and ours works there:
 *
 *     /key/swarm/psk/1.0.0/
 *     /base16/
 *     <64 hex digits: 32 random bytes>
 *
 * A key is checked when loaded, with an error naming the file, because
 * `@libp2p/pnet` only says "invalid PSK" — and only once the node starts.
 */
import { randomBytes } from 'node:crypto'
import { link, open, rename, rm, writeFile } from 'node:fs/promises'
import { ShoalError } from '../errors.js'

/** First line of a v1 swarm key (the multicodec kubo and libp2p use). */
export const SWARM_KEY_HEADER = '/key/swarm/psk/1.0.0/'
/** Second line: the encoding of the key; kubo's generator and libp2p's use base16. */
export const SWARM_KEY_ENCODING = '/base16/'
/** The key is 32 bytes, for XSalsa20 (`@libp2p/pnet`'s KEY_LENGTH). */
export const SWARM_KEY_BYTES = 32
/** A key file is ~88 bytes; anything much larger is the wrong file, not read further. */
export const MAX_SWARM_KEY_FILE_BYTES = 4096
/** Mode of the key files Shoal writes: a key is a secret. */
export const SWARM_KEY_FILE_MODE = 0o600
/** Permission bits that let the group or others read a file. */
const GROUP_OR_OTHER_READ = 0o044

const HEX_KEY = new RegExp(`^[0-9a-fA-F]{${SWARM_KEY_BYTES * 2}}$`)

/** A loaded swarm key. */
export interface SwarmKey {
  /** The key in the canonical text form `@libp2p/pnet`'s `preSharedKey({ psk })` takes. */
  readonly psk: Uint8Array
  /** Set when the file's permissions let others read it. */
  readonly warning?: string
}

function invalid (path: string, why: string, cause?: unknown): never {
  throw new ShoalError('ERR_INVALID_SWARM_KEY', `invalid swarm key file ${path}: ${why}`, { path }, cause === undefined ? undefined : { cause })
}

/** The canonical text of a 32-byte key (lower-case hex, one trailing newline). */
export function formatSwarmKey (key: Uint8Array): string {
  if (key.byteLength !== SWARM_KEY_BYTES) throw new ShoalError('ERR_INVALID_ARGUMENT', `a swarm key is ${SWARM_KEY_BYTES} bytes, not ${key.byteLength}`)
  return `${SWARM_KEY_HEADER}\n${SWARM_KEY_ENCODING}\n${Buffer.from(key).toString('hex')}\n`
}

/** A fresh random swarm key, as file text. */
export function newSwarmKey (): string {
  return formatSwarmKey(randomBytes(SWARM_KEY_BYTES))
}

/**
 * Parses swarm key text (`path` only names it in errors). Accepts what kubo
 * accepts for base16 keys: LF or CRLF line ends, upper- or lower-case hex,
 * surrounding blank space. Returns the key bytes.
 * Throws `ERR_INVALID_SWARM_KEY` saying which line is wrong.
 */
export function parseSwarmKey (text: string, path: string): Uint8Array {
  const lines = text.trim().split(/\r?\n/).map(line => line.trim())
  const [header, encoding, hex, ...rest] = lines
  if (header !== SWARM_KEY_HEADER) invalid(path, `the first line must be ${SWARM_KEY_HEADER}`)
  if (encoding !== SWARM_KEY_ENCODING) invalid(path, `the second line must be ${SWARM_KEY_ENCODING} (the only encoding supported)`)
  if (hex === undefined || !HEX_KEY.test(hex)) invalid(path, `the third line must be ${SWARM_KEY_BYTES * 2} hex digits`)
  if (rest.length > 0) invalid(path, 'it has more than three lines')
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

/**
 * Reads and checks a swarm key file. Missing, unreadable, oversized or
 * malformed files throw `ERR_INVALID_SWARM_KEY` naming the file; a file the
 * group or others may read loads, with a `warning`.
 */
export async function loadSwarmKey (path: string, options: { signal?: AbortSignal } = {}): Promise<SwarmKey> {
  let text: string
  let mode: number
  try {
    // One open file for the checks and the read, so they see the same file.
    const fh = await open(path, 'r')
    try {
      const st = await fh.stat()
      if (!st.isFile()) invalid(path, 'it is not a regular file')
      mode = st.mode
      const buf = Buffer.alloc(MAX_SWARM_KEY_FILE_BYTES + 1)
      const { bytesRead } = await fh.read({ buffer: buf, position: 0 })
      if (bytesRead > MAX_SWARM_KEY_FILE_BYTES) invalid(path, `it is larger than ${MAX_SWARM_KEY_FILE_BYTES} bytes`)
      text = buf.subarray(0, bytesRead).toString('utf8')
    } finally {
      await fh.close()
    }
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_INVALID_SWARM_KEY') throw err
    const code = (err as { code?: unknown }).code
    const why = code === 'ENOENT' ? 'the file does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : `cannot read it (${String(code ?? (err as Error).message)})`
    return invalid(path, why, err)
  }
  options.signal?.throwIfAborted()
  const key = parseSwarmKey(text, path)
  const psk = new TextEncoder().encode(formatSwarmKey(key))
  if ((mode & GROUP_OR_OTHER_READ) === 0) return { psk }
  const octal = (mode & 0o777).toString(8).padStart(4, '0')
  return { psk, warning: `swarm key file ${path} can be read by other users (mode ${octal}); anyone who reads it can join the swarm: chmod 600 ${path}` }
}

/**
 * Writes `text` to a new key file with mode 0600: created under a temporary
 * name and renamed, so a reader never sees half a key. Refuses to replace an
 * existing file unless `force` (`ERR_DEST_EXISTS`).
 */
export async function writeSwarmKeyFile (path: string, text: string, options: { force?: boolean } = {}): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  try {
    // `wx`: the temp name is ours alone; mode applies at creation, before any byte is written.
    await writeFile(tmp, text, { mode: SWARM_KEY_FILE_MODE, flag: 'wx' })
  } catch (err) {
    throw new ShoalError('ERR_DEST_NOT_WRITABLE', `cannot write ${path}: ${(err as Error).message}`, { path }, { cause: err })
  }
  try {
    if (options.force !== true) {
      // link() fails with EEXIST instead of replacing: no window in which a
      // file created meanwhile would be overwritten.
      await link(tmp, path)
    } else {
      await rename(tmp, path)
    }
  } catch (err) {
    if ((err as { code?: unknown }).code === 'EEXIST') {
      throw new ShoalError('ERR_DEST_EXISTS', `${path} already exists; pass --force to replace it`, { path })
    }
    throw err
  } finally {
    // After rename the temp name is gone already (force: true ignores that);
    // after link it is a second name of the key file, removed here.
    await rm(tmp, { force: true })
  }
}
