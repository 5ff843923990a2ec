/**
 * The direct TLS data path against its floor (issue 13, item 1): the same
 * file copied between two processes on 127.0.0.1, to disk, verified, four ways:
 *
 * 1. raw TLS: Node's own TLS socket streaming the file (tls-baseline.ts);
 * 2. raw libp2p: one libp2p stream streaming the file (tls-baseline.ts);
 * 3. chunks over libp2p: Shoal's chunk protocol (`ChunkChannel.open` against
 *    the real chunks handler over a real Library) on a libp2p stream;
 * 4. chunks over direct TLS: the same protocol and handler over the direct
 *    path (src/net/direct/: ticket over libp2p, mutual libp2p-TLS certs);
 * 5. and 6. Shoal end to end, `shoal get` from a `shoal start` seeder, spawn
 *    to exit (so with the CLI's start and stop), with the direct path on and
 *    off (`SHOAL_NETWORK_DIRECT=false` on both ends). Needs `npm run build`.
 *
 * 3 and 4 share one seeder process (the file shared once, untimed) and one
 * minimal downloader: a window of chunk requests, each chunk's SHA-256
 * checked against the manifest and written at its offset, fsync at the end.
 * Every copy is timed by its client from connect (for 4: from the ticket
 * request) to the output closed, so process start-up counts nowhere. Rounds
 * interleave the four; figures are medians, with the CPU time of the client
 * (all four) and of the seeder (3 and 4). On a loaded machine the CPU times
 * are the steadier figures: wall time there measures the neighbours.
 *
 * Run: `node --import tsx bench/direct-path.ts [--size 1GiB] [--runs 3]`.
 * Also the child: `--direct-role seed|fetch` (not `--role`: tls-baseline.ts, imported, answers that).
 */
import '../src/polyfill.js'
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { ShoalError } from '../src/errors.js'
import { assertSameBytes, prepareCache, sha256File, writeRandomFile } from './lib/files.js'
import { lastJson, runTimed, startServer } from './lib/processes.js'
import { share, startSeeders, stopAll, timedDownload, type Seeder } from './lib/shoal.js'
import { GiB, MiB, formatSize, median, parseSize, ratio } from './lib/stats.js'
import { makeSelfSignedCert, runLibp2pCopy, runTlsCopy, type CopyResult } from './tls-baseline.js'

const THIS_FILE = fileURLToPath(import.meta.url)
const REPO = fileURLToPath(new URL('..', import.meta.url))
/** Chunk requests the downloader keeps outstanding (in flight or being written). */
const WINDOW_CHUNKS = 16
/** Linux's USER_HZ, the unit of /proc/<pid>/stat times (100 on every Linux architecture Node runs on). */
const CLOCK_TICKS_PER_S = 100
/** Sharing hashes the whole file first. */
const SEED_START_TIMEOUT_MS = 180_000

interface SeedInfo { addr: string, fileId: string }
interface FetchResult extends CopyResult { cpuMs: number }

async function seed (file: string, dataDir: string): Promise<void> {
  const { generateKeyPair } = await import('@libp2p/crypto/keys')
  const n = await import('../src/node/networking.js')
  const { Catalog } = await import('../src/store/catalog.js')
  const { Library } = await import('../src/node/library.js')
  const { PeerStreamLimits } = await import('../src/protocol/stream-limits.js')
  const { MAX_INBOUND_STREAMS_PER_PEER } = await import('../src/protocol/constants.js')
  const { DirectPath } = await import('../src/net/direct/index.js')
  const { DEFAULT_CONFIG } = await import('../src/config/index.js')
  await mkdir(dataDir, { recursive: true })
  const library = new Library(new Catalog(join(dataDir, 'shoal.db')))
  const record = await library.share(file)
  const privateKey = await generateKeyPair('Ed25519')
  const libp2p = await n.createShoalLibp2p({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], maxConnections: 16, mdns: false, bootstrap: [] })
  const t = DEFAULT_CONFIG.transfer
  const uploads = {
    gate: new n.UploadLimiter({ maxPerPeer: t.maxUploadsPerPeer, maxTotal: t.maxUploadsTotal }),
    budgets: new n.PeerBudgets(t.peerUploadBufferBytes),
    writeTimeoutMs: t.uploadStallTimeoutMs
  }
  const streams = new PeerStreamLimits(MAX_INBOUND_STREAMS_PER_PEER)
  await n.serveShoalProtocols(libp2p, { provider: library, uploads, streams })
  const direct = new DirectPath({ libp2p, privateKey, host: '127.0.0.1', port: 0, provider: library, uploads, streams })
  await direct.start()
  await libp2p.start()
  process.stdout.write(`${JSON.stringify({ addr: libp2p.getMultiaddrs()[0]?.toString(), fileId: record.id })}\n`)
  process.once('SIGINT', () => { void direct.stop().then(async () => { await libp2p.stop() }).then(() => process.exit(0)) })
}

