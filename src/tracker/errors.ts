/**
 * Tracker-specific error helpers.
 */
import { ShoalError } from '../errors.js'

/** Code of a request refused by a rate limit. */
export const ERR_RATE_LIMITED = 'ERR_RATE_LIMITED'

/** The one JSON shape in which errors leave the tracker (Fastify's, with our code as `error`). */
export interface ErrorBody {
  error: string
  code: string
  message: string
  statusCode: number
}

/** A ShoalError for a request refused by a rate limit; `retryAfterSeconds` goes in its details. */
export function rateLimitedError (message: string, retryAfterSeconds: number): ShoalError {
  return new ShoalError(ERR_RATE_LIMITED, message, { retryAfterSeconds })
}

/** The error body for a ShoalError (or anything carrying a code, message and status). */
export function errorBody (err: { code: string, message: string, statusCode: number }): ErrorBody {
  return { error: err.code, code: err.code, message: err.message, statusCode: err.statusCode }
}
