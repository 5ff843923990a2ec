/**
 * The page's state: what the node told us, kept up to date by the event
 * stream (live.ts). Views read it through `useStore()` and re-render once per
 * batch of events.
 */
import { useEffect, useState } from 'preact/hooks'
import { ChunkMap } from './chunks'
import type { ChunkBatch, Distribution, FileRow, Job, NodeInfo, NodeStats, Note, NoteKind, PeerView } from './types'

/** Samples kept for the speed and rate graphs. */
export const HISTORY_SAMPLES = 60
/** How long a toast stays, in ms. */
export const TOAST_MS = 6_000
/** Notifications kept in the list. */
const MAX_NOTES = 200

export interface RatePoint { at: number, up: number, down: number }

export interface State {
  authed: boolean
  /** The event stream is connected. */
  online: boolean
  /** Set once the first sync finished (before: "connecting"). */
  synced: boolean
  node: NodeInfo | null
  files: FileRow[]
  jobs: Map<string, Job>
  /** Speed samples per job, newest last. */
  speeds: Map<string, number[]>
  stats: NodeStats | null
  /** Upload/download rates of the node, from successive stats. */
  rates: RatePoint[]
  /** Per-peer rates from successive stats. */
  peerRates: Map<string, { up: number, down: number }>
  notes: Note[]
  toasts: Note[]
  distributions: Map<string, Distribution | null>
  /** Files being repaired now, with the holders that left (from `repair:started` until `repair:done`). */
  repairs: Map<string, string[]>
}

export const state: State = {
  authed: false,
  online: false,
  synced: false,
  node: null,
  files: [],
  jobs: new Map(),
  speeds: new Map(),
  stats: null,
  rates: [],
  peerRates: new Map(),
  notes: [],
  toasts: [],
  distributions: new Map(),
  repairs: new Map()
}

export const chunkMaps = new Map<string, ChunkMap>()

const listeners = new Set<() => void>()
let scheduled = false

/** Tells views the state changed; they re-render once, whatever the number of changes. */
export function changed (): void {
  if (scheduled) return
  scheduled = true
  queueMicrotask(() => {
    scheduled = false
    for (const fn of listeners) fn()
  })
}

/** Re-renders the calling component whenever the state changes. */
export function useStore (): State {
  const [, setTick] = useState(0)
  useEffect(() => {
    const fn = (): void => { setTick(t => t + 1) }
    listeners.add(fn)
    return () => { listeners.delete(fn) }
  }, [])
  return state
}

/** The chunk map of a job, made on first use. */
export function chunkMapOf (job: Job): ChunkMap {
  let map = chunkMaps.get(job.id)
  if (map == null || map.count !== job.chunkCount) {
    map = new ChunkMap(job.chunkCount)
    chunkMaps.set(job.id, map)
  }
  return map
}

let noteId = 0
/** Adds a notification to the list and shows it as a toast. */
export function notify (kind: NoteKind, title: string, body = ''): void {
  const note: Note = { id: ++noteId, at: Date.now(), kind, title, body }
  state.notes = [note, ...state.notes].slice(0, MAX_NOTES)
  state.toasts = [...state.toasts, note]
  setTimeout(() => { dismissToast(note.id) }, TOAST_MS)
  changed()
}

export function dismissToast (id: number): void {
  state.toasts = state.toasts.filter(t => t.id !== id)
  changed()
}

/** Called when a download completes (live.ts refreshes the file listing). */
let onJobCompleted: (() => void) | undefined
export function whenJobCompletes (fn: () => void): void { onJobCompleted = fn }

/** A job's new snapshot: notes what changed for the user (completed, failed, stalled, a banned peer). */
export function updateJob (job: Job): void {
  const before = state.jobs.get(job.id)
  state.jobs.set(job.id, job)
  const speeds = state.speeds.get(job.id) ?? []
  if (job.state === 'running' || job.state === 'stalled') {
    speeds.push(job.speed)
    if (speeds.length > HISTORY_SAMPLES) speeds.shift()
  }
  state.speeds.set(job.id, speeds)
  if (before != null && before.state !== job.state) {
    if (job.state === 'completed') {
      notify('success', `Download complete: ${job.name}`, job.dest)
      // The file is now one the node holds: the listing has it (downloads send no file:added).
      onJobCompleted?.()
    }
    else if (job.state === 'failed') notify('error', `Download failed: ${job.name}`, job.error ?? '')
    else if (job.state === 'stalled') notify('warning', `Download stalled: ${job.name}`, job.missingPeers.length > 0 ? `waiting for ${job.missingPeers.map(peerName).join(', ')}` : 'no peer is sending')
  }
  for (const p of job.bannedPeers) {
    if (before != null && !before.bannedPeers.includes(p)) notify('error', `Peer banned: ${peerName(p)}`, `it sent corrupt data for ${job.name}`)
  }
  if (job.state === 'completed') {
    const map = chunkMaps.get(job.id)
    if (map != null && map.counts().completed < map.count) map.completeAll()
  }
  changed()
}

export function applyChunks (batch: ChunkBatch): void {
  const job = state.jobs.get(batch.id)
  if (job == null) return
  const map = chunkMapOf(job)
  map.notify(map.applyBatch(batch.peers, batch.chunks))
}

export function applyStats (stats: NodeStats): void {
  const prev = state.stats
  if (prev != null && stats.at > prev.at) {
    const secs = (stats.at - prev.at) / 1000
    state.rates.push({ at: stats.at, up: Math.max(0, (stats.bytesUp - prev.bytesUp) / secs), down: Math.max(stats.downloadRate, (stats.bytesDown - prev.bytesDown) / secs) })
    if (state.rates.length > HISTORY_SAMPLES) state.rates.shift()
    const before = new Map(prev.peers.map(p => [p.peerId, p]))
    state.peerRates = new Map(stats.peers.map((p: PeerView) => {
      const b = before.get(p.peerId)
      return [p.peerId, { up: b == null ? 0 : Math.max(0, (p.bytesUp - b.bytesUp) / secs), down: b == null ? 0 : Math.max(0, (p.bytesDown - b.bytesDown) / secs) }]
    }))
  }
  state.stats = stats
  changed()
}

/** Characters of a peer ID that name it (its end: the start is the same `12D3KooW` for every Ed25519 key). */
export const PEER_NAME_CHARS = 6

/**
 * A peer's short name, the same in every view: the last PEER_NAME_CHARS
 * characters of its ID (`…a1b2c3`); the full ID goes in a title beside it.
 */
export function peerName (id: string): string {
  if (id === 'local') return 'this node (local copy)'
  return id.length > PEER_NAME_CHARS ? `…${id.slice(-PEER_NAME_CHARS)}` : id
}
