/**
 * A tracker flood as an attacker would run it, plus honest peers announcing
 * from the same address meanwhile. Imported by the flood tests, and run as a
 * script inside a namespace host of the multi-host test:
 *
 *   node --import tsx test/tracker/flood.ts '<FloodOptions as JSON>'
 *
 * which prints the FloodReport as one JSON line.
 *
 * The flood: fresh Ed25519 keys (a validly signed Sybil, the worst case now
 * that signatures are required), each announcing `filesPerPeer` random file
 * IDs, `concurrency` requests in flight over keep-alive HTTP, for
 * `durationMs`. Honest peers announce `started` once, then `update` every
 * `intervalMs` through the real TrackerClient, retrying after 1 s on failure.
 */
import http from 'node:http'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { base32 } from 'multiformats/bases/base32'
import { signAnnounce } from '../../src/tracker/index.js'
import { TrackerClient } from '../../src/discovery/tracker-client.js'

/** What to flood, and how hard. */
export interface FloodOptions {
  url: string
  durationMs: number
  concurrency: number
  filesPerPeer: number
  /** Honest peers announcing from this address meanwhile. */
  honest: number
  /** Their re-announce interval (the tracker's). */
  intervalMs: number
  /** The address honest peers advertise (any; it is checked in the listing). */
  honestIp: string
}

/** An honest peer as it fared. */
export interface HonestReport {
  peerId: string
  file: string
  addr: string
  announces: number
  failures: number
  /** Longest time between two successful announces, ms. */
  maxGapMs: number
  /** Listed for its file at the end, at its own address. */
  listed: boolean
}

/** What the flood achieved. */
export interface FloodReport {
  sent: number
  accepted: number
  statuses: Record<string, number>
  honest: HonestReport[]
}

/** CIDv1 header of a raw block with a sha2-256 multihash: version, codec, hash code, length. */
const CID_PREFIX = Uint8Array.of(0x01, 0x55, 0x12, 0x20)

/** A random CIDv1 (raw, sha2-256 digest of nothing in particular), encoded directly: ~10× faster than building a CID. */
function randomCid (): string {
  const bytes = new Uint8Array(36)
  bytes.set(CID_PREFIX)
  bytes.set(randomBytes(32), 4)
  return base32.encode(bytes)
}

/** One validly signed announce of a fresh fake peer, as a JSON body. */
async function fakeAnnounce (filesPerPeer: number): Promise<Buffer> {
  const key = await generateKeyPair('Ed25519')
  const files = Array.from({ length: filesPerPeer }, randomCid)
  const body = await signAnnounce(key, { addrs: ['/ip4/6.6.6.6/tcp/4001'], files, event: 'started' }, Date.now())
  return Buffer.from(JSON.stringify(body))
}

/** POSTs one raw announce body (no client-side checks), resolving with the status code. */
export function postAnnounce (agent: http.Agent, url: URL, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      agent, host: url.hostname, port: url.port, path: '/announce', method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length }
    }, res => {
      res.resume()
      res.on('end', () => { resolve(res.statusCode ?? 0) })
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function honestPeer (o: FloodOptions, until: number): Promise<HonestReport> {
  const key = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key).toString()
  const client = new TrackerClient(o.url, { privateKey: key })
  const files = Array.from({ length: 10 }, randomCid)
  const file = files[0] as string
  const addr = `/ip4/${o.honestIp}/tcp/4001/p2p/${peerId}`
  const report: HonestReport = { peerId, file, addr, announces: 0, failures: 0, maxGapMs: 0, listed: false }
  let last = Date.now()
  let started = false
  while (Date.now() < until) {
    try {
      await client.announce({ addrs: [addr], files: started ? [] : files, event: started ? 'update' : 'started' })
      const now = Date.now()
      report.maxGapMs = Math.max(report.maxGapMs, now - last)
      last = now
      started = true
      report.announces++
      await sleep(o.intervalMs)
    } catch {
      // Counted, and retried soon as the node's announcer does.
      report.failures++
      await sleep(1000)
    }
  }
  report.maxGapMs = Math.max(report.maxGapMs, Date.now() - last)
  const holders = await client.findPeers(file)
  report.listed = holders.some(p => p.peerId === peerId && p.addrs.includes(addr))
  return report
}

/** Runs the flood and the honest peers side by side until `durationMs` is up. */
export async function flood (o: FloodOptions): Promise<FloodReport> {
  const url = new URL(o.url)
  const until = Date.now() + o.durationMs
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency })
  const statuses: Record<string, number> = {}
  let sent = 0
  const worker = async (): Promise<void> => {
    while (Date.now() < until) {
      const body = await fakeAnnounce(o.filesPerPeer)
      const status = await postAnnounce(agent, url, body).catch(() => 0)
      sent++
      statuses[status] = (statuses[status] ?? 0) + 1
    }
  }
  const honest = Array.from({ length: o.honest }, async () => await honestPeer(o, until))
  await Promise.all(Array.from({ length: o.concurrency }, worker))
  const reports = await Promise.all(honest)
  agent.destroy()
  return { sent, accepted: statuses[200] ?? 0, statuses, honest: reports }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await flood(JSON.parse(process.argv[2] ?? '{}') as FloodOptions)
  process.stdout.write(JSON.stringify(report) + '\n')
}
