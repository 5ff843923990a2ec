/**
 * Files: everything the node shares or holds, with its link (and a copy
 * button), upload by drag and drop or the picker with a progress bar, the
 * distribution a big upload will get before it starts, and the node's
 * `distribution_required` refusal when it cannot.
 */
import { useRef, useState } from 'preact/hooks'
import { api, ApiError, upload, type UploadAnswer } from '../api'
import { bytes } from '../format'
import { refreshFiles } from '../live'
import { DEFAULT_SETTINGS, previewUpload } from '../preview'
import { notify, peerName, useStore } from '../store'
import type { FileRow } from '../types'


interface Refusal { message: string, fileSizeGb?: number, availablePeers?: number }

type Upload = { files: File[], sent: number, total: number, done: boolean, answer?: UploadAnswer, refusal?: Refusal, error?: string }

export function Files () {
  const s = useStore()
  const [drag, setDrag] = useState(false)
  const [pending, setPending] = useState<File[] | null>(null)
  const [current, setCurrent] = useState<Upload | null>(null)
  const picker = useRef<HTMLInputElement>(null)
  const connected = (s.stats?.peers ?? []).filter(p => p.connected)
  const settings = s.node?.distribution ?? DEFAULT_SETTINGS

  const start = (files: File[]): void => {
    setPending(null)
    const up: Upload = { files, sent: 0, total: files.reduce((n, f) => n + f.size, 0), done: false }
    setCurrent(up)
    upload(files, (sent, total) => { setCurrent({ ...up, sent, total }) }).then((answer) => {
      setCurrent({ ...up, sent: up.total, done: true, answer })
      notify('success', `Uploaded ${answer.uploaded_count} file${answer.uploaded_count === 1 ? '' : 's'}`, answer.results.map(r => r.filename).join(', '))
      void refreshFiles()
    }, (err: unknown) => {
      const body = err instanceof ApiError ? err.body : {}
      if (err instanceof ApiError && err.code === 'distribution_required') {
        const refusal: Refusal = { message: err.message, fileSizeGb: body.file_size_gb as number, availablePeers: body.available_peers as number }
        setCurrent({ ...up, done: true, refusal })
        notify('error', 'Distribution refused', err.message)
      } else {
        setCurrent({ ...up, done: true, error: err instanceof Error ? err.message : String(err) })
        notify('error', 'Upload failed', err instanceof Error ? err.message : String(err))
      }
    })
  }

  const offer = (list: FileList | null | undefined): void => {
    const files = [...(list ?? [])]
    if (files.length === 0) return
    // Files that will be distributed wait for a confirmation; the rest go at once.
    if (files.some(f => f.size >= settings.minFileSizeBytes)) setPending(files)
    else start(files)
  }

  const remove = async (f: FileRow): Promise<void> => {
    if (!confirm(`Stop sharing ${f.name}? The file on disk stays.`)) return
    try {
      await api('DELETE', `/api/files/${encodeURIComponent(f.id)}`)
      notify('info', `Removed ${f.name}`)
    } catch (err) {
      notify('error', `Could not remove ${f.name}`, err instanceof Error ? err.message : String(err))
    }
  }

  return (
    <section aria-labelledby="files-title">
      <h2 id="files-title">Files</h2>
      <div
        class={`drop ${drag ? 'drag' : ''}`}
        data-testid="dropzone"
        role="button"
        tabIndex={0}
        aria-label="Upload files: drop them here, or press Enter to choose"
        onDragOver={(e) => { e.preventDefault(); setDrag(true) }}
        onDragLeave={() => { setDrag(false) }}
        onDrop={(e) => { e.preventDefault(); setDrag(false); offer(e.dataTransfer?.files) }}
        onKeyDown={(e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); picker.current?.click() } }}
        onClick={() => picker.current?.click()}
      >
        <strong>Drop files here to share them</strong>
        <span>or click to choose · kept in the node's uploads folder</span>
        <input ref={picker} type="file" multiple hidden aria-label="Choose files to upload" data-testid="picker" onChange={(e) => { offer((e.target as HTMLInputElement).files); (e.target as HTMLInputElement).value = '' }} />
      </div>

      {pending != null && <Preview files={pending} peers={connected.map(p => p.peerId)} onStart={() => { start(pending) }} onCancel={() => { setPending(null) }} />}

      {current != null && (
        <div class="panel upload" aria-live="polite">
          <div class="row between">
            <span>{current.done ? (current.answer != null ? 'Uploaded' : 'Upload stopped') : 'Uploading'} {current.files.map(f => f.name).join(', ')}</span>
            <span>{bytes(current.sent)} / {bytes(current.total)}</span>
          </div>
          <progress max={Math.max(1, current.total)} value={current.sent} aria-label="Upload progress" />
          {current.answer != null && current.answer.results.map(r => (
            <p key={r.filename} class="muted">{r.filename}: {r.chunks_count} chunks{r.distributed ? `, distributed to ${Object.keys(r.distribution_summary).length} peers` : ', kept on this node'}</p>
          ))}
          {current.refusal != null && (
            <div class="refusal" role="alert" data-testid="refusal">
              <strong>Distribution required, and not possible now.</strong>
              <p>{current.refusal.message}</p>
              {current.refusal.fileSizeGb != null && <p>File size: {current.refusal.fileSizeGb} GB · peers available: {current.refusal.availablePeers}</p>}
              <p class="muted">Nothing was kept. Connect more peers and try again.</p>
            </div>
          )}
          {current.error != null && <p class="error" role="alert">{current.error}</p>}
        </div>
      )}

      {s.files.length === 0
        ? <p class="empty">No files yet. Drop one above, or run <code>shoal share PATH</code>.</p>
        : (
          <div class="table-wrap">
            <table class="files">
              <thead><tr><th scope="col">Name</th><th scope="col">Size</th><th scope="col">Chunks</th><th scope="col">Copies</th><th scope="col">Link</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {s.files.map(f => <FileLine key={f.id} f={f} copies={copiesOf(f, s.distributions.get(f.id))} onRemove={() => { void remove(f) }} />)}
              </tbody>
            </table>
          </div>
          )}
    </section>
  )
}

