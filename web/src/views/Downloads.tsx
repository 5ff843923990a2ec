/**
 * Downloads: start one from a link or ID; each download with its state
 * (naming the missing peers when stalled), speed graph, ETA, per-peer bytes
 * and rates, cancel/resume, and — opened — the grid of its chunks coloured
 * by state and source peer, with a legend.
 */
import { useEffect, useState } from 'preact/hooks'
import { api, ApiError } from '../api'
import { css, isDark, peerRgb } from '../colours'
import { bytes, duration, rate } from '../format'
import { chunkMapOf, notify, peerName, state as store, useStore } from '../store'
import type { Job } from '../types'
import { ChunkGrid } from './ChunkGrid'
import { Sparkline } from './Sparkline'

const ACTIVE = new Set(['running', 'stalled'])

export function Downloads ({ open }: { open?: string }) {
  const s = useStore()
  const [target, setTarget] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')
  const jobs = [...s.jobs.values()].sort((a, b) => Number(ACTIVE.has(b.state)) - Number(ACTIVE.has(a.state)))

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    const value = target.trim()
    if (value === '') return
    setBusy(true)
    setError('')
    try {
      const job = await api<Job>('POST', '/api/downloads', { target: value })
      setTarget('')
      location.hash = `#/downloads/${job.id}`
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section aria-labelledby="downloads-title">
      <h2 id="downloads-title">Downloads</h2>
      <form class="row start-form" onSubmit={(e) => { void submit(e) }}>
        <label class="sr-only" for="target">Share link or file ID</label>
        <input id="target" name="target" placeholder="Paste a shoal:// link or a file ID" value={target} onInput={(e) => { setTarget((e.target as HTMLInputElement).value) }} autoComplete="off" spellcheck={false} />
        <button type="submit" disabled={busy}>{busy ? 'Starting…' : 'Download'}</button>
      </form>
      {error !== '' && <p class="error" role="alert">{error}</p>}
      {jobs.length === 0
        ? <p class="empty">No downloads. Paste a link above.</p>
        : jobs.map(job => <DownloadCard key={job.id} job={job} open={open === job.id} />)}
    </section>
  )
}

function DownloadCard ({ job, open }: { job: Job, open: boolean }) {
  const speeds = store.speeds.get(job.id) ?? []
  const pct = job.size === 0 ? 100 : Math.floor(100 * job.bytesDone / job.size)
  const active = ACTIVE.has(job.state)
  const canResume = job.state === 'cancelled' || job.state === 'paused' || job.state === 'failed'

  const cancel = async (): Promise<void> => {
    try {
      await api('DELETE', `/api/downloads/${encodeURIComponent(job.id)}`)
    } catch (err) {
      notify('error', `Could not cancel ${job.name}`, err instanceof Error ? err.message : String(err))
    }
  }
  const resume = async (): Promise<void> => {
    try {
      const next = await api<Job>('POST', '/api/downloads', { target: job.fileId, output: job.dest })
      if (next.id !== job.id) location.hash = `#/downloads/${next.id}`
    } catch (err) {
      notify('error', `Could not resume ${job.name}`, err instanceof ApiError ? err.message : String(err))
    }
  }

  return (
    <article class={`panel job state-${job.state}`} data-job-id={job.id} aria-label={`Download ${job.name}`}>
      <header class="row between">
        <a class="job-name" href={open ? '#/downloads' : `#/downloads/${job.id}`} aria-expanded={open}>{job.name || job.fileId}</a>
        <span class={`badge ${job.state}`} data-testid="job-state">{job.state}</span>
      </header>
      <progress max={100} value={pct} aria-label={`${job.name}: ${pct}% downloaded`} />
      <div class="row between wrap stats">
        <span>{bytes(job.bytesDone)} / {bytes(job.size)} · {job.chunksDone}/{job.chunkCount} chunks</span>
        {active && <span>{rate(job.speed)} · ETA {duration(job.etaSeconds)}</span>}
        {active && <Sparkline series={[{ values: speeds, colour: 'var(--accent)', label: 'speed' }]} label={`Speed of ${job.name}, last ${speeds.length} samples`} />}
      </div>
      {job.state === 'stalled' && (
        <p class="warn" data-testid="stalled">
          Stalled: {job.missingPeers.length > 0 ? <>waiting for {job.missingPeers.map(p => <code key={p} title={p}>{peerName(p)}</code>)} to come back</> : <>no peer is sending</>}
        </p>
      )}
      {job.error != null && job.state !== 'cancelled' && <p class="error">{job.error}</p>}
      <div class="row">
        {active && <button class="small secondary" onClick={() => { void cancel() }} aria-label={`Cancel ${job.name}`}>Cancel</button>}
        {canResume && <button class="small" onClick={() => { void resume() }} aria-label={`Resume ${job.name}`}>Resume</button>}
        <span class="muted dest" title={job.dest}>→ {job.dest}</span>
      </div>
      {open && <JobDetail job={job} />}
    </article>
  )
}

function JobDetail ({ job }: { job: Job }) {
  const map = chunkMapOf(job)
  const [, setLoaded] = useState(map.loaded)
  useEffect(() => {
    if (map.loaded) return
    if (job.state === 'completed') { map.completeAll(); setLoaded(true); return }
    api<{ chunksStatus: Record<string, { status: string, peerId?: string, progress?: number }> }>('GET', `/api/downloads/${encodeURIComponent(job.id)}/chunks`)
      .then((r) => { map.applyReport(r.chunksStatus); setLoaded(true) }, (err: unknown) => { notify('error', 'Could not read the chunk states', err instanceof Error ? err.message : String(err)) })
  }, [map, map.loaded])
  const dark = isDark()
  const contributions = new Map(job.peers.map(p => [p.peerId, p]))
  const peers = [...new Set([...map.peers, ...job.peers.map(p => p.peerId)])]
  const counts = map.counts()
  return (
    <div class="detail">
      <ChunkGrid map={map} label={`Chunks of ${job.name}: ${counts.completed} of ${map.count} completed, ${counts.downloading} downloading, ${counts.failed} failed`} />
      <ul class="legend" aria-label="Chunk colours">
        <li><span class="swatch pending" />pending</li>
        <li><span class="swatch partial" />downloading (fills up)</li>
        <li><span class="swatch failed" />failed</li>
      </ul>
      <div class="table-wrap">
        <table class="peers-of-job" aria-label={`Sources of ${job.name}`}>
          <thead><tr><th scope="col">Source</th><th scope="col">Bytes</th><th scope="col">Rate</th><th scope="col">State</th></tr></thead>
          <tbody>
            {peers.map(id => {
              const c = contributions.get(id)
              const i = map.peers.indexOf(id)
              return (
                <tr key={id} data-peer={id}>
                  <td><span class="swatch" style={{ background: css(peerRgb(i, dark)) }} aria-hidden="true" /><code title={id}>{peerName(id)}</code></td>
                  <td>{bytes(c?.bytes ?? 0)}</td>
                  <td>{rate(c?.rate ?? 0)}</td>
                  <td>{job.missingPeers.includes(id) ? 'missing' : c?.state ?? '—'}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    </div>
  )
}
