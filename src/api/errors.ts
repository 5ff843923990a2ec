/**
 * The one JSON shape every API error has:
 * `{ success: false, error, code, message, statusCode, ...details }` —
 * `error` is the lowercase code without its `ERR_` prefix (seed 000's
 * `distribution_required` style), `code` the stable ShoalError code.
 *
 * Fastify's own errors (bad URL, parameter too long, body parse, media type,
 * body limit, schema validation) are mapped onto Shoal's codes here, so a
 * client only ever sees one shape. Bad input is a 4xx, never a 500.
 *
 * What leaves is redacted: secrets (the API token) never, and a file system
 * path only as its base name — an error must not tell a caller where files
 * live, nor echo back a 4,000-character input. No stack traces.
 */
import { basename } from 'node:path'
import { ShoalError, toShoalError } from '../errors.js'

/** Longest message an error body carries, in characters; longer ones are cut. */
export const MAX_ERROR_MESSAGE_CHARS = 300
/** Longest string detail an error body carries, in characters. */
const MAX_DETAIL_CHARS = 200
/** Longest key name quoted back from a schema error, in characters. */
const MAX_QUOTED_KEY_CHARS = 64
/** Longest route parameter accepted (also fastify's `maxParamLength`): IDs are ≤ 128 characters. */
export const MAX_PARAM_LENGTH = 128

/** The error body sent by the API. */
export interface ApiErrorBody {
  success: false
  error: string
  code: string
  message: string
  statusCode: number
  [detail: string]: unknown
}

/** What must never leave in an error body. */
export interface Redaction {
  /** Exact strings replaced by `[redacted]` wherever they appear (the API token). */
  secrets?: readonly string[]
}

/**
 * First path segments that make a slash-string a multiaddr rather than a file
 * system path; multiaddrs in messages ("not a multiaddr: /ip4/…") stay whole.
 */
const MULTIADDR_HEADS = new Set(['ip4', 'ip6', 'ip6zone', 'dns', 'dns4', 'dns6', 'dnsaddr', 'tcp', 'udp', 'p2p', 'ipfs', 'p2p-circuit', 'quic', 'quic-v1', 'ws', 'wss', 'tls', 'noise', 'webrtc', 'webrtc-direct', 'webtransport', 'certhash', 'sni', 'memory'])

/** An absolute POSIX path at the start of the text or after a space, quote or bracket. */
const ABSOLUTE_PATH = /(^|[\s'"`([])(\/[^\s'"`)\]]*)/g

/** Builds the error body for anything thrown inside a route or by fastify itself. */
export function toApiError (err: unknown, redaction: Redaction = {}): ApiErrorBody {
  const e = toShoalApiError(err)
  const details = redactValue(e.details, redaction) as Record<string, unknown>
  return {
    ...details,
    success: false,
    error: e.code.replace(/^ERR_/, '').toLowerCase(),
    code: e.code,
    message: redactText(e.message, redaction, MAX_ERROR_MESSAGE_CHARS),
    statusCode: e.statusCode
  }
}

/** Maps fastify's errors and a few input-caused system errors onto Shoal's codes. */
function toShoalApiError (err: unknown): ShoalError {
  if (err instanceof ShoalError) return err
  const f = err as { statusCode?: unknown, validation?: unknown, validationContext?: unknown, code?: unknown, message?: unknown } | undefined
  if (f?.code === 'FST_ERR_BAD_URL') {
    return new ShoalError('ERR_INVALID_ARGUMENT', 'the URL is malformed (bad percent-encoding or characters)')
  }
  if (f?.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new ShoalError('ERR_INVALID_ARGUMENT', `a route parameter is longer than ${MAX_PARAM_LENGTH} characters`)
  }
  if (Array.isArray(f?.validation)) {
    return new ShoalError('ERR_INVALID_ARGUMENT', validationMessage(f.validation as AjvError[], String(f.validationContext ?? 'request')))
  }
  if (f?.statusCode === 413) {
    return new ShoalError('ERR_MESSAGE_TOO_LARGE', 'the request body is too large')
  }
  // Every other fastify error with a 4xx status is about the request: a body
  // that is not JSON, an unsupported media type, a bad content length…
  if (typeof f?.code === 'string' && f.code.startsWith('FST_') && typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
    return new ShoalError('ERR_INVALID_ARGUMENT', typeof f.message === 'string' ? f.message : 'bad request')
  }
  // A name too long for the file system is bad input, not a server fault.
  if (f?.code === 'ENAMETOOLONG') {
    return new ShoalError('ERR_INVALID_ARGUMENT', 'a path or one of its names is too long', {}, { cause: err })
  }
  return toShoalError(err)
}

/** One Ajv error, as fastify hands them over. */
interface AjvError {
  keyword?: string
  instancePath?: string
  message?: string
  params?: { additionalProperty?: unknown, missingProperty?: unknown }
}

/** Names the offending key of the first schema error: `body has an unknown key "x"`. */
function validationMessage (errors: AjvError[], context: string): string {
  const first = errors[0]
  if (first === undefined) return `${context} is invalid`
  const where = `${context}${first.instancePath ?? ''}`
  const extra = first.params?.additionalProperty
  if (first.keyword === 'additionalProperties' && typeof extra === 'string') {
    return `${where} has an unknown key ${quoteKey(extra)}`
  }
  const missing = first.params?.missingProperty
  if (first.keyword === 'required' && typeof missing === 'string') {
    return `${where} is missing the key ${quoteKey(missing)}`
  }
  return `${where} ${first.message ?? 'is invalid'}`
}

function quoteKey (key: string): string {
  return JSON.stringify(key.length > MAX_QUOTED_KEY_CHARS ? key.slice(0, MAX_QUOTED_KEY_CHARS) + '…' : key)
}

/** Replaces secrets, reduces absolute paths to their base name, and caps the length. */
export function redactText (text: string, redaction: Redaction, maxChars: number): string {
  let out = text
  for (const secret of redaction.secrets ?? []) {
    if (secret.length > 0) out = out.split(secret).join('[redacted]')
  }
  out = out.replace(ABSOLUTE_PATH, (_all, lead: string, path: string) => {
    const head = path.split('/')[1] ?? ''
    return lead + (MULTIADDR_HEADS.has(head) ? path : basename(path))
  })
  return out.length > maxChars ? out.slice(0, maxChars) + '…' : out
}

function redactValue (value: unknown, redaction: Redaction): unknown {
  if (typeof value === 'string') return redactText(value, redaction, MAX_DETAIL_CHARS)
  if (Array.isArray(value)) return value.map(v => redactValue(v, redaction))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, redaction)]))
  }
  return value
}
