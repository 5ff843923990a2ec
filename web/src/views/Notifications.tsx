/** Notifications: the list, and the toasts shown over every view. */
import { time } from '../format'
import { dismissToast, useStore } from '../store'

export function Notifications () {
  const s = useStore()
  return (
    <section aria-labelledby="notes-title">
      <h2 id="notes-title">Notifications</h2>
      {s.notes.length === 0
        ? <p class="empty">Nothing yet. Completed, failed and stalled downloads, banned peers, refused distributions and repairs show here.</p>
        : <ul class="notes">{s.notes.map(n => <li key={n.id} class={`note ${n.kind}`}><time>{time(n.at)}</time> <strong>{n.title}</strong>{n.body !== '' && <div class="muted">{n.body}</div>}</li>)}</ul>}
    </section>
  )
}

export function Toasts () {
  const s = useStore()
  return (
    <div class="toasts" role="status" aria-live="polite">
      {s.toasts.map(t => (
        <div key={t.id} class={`toast ${t.kind}`}>
          <div><strong>{t.title}</strong>{t.body !== '' && <div class="muted">{t.body}</div>}</div>
          <button class="icon" onClick={() => { dismissToast(t.id) }} aria-label="Dismiss">×</button>
        </div>
      ))}
    </div>
  )
}
