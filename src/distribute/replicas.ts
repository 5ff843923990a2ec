/**
 * The replica count a user asks for, checked the same way wherever it comes
 * in (a CLI flag, an API query or body, the node's share options). No
 * dependencies, so the CLI can check its flags without loading libp2p.
 */
import { ShoalError } from '../errors.js'

/** Most copies of one chunk a distribution record can name. */
export const MAX_RECORD_REPLICAS = 32

/**
 * `value` (a number, or decimal text as a flag or query gives it) as a replica
 * count from 1 to MAX_RECORD_REPLICAS; `label` names it in the error
 * (`--replicas`, `replicas`). Throws ERR_INVALID_ARGUMENT.
 */
export function parseReplicas (value: unknown, label = 'replicas'): number {
  const n = typeof value === 'number' ? value : /^-?[0-9]{1,9}$/.test(String(value)) ? Number(value) : NaN
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_RECORD_REPLICAS) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `${label} must be an integer from 1 to ${MAX_RECORD_REPLICAS}, got ${JSON.stringify(String(value).slice(0, 32))}`, { replicas: String(value).slice(0, 32) })
  }
  return n
}
