/**
 * The event stream: the dashboard's only source of updates (no polling). On
 * every (re)connection the page reads the node's state once, then follows
 * events. Events are queued and applied once per animation frame; each
 * application, with the grid drawing and the re-render it causes, is
 * measured as the User Timing entry `shoal:update`.
 */
import { api, apiOptional, ApiError, clearToken, eventsUrl } from './api'
import { applyChunks, applyStats, changed, chunkMaps, notify, peerName, state, updateJob, whenJobCompletes } from './store'
import type { ChunkBatch, Distribution, FileRow, Job, NodeInfo, NodeStats } from './types'

/** First wait before reconnecting after the node went away, doubled up to RECONNECT_MAX_MS. */
const RECONNECT_MIN_MS = 500
const RECONNECT_MAX_MS = 5_000
/** User Timing entries kept (the browser test reads them). */
const MAX_MEASURES = 5_000

type Queued = { event: string, data: any }

let source: EventSource | null = null
let retryMs = RECONNECT_MIN_MS
let retryTimer: ReturnType<typeof setTimeout> | undefined
let queue: Queued[] = []
let frame = false
let measures = 0

whenJobCompletes(() => { void refreshFiles() })

const EVENTS = [
  'file:added', 'file:removed', 'file:changed', 'download:started', 'download:progress', 'download:state', 'download:chunks', 'node:stats',
  // Distribution (src/node/distribution.ts's events, forwarded by src/api/events.ts).
  'distribution:done', 'distribution:refused', 'repair:started', 'repair:done'
]

/** Opens the stream (again); idempotent. */
export function connect (): void {
  if (source != null) return
  clearTimeout(retryTimer)
  const es = new EventSource(eventsUrl())
  source = es
  es.onopen = () => {
    retryMs = RECONNECT_MIN_MS
    void sync()
  }
  es.onerror = () => {
    if (state.online) {
      state.online = false
      changed()
    }
    // A stream answered with an error status is over for good; a refused
    // connection is retried by the browser, but on our own schedule is simpler.
    es.close()
    // Never connected: maybe the token is wrong (a stream cannot say 401); ask once.
    if (!state.synced) void probe()
    source = null
    retryTimer = setTimeout(connect, retryMs)
    retryMs = Math.min(RECONNECT_MAX_MS, retryMs * 2)
  }
  for (const name of EVENTS) {
    es.addEventListener(name, (e) => {
      queue.push({ event: name, data: JSON.parse((e as MessageEvent<string>).data) })
      schedule()
    })
  }
}

/** Logs out when the node refuses the token; anything else is left to the reconnection. */
async function probe (): Promise<void> {
  try {
    await api('GET', '/api/node')
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) logout()
  }
}

export function disconnect (): void {
  clearTimeout(retryTimer)
  source?.close()
  source = null
}

function schedule (): void {
  if (frame) return
  frame = true
  // A hidden tab gets no animation frames; a timer still applies the events.
  if (document.hidden) setTimeout(flush, 100)
  else requestAnimationFrame(flush)
}

/** Applies every queued event, then measures until the re-render and layout are done. */
function flush (): void {
  frame = false
  const batch = queue
  queue = []
  if (batch.length === 0) return
  const start = performance.now()
  for (const { event, data } of batch) apply(event, data)
  changed()
  // Views re-render in the microtask `changed()` queued; this one runs after it.
  queueMicrotask(() => {
    void document.body.offsetHeight // the layout this update causes, counted too
    if (measures++ < MAX_MEASURES) performance.measure('shoal:update', { start, end: performance.now(), detail: { events: batch.length, kinds: [...new Set(batch.map(q => q.event))] } })
  })
}

function apply (event: string, data: any): void {
  switch (event) {
    case 'file:added':
      if (!state.files.some(f => f.id === data.id)) state.files = [...state.files, { ...data, paths: [] }]
      void refreshFiles()
      break
    case 'file:removed':
      state.files = state.files.filter(f => f.id !== data.id)
      break
    case 'file:changed':
      notify('warning', 'A shared file changed on disk', `${data.path ?? data.id ?? ''} is no longer shared`)
      void refreshFiles()
      break
    case 'download:started':
    case 'download:progress':
    case 'download:state':
      updateJob(data as Job)
      break
    case 'download:chunks':
      applyChunks(data as ChunkBatch)
      break
    case 'node:stats':
      applyStats(data as NodeStats)
      break
    case 'distribution:done':
      notify('success', `Distributed: ${fileName(data.id)}`, `${Object.keys(data.holders ?? {}).length} holders, ${String(data.replicas)} replicas`)
      void loadDistribution(data.id)
      break
    case 'distribution:refused':
      notify('error', `Distribution refused: ${fileName(data.id)}`, `${String(data.message)} (peers available: ${String(data.availablePeers)})`)
      break
    case 'repair:started':
      state.repairs.set(data.id, data.departed ?? [])
      notify('warning', `Repairing ${fileName(data.id)}`, `holder${(data.departed ?? []).length === 1 ? '' : 's'} gone: ${(data.departed as string[] ?? []).map(peerName).join(', ')}`)
      break
    case 'repair:done':
      state.repairs.delete(data.id)
      notify(data.failed > 0 ? 'warning' : 'success', `Repaired ${fileName(data.id)}`, `${String(data.copies)} copies made${data.failed > 0 ? `, ${String(data.failed)} failed` : ''}`)
      void loadDistribution(data.id)
      break
  }
}

/** Reads the node's state once (at each connection): node, files, downloads. */
async function sync (): Promise<void> {
  try {
    const [node, files, downloads] = await Promise.all([
      api<NodeInfo>('GET', '/api/node'),
      api<{ files: FileRow[] }>('GET', '/api/files'),
      api<{ downloads: Job[] }>('GET', '/api/downloads')
    ])
    state.node = node
    state.files = files.files
    for (const job of downloads.downloads) updateJob(job)
    // Chunk states may have moved while we were away: grids read them again.
    for (const map of chunkMaps.values()) map.loaded = false
    state.online = true
    state.synced = true
    changed()
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      logout()
      return
    }
    state.online = false
    changed()
  }
}

/** A file's name when the node lists it, else its ID. */
function fileName (id: string): string {
  return state.files.find(f => f.id === id)?.name ?? id
}

/** Reads a file's distribution map into the state (null: the node keeps no record of it). */
export async function loadDistribution (id: string): Promise<void> {
  if (state.node?.features?.distribution !== true) return
  try {
    state.distributions.set(id, await apiOptional<Distribution>(`/api/files/${encodeURIComponent(id)}/distribution`) ?? null)
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) logout()
    else notify('error', 'Could not read the distribution map', err instanceof Error ? err.message : String(err))
  }
  changed()
}

/** `GET /api/files` again: the listing has paths and links the event lacks. */
export async function refreshFiles (): Promise<void> {
  try {
    const files = await api<{ files: FileRow[] }>('GET', '/api/files')
    state.files = files.files
    changed()
  } catch (err) {
    // The stream notices an offline node by itself; this only misses one refresh.
    if (err instanceof ApiError && err.status === 401) logout()
  }
}

export function logout (): void {
  disconnect()
  clearToken()
  state.authed = false
  state.node = null
  state.files = []
  state.jobs.clear()
  changed()
}
