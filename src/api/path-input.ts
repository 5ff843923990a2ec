/**
 * Checks on file system paths that arrive in API bodies, before they reach
 * the file system: Node throws a plain TypeError on a NUL byte and the kernel
 * ENAMETOOLONG on an overlong path or name, which would otherwise surface as
 * a 500. Limits are Linux's (PATH_MAX, NAME_MAX in <linux/limits.h>).
 */
import { ShoalError } from '../errors.js'

/** Longest path accepted, in bytes (PATH_MAX). */
export const MAX_PATH_BYTES = 4096
/** Longest single name in a path, in bytes (NAME_MAX). */
export const MAX_NAME_BYTES = 255

/** Throws ERR_INVALID_ARGUMENT (naming `field`, never echoing the value) unless `value` is a usable path. */
export function assertPathInput (field: string, value: string): void {
  if (value.includes('\0')) throw new ShoalError('ERR_INVALID_ARGUMENT', `${field} contains a NUL byte`, { field })
  if (Buffer.byteLength(value) > MAX_PATH_BYTES) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `${field} is longer than ${MAX_PATH_BYTES} bytes`, { field })
  }
  if (value.split('/').some(name => Buffer.byteLength(name) > MAX_NAME_BYTES)) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `${field} has a name longer than ${MAX_NAME_BYTES} bytes`, { field })
  }
}
