/**
 * Baselines for the transfer benchmark: the same file copied between two
 * processes on 127.0.0.1 without Shoal, written to disk the way Shoal writes.
 *
 * - raw TLS: a `tls.createServer` process streams the file (certificate: a
 *   throwaway P-256 self-signed one made with the openssl CLI at bench time);
 *   a `tls.connect` process writes it with `fs.createWriteStream` and fsyncs
 *   before closing (`flush: true`).
 * - raw libp2p: two bare libp2p nodes built by Shoal's own factory (TCP, TLS
 *   then Noise, yamux); the server sends the file on one stream (`send()`,
 *   waiting for drain when it returns false), the client writes it the same
 *   way. Set against the TLS copy, this is libp2p's own cost; set against
 *   Shoal, it is Shoal's.
 *
 * Time is measured by the client, from connect (dial) to the output file
 * closed, so neither process's start-up counts. This file is also the child:
 * `--role tls-server|tls-client|p2p-server|p2p-client`.
 *
 * Run alone: `node --import tsx bench/tls-baseline.ts FILE OUT_DIR`.
 */
import { execFile } from 'node:child_process'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import tls from 'node:tls'
import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import type { Libp2p, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { ShoalError } from '../src/errors.js'
import { lastJson, runTimed, startServer } from './lib/processes.js'
import { MiB } from './lib/stats.js'

/** Protocol of the libp2p copy (never spoken by Shoal nodes). */
const COPY_PROTOCOL = '/shoal-bench/copy/1.0.0'
/** Read size of the senders: Shoal's default chunk size. */
const READ_BLOCK_BYTES = MiB
/** Above yamux's largest stream window (16 MiB): what may arrive after a pause. */
const PAUSED_READ_BUFFER_BYTES = 32 * MiB
const THIS_FILE = fileURLToPath(import.meta.url)
const REPO = fileURLToPath(new URL('..', import.meta.url))
const SERVER_START_TIMEOUT_MS = 30_000

/** What a client measured. */
export interface CopyResult {
  ms: number
  bytes: number
  /** The client's CPU time (user + system) over the same span, ms. */
  cpuMs?: number
}

/** Paths of a PEM key and self-signed certificate. */
export interface TlsCert {
  keyPath: string
  certPath: string
}

/** Options of one copy. */
export interface CopyOptions {
  timeoutMs: number
  signal?: AbortSignal
}

/** Makes a throwaway P-256 key and self-signed certificate in `dir` with the openssl CLI. */
export async function makeSelfSignedCert (dir: string, options: { signal?: AbortSignal } = {}): Promise<TlsCert> {
  const cert = { keyPath: join(dir, 'bench-key.pem'), certPath: join(dir, 'bench-cert.pem') }
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', cert.keyPath, '-out', cert.certPath, '-days', '1', '-subj', '/CN=localhost'
  ], { signal: options.signal })
  return cert
}

/** Copies `file` to `out` over a raw Node TLS socket between two processes. */
export async function runTlsCopy (file: string, out: string, cert: TlsCert, options: CopyOptions): Promise<CopyResult> {
  return await runPair<{ port: number }>(['tls-server', file, cert.keyPath, cert.certPath], info => ['tls-client', String(info.port), out], options)
}

/** Copies `file` to `out` on one libp2p stream between two bare libp2p nodes. */
export async function runLibp2pCopy (file: string, out: string, options: CopyOptions): Promise<CopyResult> {
  return await runPair<{ addr: string }>(['p2p-server', file], info => ['p2p-client', info.addr, out], options)
}

/** Starts a server role, runs the client role against it, and stops the server. */
async function runPair<T> (serverArgs: string[], clientArgs: (info: T) => string[], options: CopyOptions): Promise<CopyResult> {
  const role = (args: string[]): string[] => ['--import', 'tsx', THIS_FILE, '--role', ...args]
  const server = await startServer<T>(process.execPath, role(serverArgs), { cwd: REPO, timeoutMs: SERVER_START_TIMEOUT_MS, signal: options.signal })
  try {
    const client = await runTimed(process.execPath, role(clientArgs(server.info)), { cwd: REPO, timeoutMs: options.timeoutMs, signal: options.signal })
    return lastJson<CopyResult>(client.stdout)
  } finally {
    await server.stop()
  }
}

/** A write stream that fsyncs before it closes, like Shoal's partial files. */
function syncedOutput (out: string): { ws: WriteStream, closed: Promise<unknown> } {
  const ws = createWriteStream(out, { flush: true, highWaterMark: READ_BLOCK_BYTES })
  return { ws, closed: once(ws, 'close') }
}

