/** Peers: connected and known, how each was found, addresses, latency, up/down rates and totals. */
import { bytes, rate } from '../format'
import { peerName, useStore } from '../store'

export function Peers () {
  const s = useStore()
  const peers = [...(s.stats?.peers ?? [])].sort((a, b) => Number(b.connected) - Number(a.connected) || a.peerId.localeCompare(b.peerId))
  return (
    <section aria-labelledby="peers-title">
      <h2 id="peers-title">Peers <span class="muted">{peers.filter(p => p.connected).length} connected · {peers.length} known</span></h2>
      {s.stats == null
        ? <p class="empty">Waiting for the node…</p>
        : peers.length === 0
          ? <p class="empty">No peers yet.</p>
          : (
            <div class="table-wrap">
              <table class="peers">
                <thead><tr><th scope="col">Peer</th><th scope="col">Status</th><th scope="col">Found by</th><th scope="col">Addresses</th><th scope="col">Latency</th><th scope="col">Up</th><th scope="col">Down</th></tr></thead>
                <tbody>
                  {peers.map(p => {
                    const r = s.peerRates.get(p.peerId)
                    return (
                      <tr key={p.peerId} data-peer={p.peerId}>
                        <td><strong class="peer-name">{peerName(p.peerId)}</strong> <code class="peer-id">{p.peerId}</code></td>
                        <td><span class={`badge ${p.connected ? 'completed' : 'cancelled'}`}>{p.connected ? 'connected' : 'known'}</span></td>
                        <td>{p.via.length > 0 ? p.via.join(', ') : 'dialled us'}</td>
                        <td class="addrs">{p.addrs.map(a => <div key={a}><code>{a}</code></div>)}</td>
                        <td>{p.latencyMs == null ? '—' : `${Math.round(p.latencyMs)} ms`}</td>
                        <td>{rate(r?.up ?? 0)}<div class="muted">{bytes(p.bytesUp)}</div></td>
                        <td>{rate(r?.down ?? 0)}<div class="muted">{bytes(p.bytesDown)}</div></td>
                      </tr>
                    )
                  })}
                </tbody>
              </table>
            </div>
            )}
    </section>
  )
}