async function fetch (addr: string, fileId: string, out: string, mode: string): Promise<void> {
  const { generateKeyPair } = await import('@libp2p/crypto/keys')
  const { multiaddr } = await import('@multiformats/multiaddr')
  const { createShoalLibp2p } = await import('../src/net/create-libp2p.js')
  const { fetchManifest } = await import('../src/protocol/manifest.js')
  const { ChunkChannel } = await import('../src/protocol/chunk-channel.js')
  const { chunkHash, manifestChunkCount } = await import('../src/content/manifest.js')
  const { chunkRange } = await import('../src/content/chunk-size.js')
  const { createDirectCertificate } = await import('../src/net/direct/identity.js')
  const { dialDirect } = await import('../src/net/direct/dial.js')
  const { BufferPool } = await import('../src/transfer/buffer-pool.js')
  // Chunk buffers recycled, as a download job does (a fresh 1 MiB per chunk doubles the GC's work).
  const buffers = new BufferPool(() => WINDOW_CHUNKS)
  const privateKey = await generateKeyPair('Ed25519')
  const libp2p = await createShoalLibp2p({ privateKey, listen: [], maxConnections: 16, mdns: false, bootstrap: [] })
  await libp2p.start()
  const connection = await libp2p.dial(multiaddr(addr))
  const peer = connection.remotePeer
  const manifest = await fetchManifest(libp2p, peer, fileId)
  if (manifest == null) throw new ShoalError('ERR_FILE_NOT_FOUND', 'the seeder lacks the file')
  const certificate = await createDirectCertificate(privateKey) // a node makes it once, at start
  const fh = await open(out, 'w')
  const count = manifestChunkCount(manifest)
  const cpu = process.cpuUsage()
  const started = performance.now()
  let next = 0
  let outstanding = 0
  let done = 0
  let finish!: (err?: Error) => void
  const finished = new Promise<void>((resolve, reject) => { finish = (err) => { if (err == null) resolve(); else reject(err) } })
  const handlers = {
    allocate: (length: number) => buffers.acquire(length),
    onChunk: (index: number, data: Buffer, digest: Uint8Array) => {
      if (!Buffer.from(digest).equals(chunkHash(manifest, index))) { finish(new ShoalError('ERR_CHUNK_CORRUPT', `chunk ${index}`)); return }
      const { offset, length } = chunkRange(manifest.size, manifest.chunkSize, index)
      fh.write(data, 0, length, offset).then(() => {
        buffers.release(data)
        outstanding--
        if (++done === count) finish(); else fill()
      }, (err: Error) => { finish(err) })
    },
    onRefused: (index: number, reason: string) => { finish(new ShoalError('ERR_CHUNK_NOT_AVAILABLE', `chunk ${index}: ${reason}`)) },
    onClose: (err?: Error) => { if (done < count) finish(err ?? new ShoalError('ERR_PEER_UNREACHABLE', 'channel closed')) }
  }
  const channel = mode === 'direct'
    ? await ChunkChannel.over(peer, await dialDirect(connection, certificate), fileId, manifest, handlers)
    : await ChunkChannel.open(libp2p, peer, fileId, manifest, handlers)
  const fill = (): void => {
    while (outstanding < WINDOW_CHUNKS && next < count) {
      outstanding++
      channel.request(next++)
    }
  }
  fill()
  await finished
  await fh.sync()
  await fh.close()
  const ms = performance.now() - started
  const used = process.cpuUsage(cpu)
  channel.close()
  process.stdout.write(`${JSON.stringify({ ms, bytes: manifest.size, cpuMs: (used.user + used.system) / 1000 })}\n`)
  await libp2p.stop()
}

