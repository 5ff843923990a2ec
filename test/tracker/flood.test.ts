/**
 * A real `shoal tracker` under a flood of validly signed fake peers, each
 * announcing 1,000 random file IDs, from one address and from four namespace
 * hosts at once: its RSS stays within 256 MiB, and honest peers announcing
 * from the flooding addresses meanwhile are accepted within every interval
 * and still listed at their own addresses at the end.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { spawn, type ChildProcess } from 'node:child_process'
import { REPO, SHOAL_BIN, TEST_ENV, collect, startTracker } from '../helpers/cli.js'
import { assertNetnsAvailable, createNetwork, type Network } from '../helpers/netns.js'
import { FILE_ENTRY_BYTES, FILE_LINK_BYTES } from '../../src/tracker/budget.js'
import { IP_SHARE_FRACTION, MAX_INDEX_BYTES } from '../../src/tracker/constants.js'
import { flood, type FloodOptions, type FloodReport } from './flood.js'

const MIB = 1024 * 1024
const RSS_LIMIT_BYTES = 256 * MIB
/** The tracker's announce interval here: short, so the flood fills shares and honest peers re-announce several times. */
const INTERVAL_S = 5
/** Flood lengths: long enough for several intervals, or (whole budget) to overflow 48 MiB on a busy machine. */
const FLOOD_MS = 10_000
const BUDGET_FLOOD_MS = 15_000
/**
 * Longest allowed time between an honest peer's accepted announces: its
 * interval plus the announce's own latency on a loaded 2-core machine (the
 * flood's generator shares the honest peers' event loop). A refused announce
 * fails the test on its own (`failures`).
 */
const MAX_GAP_MS = 2 * INTERVAL_S * 1000
const RSS_SAMPLE_MS = 250
/** Distinct files one address's share holds at most (each charged as its own). */
const FILES_PER_SHARE = Math.floor(MAX_INDEX_BYTES * IP_SHARE_FRACTION / (FILE_LINK_BYTES + FILE_ENTRY_BYTES))

/** Samples a process's resident set size from /proc until stopped; returns the peak. */
function rssSampler (pid: number): { stop: () => number } {
  let peak = 0
  const sample = (): void => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0)
    peak = Math.max(peak, kb * 1024)
  }
  sample()
  const timer = setInterval(sample, RSS_SAMPLE_MS)
  return { stop: () => { clearInterval(timer); sample(); return peak } }
}

function checkHonest (report: FloodReport, what: string): void {
  for (const h of report.honest) {
    assert.ok(h.listed, `${what}: honest peer ${h.peerId} is listed at its own address (${JSON.stringify(h)})`)
    assert.equal(h.failures, 0, `${what}: honest peer ${h.peerId} was refused ${h.failures} times (${JSON.stringify(report.statuses)})`)
    assert.ok(h.maxGapMs < MAX_GAP_MS, `${what}: honest peer ${h.peerId} announced within one interval (gap ${h.maxGapMs} ms)`)
  }
}

