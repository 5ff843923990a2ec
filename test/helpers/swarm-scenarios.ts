/**
 * The multi-host download scenarios of the swarm engine, each on its own
 * network of hosts (netns.ts) with real `shoal start` nodes, returning the
 * figures it measured. Tests assert on the figures; `npm run bench` reports
 * them. Each scenario builds and destroys its network itself, even on failure.
 *
 * Rates: tbf caps count whole Ethernet frames, so TCP payload tops out at
 * ~95 % of a cap (1448 payload bytes per 1514-byte frame).
 */
import { join } from 'node:path'
import { mkdir } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { createNetwork, type HostSpec, type Network } from './netns.js'
import { REPO, nodeControls, nodeStarted, sha256File, writeRandomFile } from './cli.js'
import { LYING_SEEDER_SCRIPT } from './lying-seeder.js'
import { atLeast, followDownload, shareOn, shoalOn, startNodeOn, until, type DownloadTrace, type HostNode } from './host-nodes.js'

const MIB = 1024 * 1024
/** Payload share of a capped link that TCP can use (see the module header). */
export const LINK_EFFICIENCY = 1448 / 1514

/** Builds a network, runs `body` on it, and always tears it down (killing the nodes recorded in `nodes` first). */
export async function onNetwork<T> (specs: HostSpec[], body: (net: Network, nodes: HostNode[]) => Promise<T>): Promise<T> {
  const net = await createNetwork(specs)
  const nodes: HostNode[] = []
  try {
    return await body(net, nodes)
  } finally {
    await Promise.all(nodes.map(async n => { await n.kill() }))
    await net.destroy()
  }
}

/** Starts a node on `net.host(name)` with its data dir `<dir>/<name>.node`, recorded for teardown. */
async function node (net: Network, nodes: HostNode[], dir: string, name: string, opts: { env?: Record<string, string>, port?: number } = {}): Promise<HostNode> {
  const started = await startNodeOn(net.host(name), join(dir, `${name}.node`), opts)
  nodes.push(started)
  return started
}

/**
 * Starts a lying seeder (lying-seeder.ts: real protocol handlers, every chunk
 * corrupt) of `path` on `net.host(name)`, recorded for teardown.
 */