/** User + system CPU time of a process so far (all its threads), ms, from /proc. */
async function processCpuMs (pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces), from field 3: utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 1000 / CLOCK_TICKS_PER_S
}

/** What one bench run measured: medians and ratios against raw TLS. */
export interface DirectPathBenchResult {
  sizeBytes: number
  runs: number
  medianMs: { tls: number, libp2p: number, chunksLibp2p: number, chunksDirect: number, shoalDirect: number, shoalLibp2p: number }
  clientCpuMedianMs: { tls: number, libp2p: number, chunksLibp2p: number, chunksDirect: number }
  /** CPU time of the seeder process per copy (the chunk paths; the baselines' servers are one-shot processes). */
  seederCpuMedianMs: { chunksLibp2p: number, chunksDirect: number }
  vsTls: { libp2p: number, chunksLibp2p: number, chunksDirect: number, shoalDirect: number, shoalLibp2p: number }
  clientCpuVsTls: { libp2p: number, chunksLibp2p: number, chunksDirect: number }
}

/** Runs the rounds described in the module comment, in `workDir`. */
export async function runDirectPathBench (o: { sizeBytes: number, runs: number, workDir: string, log: (line: string) => void, signal?: AbortSignal }): Promise<DirectPathBenchResult> {
  const file = join(o.workDir, 'direct-src.bin')
  const out = join(o.workDir, 'direct-out.bin')
  await writeRandomFile(file, o.sizeBytes, { signal: o.signal })
  const sha = await sha256File(file, { signal: o.signal })
  const cert = await makeSelfSignedCert(o.workDir, { signal: o.signal })
  const role = (args: string[]): string[] => ['--import', 'tsx', THIS_FILE, '--direct-role', ...args]
  const timeoutMs = 60_000 + Math.ceil(o.sizeBytes / (5 * MiB)) * 1000
  const seeder = await startServer<SeedInfo>(process.execPath, role(['seed', file, join(o.workDir, 'seed-data')]), { cwd: REPO, timeoutMs: SEED_START_TIMEOUT_MS, signal: o.signal })
  const ms = { tls: [] as number[], libp2p: [] as number[], chunksLibp2p: [] as number[], chunksDirect: [] as number[], shoalDirect: [] as number[], shoalLibp2p: [] as number[] }
  // End to end: `shoal start` seeders and `shoal get`, spawn to exit, with the direct path on and off (both ends).
  const off = { SHOAL_NETWORK_DIRECT: 'false' }
  const shoalSeeders: Seeder[] = []
  const cpu: Record<keyof typeof ms, number[]> = { shoalDirect: [], shoalLibp2p: [], tls: [] as number[], libp2p: [] as number[], chunksLibp2p: [] as number[], chunksDirect: [] as number[] }
  const seederCpu = { chunksLibp2p: [] as number[], chunksDirect: [] as number[] }
  try {
    const [direct] = await startSeeders(1, o.workDir, { name: 'direct', signal: o.signal })
    shoalSeeders.push(direct!)
    const [plain] = await startSeeders(1, o.workDir, { name: 'plain', env: off, signal: o.signal })
    shoalSeeders.push(plain!)
    const link = (await share(direct!, file, o.sizeBytes, { signal: o.signal })).link
    await share(plain!, file, o.sizeBytes, { signal: o.signal })
    const measure = async (name: keyof typeof ms, run: () => Promise<CopyResult & { cpuMs?: number }>): Promise<void> => {
      await prepareCache('warm', [file], { signal: o.signal })
      try {
        const r = await run()
        await assertSameBytes(out, sha, { signal: o.signal })
        ms[name].push(r.ms)
        if (r.cpuMs !== undefined) cpu[name].push(r.cpuMs)
        o.log(`  ${name.padEnd(13)} ${(r.ms / 1000).toFixed(2)} s${r.cpuMs === undefined ? '' : `, client CPU ${(r.cpuMs / 1000).toFixed(2)} s`}`)
      } finally {
        await rm(out, { force: true })
      }
    }
    const fetchVia = async (mode: 'chunksLibp2p' | 'chunksDirect'): Promise<FetchResult> => {
      const before = await processCpuMs(seeder.child.pid)
      const r = await runTimed(process.execPath, role(['fetch', seeder.info.addr, seeder.info.fileId, out, mode === 'chunksDirect' ? 'direct' : 'libp2p']), { cwd: REPO, timeoutMs, signal: o.signal })
      const used = await processCpuMs(seeder.child.pid) - before
      seederCpu[mode].push(used)
      o.log(`  ${''.padEnd(13)} seeder CPU ${(used / 1000).toFixed(2)} s`)
      return lastJson<FetchResult>(r.stdout)
    }
    for (let round = 1; round <= o.runs; round++) {
      o.log(`direct path ${formatSize(o.sizeBytes)}, round ${round}/${o.runs}`)
      await measure('tls', async () => await runTlsCopy(file, out, cert, { timeoutMs, signal: o.signal }))
      await measure('libp2p', async () => await runLibp2pCopy(file, out, { timeoutMs, signal: o.signal }))
      await measure('chunksLibp2p', async () => await fetchVia('chunksLibp2p'))
      await measure('chunksDirect', async () => await fetchVia('chunksDirect'))
      for (const [name, seederOf, env] of [['shoalDirect', direct!, {}], ['shoalLibp2p', plain!, off]] as const) {
        await prepareCache('warm', [file], { signal: o.signal })
        const r = await timedDownload({ link, peers: [seederOf.addr], size: o.sizeBytes, sha256: sha, scratchDir: o.workDir, env, signal: o.signal })
        ms[name].push(r.ms)
        o.log(`  ${name.padEnd(13)} ${(r.ms / 1000).toFixed(2)} s spawn to exit, peak RSS ${formatSize(r.peakRssBytes)}`)
      }
    }
  } finally {
    await stopAll(shoalSeeders)
    await seeder.stop()
    await rm(file, { force: true })
  }
  const c = { tls: median(cpu.tls), libp2p: median(cpu.libp2p), chunksLibp2p: median(cpu.chunksLibp2p), chunksDirect: median(cpu.chunksDirect) }
  const m = { tls: median(ms.tls), libp2p: median(ms.libp2p), chunksLibp2p: median(ms.chunksLibp2p), chunksDirect: median(ms.chunksDirect), shoalDirect: median(ms.shoalDirect), shoalLibp2p: median(ms.shoalLibp2p) }
  return {
    sizeBytes: o.sizeBytes,
    runs: o.runs,
    medianMs: m,
    clientCpuMedianMs: c,
    seederCpuMedianMs: { chunksLibp2p: median(seederCpu.chunksLibp2p), chunksDirect: median(seederCpu.chunksDirect) },
    vsTls: { libp2p: ratio(m.libp2p, m.tls), chunksLibp2p: ratio(m.chunksLibp2p, m.tls), chunksDirect: ratio(m.chunksDirect, m.tls), shoalDirect: ratio(m.shoalDirect, m.tls), shoalLibp2p: ratio(m.shoalLibp2p, m.tls) },
    clientCpuVsTls: { libp2p: ratio(c.libp2p, c.tls), chunksLibp2p: ratio(c.chunksLibp2p, c.tls), chunksDirect: ratio(c.chunksDirect, c.tls) }
  }
}

if (process.argv[2] === '--direct-role') {
  const [name, ...args] = process.argv.slice(3)
  if (name === 'seed') await seed(args[0] as string, args[1] as string)
  else if (name === 'fetch') await fetch(args[0] as string, args[1] as string, args[2] as string, args[3] as string)
  else throw new ShoalError('ERR_INVALID_ARGUMENT', `unknown role ${String(name)}`)
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { size: { type: 'string' }, runs: { type: 'string' } } })
  const sizeBytes = values.size === undefined ? GiB : parseSize(values.size) ?? 0
  const workDir = await mkdtemp(join(tmpdir(), 'shoal-direct-bench-'))
  try {
    const result = await runDirectPathBench({ sizeBytes, runs: Number(values.runs ?? 3), workDir, log: (line) => { process.stderr.write(`${line}\n`) } })
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}
