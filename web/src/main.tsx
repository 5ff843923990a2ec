/**
 * The dashboard: a login when there is no token, else the views, one per
 * `#/route` so a reload keeps the view. Everything it shows comes from `/api`
 * and the event stream.
 */
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { adoptToken, api, ApiError, setToken } from './api'
import { connect, logout } from './live'
import { changed, peerName, state, useStore } from './store'
import { Files } from './views/Files'
import { Downloads } from './views/Downloads'
import { Distribution } from './views/Distribution'
import { Peers } from './views/Peers'
import { NodeView } from './views/NodeView'
import { Notifications, Toasts } from './views/Notifications'
import './style.css'

const VIEWS = [
  { path: 'files', title: 'Files' },
  { path: 'downloads', title: 'Downloads' },
  { path: 'distribution', title: 'Distribution' },
  { path: 'peers', title: 'Peers' },
  { path: 'node', title: 'Node' },
  { path: 'notifications', title: 'Notifications' }
] as const

function route (): { view: string, arg?: string } {
  const [view = 'files', arg] = location.hash.replace(/^#\/?/, '').split('/')
  return { view: VIEWS.some(v => v.path === view) ? view : 'files', arg: arg === '' ? undefined : arg }
}

function useRoute (): { view: string, arg?: string } {
  const [r, setR] = useState(route())
  useEffect(() => {
    const on = (): void => { setR(route()) }
    window.addEventListener('hashchange', on)
    return () => { window.removeEventListener('hashchange', on) }
  }, [])
  return r
}

function App () {
  const s = useStore()
  const r = useRoute()
  useEffect(() => { document.title = `Shoal · ${VIEWS.find(v => v.path === r.view)?.title ?? ''}` }, [r.view])
  if (!s.authed) return <Login />
  const unread = s.notes.length
  return (
    <div class="app">
      <header class="top">
        <h1><a href="#/files">Shoal</a></h1>
        <span class="node-id" title={s.node?.peerId}>{s.node != null ? <>node <strong class="node-name" data-testid="node-name">{peerName(s.node.peerId)}</strong> <code data-testid="peer-id">{s.node.peerId}</code></> : 'connecting…'}</span>
        <span class={`status ${s.online ? 'on' : 'off'}`} role="status" data-testid="connection">{s.online ? 'live' : s.synced ? 'node offline — reconnecting…' : 'connecting…'}</span>
        <button class="small secondary" onClick={logout}>Log out</button>
      </header>
      <nav aria-label="Views">
        {VIEWS.map(v => (
          <a key={v.path} href={`#/${v.path}`} aria-current={r.view === v.path ? 'page' : undefined}>
            {v.title}{v.path === 'notifications' && unread > 0 ? <span class="count" aria-label={`${unread} notifications`}>{unread}</span> : null}
          </a>
        ))}
      </nav>
      {!s.online && s.synced && <div class="offline" role="alert">The node is offline. What you see is from before; this page reconnects by itself.</div>}
      <main>
        {r.view === 'files' && <Files />}
        {r.view === 'downloads' && <Downloads open={r.arg} />}
        {r.view === 'distribution' && <Distribution fileId={r.arg} />}
        {r.view === 'peers' && <Peers />}
        {r.view === 'node' && <NodeView />}
        {r.view === 'notifications' && <Notifications />}
      </main>
      <Toasts />
    </div>
  )
}

function Login () {
  const [value, setValue] = useState('')
  const [error, setError] = useState('')
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault()
    setToken(value)
    try {
      await api('GET', '/api/node')
      start()
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'That token is not this node\'s.' : 'The node could not be reached.')
    }
  }
  return (
    <main class="login">
      <h1>Shoal</h1>
      <p>This dashboard needs the node's token.</p>
      <p class="muted">Run <code>shoal dashboard</code> on the node's machine and open the address it prints, or paste it (or the token from <code>api.token</code> in the data dir) here.</p>
      <form onSubmit={(e) => { void submit(e) }}>
        <label for="token">Dashboard address or token</label>
        <input id="token" type="password" autoComplete="off" value={value} onInput={(e) => { setValue((e.target as HTMLInputElement).value) }} />
        <button type="submit">Open</button>
      </form>
      {error !== '' && <p class="error" role="alert">{error}</p>}
    </main>
  )
}

function start (): void {
  state.authed = true
  changed()
  connect()
}

if (adoptToken() != null) start()
render(<App />, document.getElementById('app') as HTMLElement)