async function liar (net: Network, nodes: HostNode[], name: string, path: string): Promise<HostNode> {
  const host = net.host(name)
  const child = host.exec([process.execPath, '--import', 'tsx', LYING_SEEDER_SCRIPT, path, '/ip4/0.0.0.0/tcp/0'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  const controls = nodeControls(child)
  const info = await nodeStarted(child, `liar on ${name}`)
  const addr = info.addrs.find(a => a.startsWith(`/ip4/${host.ip}/`))
  if (addr == null) {
    await controls.kill()
    throw new Error(`liar on ${name} has no address on ${host.ip}: ${info.addrs.join(' ')}`)
  }
  const started = { host, dataDir: '', peerId: info.peerId, addr, api: '', child, ...controls }
  nodes.push(started)
  return started
}

/** Starts a node on each host of `names`, every one sharing `src` (one file, so one ID). */
async function seed (net: Network, nodes: HostNode[], dir: string, names: string[], src: string, opts: { port?: number } = {}): Promise<{ seeders: HostNode[], id: string }> {
  const seeders = await Promise.all(names.map(async name => await node(net, nodes, dir, name, opts)))
  const ids = await Promise.all(seeders.map(async s => await shareOn(s, src)))
  return { seeders, id: ids[0] as string }
}

const seconds = (trace: DownloadTrace): number => (trace.endedAt - trace.startedAt) / 1000

/** Throws unless the download completed and its bytes match `src`. */
async function checkCompleted (trace: DownloadTrace, out: string, src: string): Promise<void> {
  if (trace.final.state !== 'completed') throw new Error(`download ended ${trace.final.state}: ${trace.final.error ?? ''}`)
  if (await sha256File(out) !== await sha256File(src)) throw new Error(`${out} does not match ${src}`)
}

/** Figures of {@link threeSeeders}. */
export interface ThreeSeedersFigures {
  seconds: number
  aggregateMbit: number
  /** Aggregate payload rate ÷ the sum of the caps. */
  ratio: number
  shares: Array<{ peer: string, capMbit: number, bandwidthShare: number, byteShare: number }>
}

/** Three seeders capped at 10, 30 and 60 Mbit/s, one uncapped downloader. */
export async function threeSeeders (dir: string, fileBytes = 96 * MIB): Promise<ThreeSeedersFigures> {
  const caps = [10, 30, 60]
  const src = join(dir, 'three.bin')
  await writeRandomFile(src, fileBytes)
  return await onNetwork([...caps.map(mbit => ({ name: `s${mbit}`, uploadMbit: mbit })), { name: 'd' }], async (net, nodes) => {
    const { seeders, id } = await seed(net, nodes, dir, caps.map(mbit => `s${mbit}`), src)
    const d = await node(net, nodes, dir, 'd')
    const out = join(dir, 'three-out.bin')
    const trace = await (await followDownload(d, id, out, seeders.map(s => s.addr))).done
    await checkCompleted(trace, out, src)
    const total = caps.reduce((a, b) => a + b, 0)
    const aggregateMbit = fileBytes * 8 / seconds(trace) / 1e6
    return {
      seconds: seconds(trace),
      aggregateMbit,
      ratio: aggregateMbit / total,
      shares: seeders.map((s, i) => ({
        peer: s.host.name,
        capMbit: caps[i] as number,
        bandwidthShare: (caps[i] as number) / total,
        byteShare: (trace.final.peers.find(p => p.peerId === s.peerId)?.bytes ?? 0) / fileBytes
      }))
    }
  })
}

/** Figures of {@link killedAndFrozen}. */
export interface KilledFrozenFigures {
  /** From the kill and freeze to the end of the download. */
  afterFaultSeconds: number
  /** What the remaining bytes need at the surviving seeder's cap, plus one stall deadline. */
  boundSeconds: number
  stallTimeoutMs: number
  frozenPeerState: string
}

/**
 * Three seeders at 20 Mbit/s; at 30 % one is killed (SIGKILL) and another
 * frozen (SIGSTOP): the third finishes the download, and the frozen one's
 * requests are taken back after one stall deadline.
 */
export async function killedAndFrozen (dir: string, fileBytes = 48 * MIB): Promise<KilledFrozenFigures> {
  const capMbit = 20
  const stallTimeoutMs = 3000
  const src = join(dir, 'faults.bin')
  await writeRandomFile(src, fileBytes)
  return await onNetwork([{ name: 'a', uploadMbit: capMbit }, { name: 'b', uploadMbit: capMbit }, { name: 'c', uploadMbit: capMbit }, { name: 'd' }], async (net, nodes) => {
    const { seeders, id } = await seed(net, nodes, dir, ['a', 'b', 'c'], src)
    const [a, b, c] = seeders as [HostNode, HostNode, HostNode]
    const d = await node(net, nodes, dir, 'd', { env: { SHOAL_TRANSFER_STALL_TIMEOUT_MS: String(stallTimeoutMs) } })
    const out = join(dir, 'faults-out.bin')
    const download = await followDownload(d, id, out, [a.addr, b.addr, c.addr])
    const at = await until(download, atLeast(0.3))
    await a.kill()
    b.child.kill('SIGSTOP')
    const faultAt = Date.now()
    const trace = await download.done
    b.child.kill('SIGCONT')
    await checkCompleted(trace, out, src)
    const remaining = fileBytes - at.snapshot.bytesDone
    return {
      afterFaultSeconds: (trace.endedAt - faultAt) / 1000,
      boundSeconds: remaining * 8 / (capMbit * 1e6 * LINK_EFFICIENCY) + stallTimeoutMs / 1000,
      stallTimeoutMs,
      frozenPeerState: trace.final.peers.find(p => p.peerId === b.peerId)?.state ?? 'absent'
    }
  })
}

/** Figures of {@link corruptSeeder}. */
export interface CorruptSeederFigures {
  verified: boolean
  badPeerState: string
  badPeerBytes: number
}

/**
 * Two seeders, one of which serves every chunk corrupt (a lying client: a
 * Shoal node hashes what it serves): the file still verifies and the bad peer
 * is banned.
 */
export async function corruptSeeder (dir: string, fileBytes = 24 * MIB): Promise<CorruptSeederFigures> {
  const src = join(dir, 'good', 'rot.bin')
  await mkdir(join(dir, 'good'), { recursive: true })
  await writeRandomFile(src, fileBytes)
  return await onNetwork([{ name: 'good', uploadMbit: 20 }, { name: 'bad', uploadMbit: 20 }, { name: 'd' }], async (net, nodes) => {
    const good = await node(net, nodes, dir, 'good')
    const bad = await liar(net, nodes, 'bad', src) // same name and bytes: same manifest and ID
    const id = await shareOn(good, src)
    const d = await node(net, nodes, dir, 'd')
    const out = join(dir, 'rot-out.bin')
    const trace = await (await followDownload(d, id, out, [bad.addr, good.addr])).done
    await checkCompleted(trace, out, src)
    const badPeer = trace.final.peers.find(p => p.peerId === bad.peerId)
    return { verified: true, badPeerState: badPeer?.state ?? 'absent', badPeerBytes: badPeer?.bytes ?? 0 }
  })
}

/** Figures of {@link allSeedersGone}. */
export interface AllGoneFigures {
  /** From the seeders' death to the job's `stalled` state. */
  stalledAfterSeconds: number
  missingPeers: number
  /** From a seeder's return (its node up) to the job running again: it found the seeder and asks it for chunks. */
  resumedAfterSeconds: number
  /** From a seeder's return to the next whole chunk (1 MiB at 20 Mbit/s: ~0.45 s after resuming). */
  dataAfterSeconds: number
  resumeIntervalSeconds: number
}

/**
 * Two seeders at 20 Mbit/s both die at 50 %: the job is `stalled` and names
 * them; one comes back at its old address and the job goes on by itself,
 * within one resume interval.
 */
export async function allSeedersGone (dir: string, fileBytes = 32 * MIB): Promise<AllGoneFigures> {
  const resumeIntervalSeconds = 5
  const port = 4001 // fixed, so the seeder comes back where the job looks for it
  const src = join(dir, 'gone.bin')
  await writeRandomFile(src, fileBytes)
  return await onNetwork([{ name: 's1', uploadMbit: 20 }, { name: 's2', uploadMbit: 20 }, { name: 'd' }], async (net, nodes) => {
    const { seeders, id } = await seed(net, nodes, dir, ['s1', 's2'], src, { port })
    const [s1, s2] = seeders as [HostNode, HostNode]
    const d = await node(net, nodes, dir, 'd', { env: { SHOAL_CHUNKING_RESUME_CHECK_INTERVAL: String(resumeIntervalSeconds) } })
    const out = join(dir, 'gone-out.bin')
    const download = await followDownload(d, id, out, [s1.addr, s2.addr])
    await until(download, atLeast(0.5))
    await Promise.all([s1.kill(), s2.kill()])
    const goneAt = Date.now()
    const stalled = await until(download, p => p.snapshot.state === 'stalled', 30_000)
    await sleep(1000) // stalled for a while, not a blip
    await node(net, nodes, dir, 's1', { port })
    const backAt = Date.now()
    const bytesBack = download.points[download.points.length - 1]?.snapshot.bytesDone ?? 0
    const resumed = await until(download, p => p.t >= backAt && p.snapshot.state === 'running', (resumeIntervalSeconds + 30) * 1000)
    const data = await until(download, p => p.t >= backAt && p.snapshot.bytesDone > bytesBack, 30_000)
    const trace = await download.done
    await checkCompleted(trace, out, src)
    return {
      stalledAfterSeconds: (stalled.t - goneAt) / 1000,
      missingPeers: stalled.snapshot.missingPeers.length,
      resumedAfterSeconds: (resumed.t - backAt) / 1000,
      dataAfterSeconds: (data.t - backAt) / 1000,
      resumeIntervalSeconds
    }
  })
}

/** Figures of {@link swarmOfEight}. */
export interface SwarmFigures {
  singleSeconds: number
  /** From the first download's start to the last one's end. */
  swarmSeconds: number
  /** swarmSeconds ÷ singleSeconds: ≈ 1 with ideal swarming, 8 if the seeder served all alone. */
  ratio: number
  /** Bytes the downloaders got from each other rather than from the seeder. */
  fromPeersShare: number
  /** Bytes the seeder sent ÷ the file size: 1 if it sent every chunk exactly once. */
  seederCopies: number
  /** When each downloader finished, in seconds from the first start, in order. */
  finishSeconds: number[]
}

/**
 * One seeder and eight downloaders, every host's upload capped at 20 Mbit/s,
 * each downloader given only the seeder's address: they find each other by
 * peer exchange and serve each other while downloading. Compared with one
 * downloader alone on the same seeder.
 */
export async function swarmOfEight (dir: string, fileBytes = 48 * MIB): Promise<SwarmFigures> {
  const capMbit = 20
  const names = Array.from({ length: 8 }, (_, i) => `d${i + 1}`)
  const src = join(dir, 'swarm.bin')
  await writeRandomFile(src, fileBytes)
  return await onNetwork(['seed', 'solo', ...names].map(name => ({ name, uploadMbit: capMbit })), async (net, nodes) => {
    const seed = await node(net, nodes, dir, 'seed')
    const id = await shareOn(seed, src)
    const solo = await node(net, nodes, dir, 'solo')
    const single = await (await followDownload(solo, id, join(dir, 'solo-out.bin'), [seed.addr])).done
    await checkCompleted(single, join(dir, 'solo-out.bin'), src)
    await solo.stop() // it holds the file now: it must not help the swarm
    const downloaders = await Promise.all(names.map(async name => await node(net, nodes, dir, name)))
    const downloads = await Promise.all(downloaders.map(async d => await followDownload(d, id, join(dir, `${d.host.name}-out.bin`), [seed.addr], { hold: true })))
    for (const d of downloads) d.go() // all at once: none gets a head start from its follower starting sooner
    const traces = await Promise.all(downloads.map(async d => await d.done))
    for (const [i, trace] of traces.entries()) await checkCompleted(trace, join(dir, `${names[i] as string}-out.bin`), src)
    const firstStart = Math.min(...traces.map(t => t.startedAt))
    const finishSeconds = traces.map(t => (t.endedAt - firstStart) / 1000).sort((a, b) => a - b)
    const swarmSeconds = finishSeconds[finishSeconds.length - 1] as number
    const fromSeed = traces.reduce((n, t) => n + (t.final.peers.find(p => p.peerId === seed.peerId)?.bytes ?? 0), 0)
    return {
      singleSeconds: seconds(single),
      swarmSeconds,
      ratio: swarmSeconds / seconds(single),
      fromPeersShare: 1 - fromSeed / (fileBytes * names.length),
      seederCopies: fromSeed / fileBytes,
      finishSeconds
    }
  })
}

/** Figures of {@link endgame}. */
export interface EndgameFigures {
  withSlowSeconds: number
  fastOnlySeconds: number
  /** What the fast peers need for the last 1 % of the bytes, at their measured aggregate rate. */
  fastLastPercentSeconds: number
  /** Bytes the slow seeder sent to the downloader (it was asked, so a chunk of it could have held up the end). */
  slowPeerUploaded: number
  /** Seconds a 1 MiB chunk takes the slow peer: what a chunk left with it would add. */
  slowChunkSeconds: number
}

/**
 * Three seeders at 30 Mbit/s and one at 1 Mbit/s (a 1 MiB chunk takes it
 * 8 s): the download with the slow peer among the fast ones must take no
 * longer than with the fast peers alone, give or take what the fast peers
 * need for the last 1 %. (Progress events come every 250 ms, too coarse to
 * time the last 1 % itself: at 90 Mbit/s it lasts ~60 ms.)
 */
export async function endgame (dir: string, fileBytes = 64 * MIB): Promise<EndgameFigures> {
  const src = join(dir, 'endgame.bin')
  await writeRandomFile(src, fileBytes)
  const fast = ['f1', 'f2', 'f3']
  const slowMbit = 1
  return await onNetwork([...fast.map(name => ({ name, uploadMbit: 30 })), { name: 'slow', uploadMbit: slowMbit }, { name: 'd1' }, { name: 'd2' }], async (net, nodes) => {
    const { seeders, id } = await seed(net, nodes, dir, [...fast, 'slow'], src)
    const fastNodes = seeders.slice(0, fast.length)
    const slow = seeders[fast.length] as HostNode
    const run = async (name: string, peers: HostNode[]): Promise<[DownloadTrace, HostNode]> => {
      const d = await node(net, nodes, dir, name)
      const out = join(dir, `${name}-out.bin`)
      const trace = await (await followDownload(d, id, out, peers.map(p => p.addr))).done
      await checkCompleted(trace, out, src)
      return [trace, d]
    }
    const [fastOnly] = await run('d1', fastNodes)
    const [withSlow, d2] = await run('d2', [...fastNodes, slow])
    const peers = await shoalOn(slow.host, ['peers', '--data-dir', slow.dataDir, '--json'])
    const uploaded = (JSON.parse(peers.stdout) as { peers: Array<{ peerId: string, bytesUp: number }> }).peers.find(p => p.peerId === d2.peerId)?.bytesUp ?? 0
    return {
      withSlowSeconds: seconds(withSlow),
      fastOnlySeconds: seconds(fastOnly),
      fastLastPercentSeconds: seconds(fastOnly) * 0.01,
      slowPeerUploaded: uploaded,
      slowChunkSeconds: MIB * 8 / (slowMbit * 1e6 * LINK_EFFICIENCY)
    }
  })
}
