/**
 * Every failure Shoal reports has a stable `code`. Codes are public API: the
 * HTTP API returns them, the CLI prints them, tests match on them. Never reuse
 * or rename one; add a new one instead.
 */

/** The catalogue of error codes, with the HTTP status each maps to. */
export const ERROR_CODES = {
  ERR_INVALID_ARGUMENT: 400,
  ERR_INVALID_CONFIG: 400,
  ERR_INVALID_ID: 400,
  ERR_INVALID_LINK: 400,
  ERR_INVALID_MANIFEST: 400,
  ERR_PATH_NOT_FOUND: 404,
  ERR_PATH_IS_DIRECTORY: 400,
  ERR_PATH_NOT_READABLE: 400,
  ERR_FILE_CHANGED: 409,
  ERR_FILE_NOT_FOUND: 404,
  ERR_JOB_NOT_FOUND: 404,
  ERR_ROUTE_NOT_FOUND: 404,
  ERR_NO_PROVIDERS: 404,
  ERR_NO_SOURCES_LEFT: 503,
  ERR_DEST_NOT_WRITABLE: 400,
  ERR_DEST_EXISTS: 409,
  ERR_DISK_FULL: 507,
  ERR_DOWNLOAD_IN_PROGRESS: 409,
  ERR_CHUNK_CORRUPT: 502,
  ERR_CHUNK_NOT_AVAILABLE: 404,
  ERR_PEER_UNREACHABLE: 502,
  ERR_PROTOCOL: 502,
  ERR_MESSAGE_TOO_LARGE: 413,
  ERR_TIMEOUT: 504,
  ERR_ABORTED: 499,
  ERR_NODE_NOT_RUNNING: 503,
  ERR_NODE_ALREADY_RUNNING: 409,
  ERR_UNAUTHORIZED: 401,
  ERR_QUOTA_EXCEEDED: 507,
  ERR_RATE_LIMITED: 429,
  ERR_INVALID_SIGNATURE: 401,
  ERR_STALE_MESSAGE: 401,
  ERR_INVALID_SWARM_KEY: 400,
  ERR_CATALOG_CORRUPT: 500,
  ERR_DATA_DIR_NOT_WRITABLE: 500,
  ERR_TOO_MANY_STREAMS: 429,
  ERR_PEER_BANNED: 403,
  ERR_DISTRIBUTION_REQUIRED: 400,
  ERR_INVALID_RECORD: 400,
  ERR_CANCELLED: 409,
  /** A distribution started but some chunk could not get its N copies: no peer left that takes it. */
  ERR_DISTRIBUTION_FAILED: 503,
  ERR_INTERNAL: 500
} as const

export type ErrorCode = keyof typeof ERROR_CODES

/** A failure with a stable code, an HTTP status and optional structured details. */
export class ShoalError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly details: Record<string, unknown>

  constructor (code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ShoalError'
    this.code = code
    this.statusCode = ERROR_CODES[code]
    this.details = details
  }
}

/** True when `err` carries the given code; errors are matched by code, not class. */
export function hasCode (err: unknown, code: ErrorCode): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code
}

/** Wraps anything thrown into a ShoalError, keeping codes that are already ours. */
export function toShoalError (err: unknown): ShoalError {
  if (err instanceof ShoalError) return err
  const e = err as { code?: unknown, message?: unknown, name?: unknown } | undefined
  if (typeof e?.code === 'string' && e.code in ERROR_CODES) {
    return new ShoalError(e.code as ErrorCode, String(e.message ?? e.code), {}, { cause: err })
  }
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') {
    return new ShoalError('ERR_DISK_FULL', 'no space left on the device', {}, { cause: err })
  }
  if (e?.name === 'AbortError') {
    return new ShoalError('ERR_ABORTED', 'the operation was aborted', {}, { cause: err })
  }
  const message = err instanceof Error ? err.message : String(err)
  return new ShoalError('ERR_INTERNAL', message, {}, { cause: err })
}