function print (value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

async function tlsServer (file: string, keyPath: string, certPath: string): Promise<void> {
  const [key, cert] = await Promise.all([readFile(keyPath), readFile(certPath)])
  const server = tls.createServer({ key, cert }, (socket) => {
    pipeline(createReadStream(file, { highWaterMark: READ_BLOCK_BYTES }), socket).catch((err: unknown) => {
      process.stderr.write(`tls-server: ${String(err)}\n`)
      process.exitCode = 1
    })
  })
  server.listen(0, '127.0.0.1', () => { print({ port: (server.address() as { port: number }).port }) })
}

async function tlsClient (port: string, out: string): Promise<void> {
  const { ws, closed } = syncedOutput(out)
  const cpu = process.cpuUsage()
  const started = performance.now()
  await pipeline(tls.connect({ host: '127.0.0.1', port: Number(port), rejectUnauthorized: false }), ws)
  await closed
  print({ ms: performance.now() - started, bytes: ws.bytesWritten, cpuMs: cpuMsSince(cpu) })
}

function cpuMsSince (start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1000
}

/** A libp2p node with Shoal's stack and no Shoal protocols (loaded lazily: the parent never needs libp2p). */
async function bareNode (listen: string[]): Promise<Libp2p> {
  const [{ createShoalLibp2p }, { generateKeyPair }] = await Promise.all([import('../src/net/create-libp2p.js'), import('@libp2p/crypto/keys')])
  return await createShoalLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen, maxConnections: 16, mdns: false, bootstrap: [] })
}

async function p2pServer (file: string): Promise<void> {
  const node = await bareNode(['/ip4/127.0.0.1/tcp/0'])
  await node.handle(COPY_PROTOCOL, async (stream: Stream) => {
    for await (const block of createReadStream(file, { highWaterMark: READ_BLOCK_BYTES })) {
      if (!stream.send(block as Buffer)) await stream.onDrain()
    }
    await stream.close()
  })
  await node.start()
  print({ addr: node.getMultiaddrs()[0]?.toString() })
}

async function p2pClient (addr: string, out: string): Promise<void> {
  const [node, { multiaddr }] = await Promise.all([bareNode([]), import('@multiformats/multiaddr')])
  await node.start()
  const { ws, closed } = syncedOutput(out)
  const cpu = process.cpuUsage()
  const started = performance.now()
  const stream = await node.dialProtocol(multiaddr(addr), COPY_PROTOCOL)
  // Pause while the disk catches up. A paused yamux stream withholds window
  // updates, but up to a full window (at most 16 MiB) may still arrive, so the
  // read buffer must hold more than that (its default, 4 MiB, resets the stream).
  stream.maxReadBufferLength = PAUSED_READ_BUFFER_BYTES
  const onDrain = (): void => { if (stream.readStatus === 'paused') stream.resume() }
  stream.addEventListener('message', (evt: { data: Uint8Array | Uint8ArrayList }) => {
    let more = true
    for (const buf of evt.data instanceof Uint8Array ? [evt.data] : evt.data) more = ws.write(buf)
    if (!more && stream.readStatus === 'readable') {
      stream.pause()
      ws.once('drain', onDrain)
    }
  })
  await new Promise<void>((resolve, reject) => {
    stream.addEventListener('end', () => { resolve() }, { once: true })
    stream.addEventListener('close', (evt) => { if (evt.error != null) reject(evt.error); else resolve() }, { once: true })
  })
  ws.end()
  await closed
  print({ ms: performance.now() - started, bytes: ws.bytesWritten, cpuMs: cpuMsSince(cpu) })
  await stream.close()
  await node.stop()
}

const ROLES: Record<string, (...args: string[]) => Promise<void>> = {
  'tls-server': tlsServer,
  'tls-client': tlsClient,
  'p2p-server': p2pServer,
  'p2p-client': p2pClient
}

if (process.argv[2] === '--role') {
  const role = ROLES[process.argv[3] ?? '']
  if (role === undefined) throw new ShoalError('ERR_INVALID_ARGUMENT', `unknown role ${String(process.argv[3])}`)
  await role(...process.argv.slice(4))
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, outDir] = process.argv.slice(2)
  if (file === undefined || outDir === undefined) throw new ShoalError('ERR_INVALID_ARGUMENT', 'usage: tls-baseline.ts FILE OUT_DIR')
  const cert = await makeSelfSignedCert(outDir)
  const out = join(outDir, 'baseline.out')
  print({ tls: await runTlsCopy(file, out, cert, { timeoutMs: 600_000 }) })
  await rm(out, { force: true })
  print({ libp2p: await runLibp2pCopy(file, out, { timeoutMs: 600_000 }) })
  await rm(out, { force: true })
}
