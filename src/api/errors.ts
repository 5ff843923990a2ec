/**
 * The one JSON shape every API error has:
 * `{ success: false, error, code, message, statusCode, ...details }` —
 * `error` is the lowercase code without its `ERR_` prefix (seed 000's
 * `distribution_required` style), `code` the stable ShoalError code.
 */
import { ShoalError, toShoalError } from '../errors.js'

/** The error body sent by the API. */
export interface ApiErrorBody {
  success: false
  error: string
  code: string
  message: string
  statusCode: number
  [detail: string]: unknown
}

/** Builds the error body for anything thrown inside a route. */
export function toApiError (err: unknown): ApiErrorBody {
  const fastifyErr = err as { statusCode?: number, validation?: unknown, code?: string, message?: string }
  let e: ShoalError
  if (fastifyErr?.validation != null || fastifyErr?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || fastifyErr?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (fastifyErr?.statusCode === 400 && !(err instanceof ShoalError))) {
    e = new ShoalError('ERR_INVALID_ARGUMENT', fastifyErr.message ?? 'bad request')
  } else if (fastifyErr?.statusCode === 413) {
    e = new ShoalError('ERR_MESSAGE_TOO_LARGE', fastifyErr.message ?? 'request too large')
  } else {
    e = toShoalError(err)
  }
  return {
    ...e.details,
    success: false,
    error: e.code.replace(/^ERR_/, '').toLowerCase(),
    code: e.code,
    message: e.message,
    statusCode: e.statusCode
  }
}