describe('tracker under flood', () => {
  it('from one address: RSS bounded, honest peers behind it still listed', async (t) => {
    const tracker = await startTracker(t, ['--listen', '127.0.0.1:0', '--announce-interval', String(INTERVAL_S)])
    const rss = rssSampler(tracker.child.pid as number)
    const baseline = rss.stop()
    const sampler = rssSampler(tracker.child.pid as number)
    const report = await flood({ url: tracker.url, durationMs: FLOOD_MS, concurrency: 6, filesPerPeer: 1000, honest: 3, intervalMs: INTERVAL_S * 1000, honestIp: '10.1.1.1' })
    const peak = sampler.stop()
    const root = await (await fetch(tracker.url + '/')).json() as { peers: number, files: number }
    t.diagnostic(`flood: ${report.sent} sent, ${report.accepted} accepted, statuses ${JSON.stringify(report.statuses)}; index ${root.peers} peers, ` +
      `${root.files} files; tracker RSS ${(baseline / MIB).toFixed(0)} → peak ${(peak / MIB).toFixed(0)} MiB; honest gaps ${report.honest.map(h => h.maxGapMs).join(', ')} ms`)
    assert.ok(report.sent > 100, 'the flood ran')
    assert.ok(root.files <= FILES_PER_SHARE, `one address holds at most its share (${root.files} files listed, share ${FILES_PER_SHARE})`)
    assert.ok(peak <= RSS_LIMIT_BYTES, `tracker RSS peaked at ${(peak / MIB).toFixed(0)} MiB`)
    checkHonest(report, 'one address')
  })

  it('filling the whole byte budget from one address with shares off: RSS bounded, honest peers still listed', async (t) => {
    // One address may hold the whole index here, so the flood meets the global
    // budget (48 MiB estimated) and the least recently announced peers overall go.
    const options = { host: '127.0.0.1', port: 0, announceIntervalSeconds: INTERVAL_S, ipShare: 1 }
    // The compiled tracker (dist/, as `npm run build` leaves it), as `shoal tracker` runs it, with options it has no flags for.
    const child = spawn(process.execPath, ['--input-type=module', '-e', TRACKER_PROCESS, JSON.stringify(options)],
      { cwd: REPO, env: { ...process.env, ...TEST_ENV }, stdio: ['ignore', 'pipe', 'pipe'] })
    t.after(() => { child.kill('SIGKILL') })
    const { url } = JSON.parse(await firstLine(child)) as { url: string }
    const sampler = rssSampler(child.pid as number)
    const report = await flood({ url, durationMs: BUDGET_FLOOD_MS, concurrency: 6, filesPerPeer: 1000, honest: 3, intervalMs: INTERVAL_S * 1000, honestIp: '10.1.1.1' })
    const peak = sampler.stop()
    const root = await (await fetch(url + '/')).json() as { peers: number, files: number }
    t.diagnostic(`whole budget: ${report.sent} sent, ${report.accepted} accepted; index ${root.peers} peers, ${root.files} files; ` +
      `tracker RSS peak ${(peak / MIB).toFixed(0)} MiB; honest gaps ${report.honest.map(h => h.maxGapMs).join(', ')} ms`)
    const fit = MAX_INDEX_BYTES / (FILE_LINK_BYTES + FILE_ENTRY_BYTES)
    assert.ok(report.accepted * 1000 > fit, 'enough of the flood was accepted to overflow the budget')
    assert.ok(root.files <= fit, `the index was bounded (${root.files} files)`)
    assert.ok(peak <= RSS_LIMIT_BYTES, `tracker RSS peaked at ${(peak / MIB).toFixed(0)} MiB`)
    checkHonest(report, 'whole budget')
  })

  describe('from four namespace hosts', () => {
    let net: Network | undefined
    before(async () => {
      await assertNetnsAvailable()
      net = await createNetwork(['tracker', 'f1', 'f2', 'f3', 'f4'].map(name => ({ name })), { prefix: 'shoaltf' })
    })
    after(async () => { await net?.destroy() })

    it('RSS bounded, honest peers on every flooding host still listed', async (t) => {
      const network = net as Network
      const trackerHost = network.host('tracker')
      const child = trackerHost.exec([process.execPath, SHOAL_BIN, 'tracker', '--json', '--listen', '0.0.0.0:7070', '--announce-interval', String(INTERVAL_S)],
        { cwd: REPO, env: { ...process.env, ...TEST_ENV }, stdio: ['ignore', 'pipe', 'pipe'] })
      await firstLine(child)
      const url = `http://${trackerHost.ip}:7070`
      const sampler = rssSampler(child.pid as number)
      const floods = ['f1', 'f2', 'f3', 'f4'].map(async name => {
        const host = network.host(name)
        const opts: FloodOptions = { url, durationMs: FLOOD_MS, concurrency: 3, filesPerPeer: 1000, honest: 2, intervalMs: INTERVAL_S * 1000, honestIp: host.ip }
        const run = await collect(host.exec([process.execPath, '--import', 'tsx', 'test/tracker/flood.ts', JSON.stringify(opts)],
          { cwd: REPO, env: { ...process.env, ...TEST_ENV }, stdio: ['ignore', 'pipe', 'pipe'] }), FLOOD_MS + 60_000)
        assert.equal(run.code, 0, `flood on ${name}: ${run.stderr}`)
        return JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as FloodReport
      })
      const reports = await Promise.all(floods)
      const peak = sampler.stop()
      const probe = await trackerHost.run([process.execPath, '-e', `fetch('${url}/').then(r => r.text()).then(t => process.stdout.write(t))`])
      const root = JSON.parse(probe.stdout) as { peers: number, files: number }
      child.kill('SIGINT')
      await collect(child, 10_000)
      const sent = reports.reduce((n, r) => n + r.sent, 0)
      const accepted = reports.reduce((n, r) => n + r.accepted, 0)
      t.diagnostic(`four hosts: ${sent} sent, ${accepted} accepted, statuses ${reports.map(r => JSON.stringify(r.statuses)).join(' ')}; ` +
        `index ${root.peers} peers, ${root.files} files; ` +
        `tracker RSS peak ${(peak / MIB).toFixed(0)} MiB; honest gaps ${reports.flatMap(r => r.honest.map(h => h.maxGapMs)).join(', ')} ms`)
      assert.ok(sent > 100, 'the floods ran')
      assert.ok(root.files <= 4 * FILES_PER_SHARE, `four addresses hold at most four shares (${root.files} files listed)`)
      assert.ok(peak <= RSS_LIMIT_BYTES, `tracker RSS peaked at ${(peak / MIB).toFixed(0)} MiB`)
      reports.forEach((r, i) => { checkHonest(r, `host f${i + 1}`) })
    })
  })
})

/** A tracker process with options from argv: prints `{"url": …}`, serves until SIGINT or SIGTERM. */
const TRACKER_PROCESS = `
import './dist/polyfill.js'
import { startTracker } from './dist/tracker/index.js'
const tracker = await startTracker(JSON.parse(process.argv[1]))
process.stdout.write(JSON.stringify({ url: tracker.url }) + '\\n')
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => { void tracker.close().then(() => process.exit(0)) })
`

/** Resolves with the first line a child prints (the tracker's JSON banner). */
async function firstLine (child: ChildProcess): Promise<string> {
  return await new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('\n')) resolve(out.split('\n')[0] as string)
    })
    child.once('exit', (code) => { reject(new Error(`tracker exited ${code}`)) })
  })
}
