/**
 * HTTP client for a running node's API, used by the CLI. Errors from the API
 * come back as ShoalErrors with the code the node gave them.
 */
import { ShoalError, ERROR_CODES, type ErrorCode } from '../errors.js'

/** Talks to one node's API with its token. */
export class ApiClient {
  readonly #base: string
  readonly #token: string

  constructor (baseUrl: string, token: string) {
    this.#base = baseUrl.replace(/\/$/, '')
    this.#token = token
  }

  async request<T> (method: string, path: string, body?: unknown, options: { signal?: AbortSignal } = {}): Promise<T> {
    let res: Response
    try {
      res = await fetch(this.#base + path, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: options.signal
      })
    } catch (err) {
      throw new ShoalError('ERR_NODE_NOT_RUNNING', `cannot reach the node's API at ${this.#base}: ${(err as Error).message}`, {}, { cause: err })
    }
    const text = await res.text()
    let json: unknown
    try {
      json = text === '' ? {} : JSON.parse(text)
    } catch {
      throw new ShoalError('ERR_INTERNAL', `the node answered ${res.status} with non-JSON`)
    }
    if (!res.ok) {
      const e = json as { code?: string, message?: string, error?: string }
      // Seed 000's refusal body has no `code` (README: the one exception to the error shape).
      if (e.code === undefined && e.error === 'distribution_required') e.code = 'ERR_DISTRIBUTION_REQUIRED'
      const code: ErrorCode = typeof e.code === 'string' && e.code in ERROR_CODES ? e.code as ErrorCode : 'ERR_INTERNAL'
      throw new ShoalError(code, e.message ?? `HTTP ${res.status}`, json as Record<string, unknown>)
    }
    return json as T
  }
}
