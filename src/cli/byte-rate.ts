/**
 * Rate limits on the command line: bytes per second as a plain integer or
 * with a binary suffix (`512K`, `10M`, `1.5MiB`, `1G`; `/s` optional), the
 * way curl's --limit-rate and rsync's --bwlimit read them.
 */
import { ShoalError } from '../errors.js'

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }
const RATE = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:\/s)?$/i

/** Parses a rate flag into bytes per second (0 = unlimited); throws ERR_INVALID_ARGUMENT naming `flag`. */
export function parseByteRate (text: string, flag: string): number {
  const match = RATE.exec(text.trim())
  const value = match == null ? NaN : Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? NaN)
  if (!Number.isFinite(value) || value > Number.MAX_SAFE_INTEGER) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `${flag} must be bytes per second, like 500K, 10M or 1G (0 for no limit), got ${JSON.stringify(text)}`, { flag, value: text })
  }
  return Math.floor(value)
}
