/**
 * The dashboard's only way to the node: `/api` on the page's own origin, with
 * the token in the Authorization header (the stream, which cannot send
 * headers, takes it in its query). The token lives in sessionStorage: it
 * survives a reload of this tab, is never sent by the browser on its own (no
 * cookie, so another site cannot make a request carry it), and leaves the
 * address bar as soon as the page has read it.
 */

const TOKEN_KEY = 'shoal.token'

/** An error answer of the API, in its one shape. */
export class ApiError extends Error {
  constructor (readonly status: number, readonly body: Record<string, unknown>) {
    super(typeof body.message === 'string' ? body.message : `HTTP ${status}`)
  }

  get code (): string { return typeof this.body.error === 'string' ? this.body.error : '' }
}

/** Takes `?token=` out of the address bar (into sessionStorage) and returns the token to use, if any. */
export function adoptToken (): string | null {
  const url = new URL(location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl != null && fromUrl !== '') {
    sessionStorage.setItem(TOKEN_KEY, fromUrl)
    url.searchParams.delete('token')
    history.replaceState(history.state, '', url.pathname + url.search + url.hash)
  }
  return sessionStorage.getItem(TOKEN_KEY)
}

/** Keeps a token typed into the login form; accepts the whole dashboard address too. */
export function setToken (input: string): string {
  let token = input.trim()
  try {
    const fromUrl = new URL(token).searchParams.get('token')
    if (fromUrl != null) token = fromUrl
  } catch {
    // Not an address: the token itself.
  }
  sessionStorage.setItem(TOKEN_KEY, token)
  return token
}

export function clearToken (): void {
  sessionStorage.removeItem(TOKEN_KEY)
}

export function token (): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? ''
}

/** Calls the API; rejects with ApiError on an error answer. */
export async function api<T = any> (method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token()}` }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' })
  const text = await res.text()
  const json = text === '' ? {} : JSON.parse(text)
  if (!res.ok) throw new ApiError(res.status, json)
  return json as T
}

/** Like `api`, but a 404 (a route this node does not have yet) is `undefined`. */
export async function apiOptional<T = any> (path: string): Promise<T | undefined> {
  try {
    return await api<T>('GET', path)
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined
    throw err
  }
}

/** The event stream's address. */
export function eventsUrl (): string {
  return `/api/events?token=${encodeURIComponent(token())}`
}

/** Uploads files (multipart, fields `file`) with progress; resolves with the answer. */
export function upload (files: readonly File[], onProgress: (sent: number, total: number) => void, signal?: AbortSignal): Promise<UploadAnswer> {
  const form = new FormData()
  for (const f of files) form.append('file', f, f.name)
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', '/api/files/upload')
    xhr.setRequestHeader('authorization', `Bearer ${token()}`)
    xhr.responseType = 'text'
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total) }
    xhr.onload = () => {
      let body: any = {}
      try { body = JSON.parse(xhr.responseText) } catch { body = { message: xhr.responseText } }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as UploadAnswer)
      else reject(new ApiError(xhr.status, body))
    }
    xhr.onerror = () => { reject(new ApiError(0, { message: 'the node could not be reached' })) }
    xhr.onabort = () => { reject(new ApiError(0, { message: 'upload cancelled' })) }
    signal?.addEventListener('abort', () => { xhr.abort() }, { once: true })
    xhr.send(form)
  })
}

/** `POST /api/files/upload`'s answer (seed 000's shape). */
export interface UploadAnswer {
  success: true
  uploaded_count: number
  distributed_count: number
  results: Array<{ filename: string, size: number, distributed: boolean, chunks_count: number, distribution_summary: Record<string, number> }>
}