/** Copies: distinct holders from the distribution map when there is one, else this node's own copies. */
function copiesOf (f: FileRow, dist: { holders: Record<string, number> } | null | undefined): string {
  if (dist != null) return String(Object.keys(dist.holders).length)
  return f.paths.length > 0 ? `${f.paths.length} here` : 'partial'
}

function FileLine ({ f, copies, onRemove }: { f: FileRow, copies: string, onRemove: () => void }) {
  const [copied, setCopied] = useState(false)
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(f.link)
    } catch {
      // No clipboard (an insecure context or a denied permission): select the link for a manual copy.
      const input = document.getElementById(`link-${f.id}`) as HTMLInputElement | null
      input?.select()
    }
    setCopied(true)
    setTimeout(() => { setCopied(false) }, 1500)
  }
  return (
    <tr data-file-id={f.id}>
      <td class="name" title={f.paths[0] ?? f.name}>{f.name}</td>
      <td>{bytes(f.size)}</td>
      <td>{f.chunks}</td>
      <td>{copies}</td>
      <td class="link">
        <input id={`link-${f.id}`} class="link-input" readOnly value={f.link} aria-label={`Share link of ${f.name}`} onFocus={(e) => { (e.target as HTMLInputElement).select() }} />
        <button class="small" onClick={() => { void copy() }} aria-label={`Copy the link of ${f.name}`}>{copied ? 'Copied' : 'Copy'}</button>
      </td>
      <td class="actions">
        <a class="button small secondary" href={`#/distribution/${f.id}`} aria-label={`Distribution map of ${f.name}`}>Map</a>
        <button class="small danger" onClick={onRemove} aria-label={`Remove ${f.name}`}>Remove</button>
      </td>
    </tr>
  )
}

/** The distribution an upload will get, from the node's settings, shown before it starts. */
function Preview ({ files, peers, onStart, onCancel }: { files: File[], peers: string[], onStart: () => void, onCancel: () => void }) {
  const s = useStore()
  const settings = s.node?.distribution ?? DEFAULT_SETTINGS
  const plan = previewUpload(files, settings, peers.length)
  const local = settings.strategy === 'round-robin'
  return (
    <div class="panel preview" role="dialog" aria-label="Distribution preview" data-testid="preview">
      <h3>Distribution preview</h3>
      {plan.files.map(f => (
        <p key={f.name}>
          <strong>{f.name}</strong> ({bytes(f.size)}) {f.distributed
            ? <>will be distributed: {f.chunks} chunks × {f.replicas} replicas ({settings.strategy}) over {plan.holders} peers{local ? ' (this node included)' : ''}, about {f.perPeer} chunks each{peers.length > 0 ? <> — to {peers.slice(0, 6).map(peerName).join(', ')}{peers.length > 6 ? '…' : ''}{local ? ' and this node' : ''}</> : null}.</>
            : <>stays on this node ({f.chunks} chunks).</>}
        </p>
      ))}
      {plan.refused && <p class="warn" data-testid="preview-refusal">Only {peers.length} other peer{peers.length === 1 ? ' is' : 's are'} online: the node needs {Math.max(settings.minPeers, settings.replicas - (local ? 1 : 0))} and will refuse to distribute.</p>}
      <div class="row">
        <button onClick={onStart}>Upload and distribute</button>
        <button class="secondary" onClick={onCancel}>Cancel</button>
      </div>
    </div>
  )
}
