/** Node: peer ID, addresses, upload/download rate graph, storage used against the quota. */
import { bytes, rate } from '../format'
import { useStore } from '../store'
import { Sparkline } from './Sparkline'

export function NodeView () {
  const s = useStore()
  const last = s.rates[s.rates.length - 1]
  const storage = s.stats?.storage
  return (
    <section aria-labelledby="node-title">
      <h2 id="node-title">Node</h2>
      <dl class="facts">
        <dt>Peer ID</dt><dd><code data-testid="node-peer-id">{s.node?.peerId}</code></dd>
        <dt>Addresses</dt><dd>{s.node?.addrs.map(a => <div key={a}><code>{a}</code></div>)}</dd>
        <dt>Data dir</dt><dd><code>{s.node?.dataDir}</code></dd>
      </dl>
      <div class="panel">
        <h3>Transfer rates</h3>
        <p><span class="key up" /> up {rate(last?.up ?? 0)} · <span class="key down" /> down {rate(last?.down ?? 0)}</p>
        <Sparkline width={600} height={80} series={[{ values: s.rates.map(r => r.up), colour: 'var(--up)', label: 'up' }, { values: s.rates.map(r => r.down), colour: 'var(--down)', label: 'down' }]} label="Upload and download rates, last 3 minutes" />
      </div>
      {storage != null && (
        <div class="panel">
          <h3>Storage</h3>
          <p>{bytes(storage.usedBytes)} of files held · quota for chunks pushed by peers {bytes(storage.quotaBytes)}</p>
          <progress max={Math.max(1, storage.quotaBytes)} value={Math.min(storage.usedBytes, storage.quotaBytes)} aria-label="Storage used against the quota" />
        </div>
      )}
    </section>
  )
}
