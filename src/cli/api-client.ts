/**
 * HTTP client for a running node's API, used by the CLI. Errors from the API
 * come back as ShoalErrors with the code the node gave them.
 *
 * Built on `node:http`, not the global `fetch`: Node loads fetch's engine
 * (undici) on first use, about 0.1 s — as long as all the rest of a
 * `shoal ls` through a running node.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { ShoalError, ERROR_CODES, type ErrorCode } from '../errors.js'

/** An open event stream; `close()` ends it; `ended` settles when it ended, either way. */
export interface EventSubscription {
  close: () => void
  ended: Promise<void>
}

/** Talks to one node's API with its token. */
export class ApiClient {
  readonly #base: string
  readonly #token: string

  constructor (baseUrl: string, token: string) {
    this.#base = baseUrl.replace(/\/$/, '')
    this.#token = token
  }

  async request<T> (method: string, path: string, body?: unknown, options: { signal?: AbortSignal } = {}): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` }
    if (payload !== undefined) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = String(Buffer.byteLength(payload))
    }
    let status: number
    let text: string
    try {
      const res = await this.#send(method, path, headers, payload, options.signal)
      status = res.statusCode ?? 0
      text = await readText(res)
    } catch (err) {
      throw new ShoalError('ERR_NODE_NOT_RUNNING', `cannot reach the node's API at ${this.#base}: ${(err as Error).message}`, {}, { cause: err })
    }
    let json: unknown
    try {
      json = text === '' ? {} : JSON.parse(text)
    } catch {
      throw new ShoalError('ERR_INTERNAL', `the node answered ${status} with non-JSON`)
    }
    if (status < 200 || status > 299) {
      const e = json as { code?: string, message?: string, error?: string }
      // Seed 000's refusal body has no `code` (README: the one exception to the error shape).
      if (e.code === undefined && e.error === 'distribution_required') e.code = 'ERR_DISTRIBUTION_REQUIRED'
      const code: ErrorCode = typeof e.code === 'string' && e.code in ERROR_CODES ? e.code as ErrorCode : 'ERR_INTERNAL'
      throw new ShoalError(code, e.message ?? `HTTP ${status}`, json as Record<string, unknown>)
    }
    return json as T
  }

  /**
   * Opens `GET /api/events` and calls `onEvent` with each event's name and
   * data (JSON text) as it arrives; resolves once the node accepted the
   * stream, so no event after that is missed. The stream ends with `close()`
   * or with the node.
   */
  async events (onEvent: (event: string, data: string) => void): Promise<EventSubscription> {
    const res = await this.#send('GET', '/api/events', { authorization: `Bearer ${this.#token}`, accept: 'text/event-stream' })
    if (res.statusCode !== 200) {
      res.resume()
      throw new ShoalError('ERR_INTERNAL', `the node answered ${String(res.statusCode)} to its event stream`)
    }
    res.setEncoding('utf8')
    let pending = ''
    res.on('data', (text: string) => {
      pending += text
      // Events end with a blank line; only their `event:` line matters here.
      for (let end; (end = pending.indexOf('\n\n')) >= 0;) {
        const block = pending.slice(0, end)
        pending = pending.slice(end + 2)
        const lines = block.split('\n')
        const name = lines.find(l => l.startsWith('event: '))
        const data = lines.find(l => l.startsWith('data: '))
        if (name != null) onEvent(name.slice('event: '.length), data?.slice('data: '.length) ?? 'null')
      }
    })
    const ended = new Promise<void>((resolve) => { res.once('close', resolve) })
    // The node stopping ends the stream: whoever follows sees it on its next request.
    res.on('error', () => {})
    return { close: () => { res.destroy() }, ended }
  }

  async #send (method: string, path: string, headers: Record<string, string>, payload?: string, signal?: AbortSignal): Promise<IncomingMessage> {
    return await new Promise((resolve, reject) => {
      const req = httpRequest(this.#base + path, { method, headers, signal }, resolve)
      req.once('error', reject)
      req.end(payload)
    })
  }
}

async function readText (res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8')
  let text = ''
  for await (const part of res) text += part as string
  return text
}
