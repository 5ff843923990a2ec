import { describe, it, before, after, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import {
  assertNetnsAvailable, cleanupStale, createNetwork, DEFAULT_PREFIX, type Host, type Network
} from '../helpers/netns.js'

const CAP_MBIT = 20
const DOWNLOAD_CAP_MBIT = 40
const TRANSFER_BYTES = 5 * 1024 * 1024
const SCRIPT_TIMEOUT_MS = 15_000
const HARNESS = fileURLToPath(new URL('../helpers/netns.ts', import.meta.url))

/** TCP echo server on argv[1]; prints its port once listening. */
const ECHO_SERVER = `const s = require('net').createServer((c) => c.pipe(c))
s.listen(0, process.argv[1], () => console.log(s.address().port))`
/** Connects to argv[1]:argv[2], sends argv[3]; prints the echo, or the error code. */
const CLIENT = `const c = require('net').connect(+process.argv[2], process.argv[1])
let got = ''
c.on('connect', () => c.end(process.argv[3] ?? ''))
c.on('data', (d) => { got += d })
c.on('end', () => console.log('echo:' + got))
c.on('error', (e) => console.log(e.code))`
/** Receives one TCP stream on argv[1]; prints its port, then the payload rate after the first chunk. */
const SINK = `const s = require('net').createServer((c) => {
  let bytes = 0, first = 0n, last = 0n
  c.on('data', (d) => { last = process.hrtime.bigint(); if (first === 0n) first = last; else bytes += d.length })
  c.on('end', () => { console.log(JSON.stringify({ bytes, seconds: Number(last - first) / 1e9 })); s.close() })
})
s.listen(0, process.argv[1], () => console.log(s.address().port))`
/** Sends argv[3] zero bytes to argv[1]:argv[2]. */
const SOURCE = `const c = require('net').connect(+process.argv[2], process.argv[1], () => c.end(Buffer.alloc(+process.argv[3])))`
/** Joins the mDNS group on 5353 the way mDNS responders do; prints 'ready', then the first packet. */
const MDNS_LISTENER = `const d = require('dgram').createSocket({ type: 'udp4', reuseAddr: true })
d.on('message', (m, r) => { console.log(JSON.stringify({ text: m.toString(), from: r.address })); d.close() })
d.bind(5353, () => { d.addMembership('224.0.0.251', process.argv[1]); console.log('ready') })`
/** Sends to 224.0.0.251:5353 every 50 ms, choosing no interface: the multicast route must. */
const MDNS_SENDER = `const d = require('dgram').createSocket('udp4')
setInterval(() => d.send('hello mdns', 5353, '224.0.0.251'), 50)`

interface Started { child: ChildProcess, first: string, output: Promise<string> }

/** Spawns `argv` and resolves with its first stdout line; `output` is all of stdout at a clean exit. */
async function start (spawnIt: () => ChildProcess): Promise<Started> {
  const child = spawnIt()
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (d) => { stderr += String(d) })
  const output = new Promise<string>((resolve, reject) => {
    child.on('close', (code) => { code === 0 ? resolve(stdout) : reject(new Error(`exit ${code}: ${stderr}`)) })
  })
  output.catch(() => {}) // observed through `first` if it fails early
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no output within ${SCRIPT_TIMEOUT_MS} ms: ${stderr}`)), SCRIPT_TIMEOUT_MS)
    child.stdout?.on('data', (d) => {
      stdout += String(d)
      if (stdout.includes('\n')) { clearTimeout(timer); resolve(stdout.slice(0, stdout.indexOf('\n'))) }
    })
    output.catch((err) => { clearTimeout(timer); reject(err) })
  })
  return { child, first, output }
}

/** Runs a node script inside `host`. */
async function script (host: Host, source: string, ...args: string[]): Promise<Started> {
  return await start(() => host.exec([process.execPath, '-e', source, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }))
}

/** Runs a node script inside `host` to completion and returns its stdout. */
async function runScript (host: Host, source: string, ...args: string[]): Promise<string> {
  const result = await host.run([process.execPath, '-e', source, ...args], { signal: AbortSignal.timeout(SCRIPT_TIMEOUT_MS) })
  assert.equal(result.code, 0, result.stderr)
  return result.stdout.trim()
}

/** Mbit/s of application payload sent from `from` to `to` over one TCP connection. */
async function throughputMbit (from: Host, to: Host): Promise<number> {
  const sink = await script(to, SINK, to.ip)
  await runScript(from, SOURCE, to.ip, sink.first, String(TRANSFER_BYTES))
  const { bytes, seconds } = JSON.parse((await sink.output).trim().split('\n')[1] ?? '')
  assert.ok(bytes > TRANSFER_BYTES * 0.9, `received ${bytes} bytes`)
  return bytes * 8 / seconds / 1e6
}

async function medianOf3 (measure: () => Promise<number>): Promise<{ median: number, runs: number[] }> {
  const runs = [await measure(), await measure(), await measure()]
  return { median: [...runs].sort((x, y) => x - y)[1] as number, runs }
}

/** Asserts the median within [0.7, 1.15] × cap, and reports the numbers in the test output. */
function assertRate (t: TestContext, measured: { median: number, runs: number[] }, cap: number): void {
  const detail = `median ${measured.median.toFixed(2)} Mbit/s of runs ${measured.runs.map((r) => r.toFixed(2)).join(', ')} against a ${cap} Mbit/s cap`
  t.diagnostic(detail)
  assert.ok(measured.median >= cap * 0.7 && measured.median <= cap * 1.15, detail)
}

function ourNamespaces (): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n !== '')
}

function rootLinks (): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').map((l) => l.split(':')[1]?.trim() ?? '').filter((n) => n !== '').sort()
}

/** True unless `pid` is gone or a zombie (a zombie has left its namespace already). */
function isRunning (pid: string): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** Runs a child process that builds a network with the harness, prints its namespaces, then does `then`. */
async function childWithNetwork (then: string, prefix = DEFAULT_PREFIX): Promise<{ child: ChildProcess, namespaces: string[] }> {
  const source = `import { createNetwork } from ${JSON.stringify(HARNESS)}
const net = await createNetwork([{ name: 'x' }, { name: 'y' }], { prefix: ${JSON.stringify(prefix)} })
net.hosts[0].exec(['sleep', '600'])
setTimeout(() => { console.log(JSON.stringify(net.namespaces)); ${then} }, 200)
setInterval(() => {}, 1000)`
  const started = await start(() => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'pipe'] }))
  return { child: started.child, namespaces: JSON.parse(started.first) }
}

describe('netns multi-host harness', { timeout: 120_000 }, () => {
  let net: Network
  let a: Host
  let b: Host
  let c: Host
  before(async () => {
    net = await createNetwork([{ name: 'a' }, { name: 'b', uploadMbit: CAP_MBIT }, { name: 'c', downloadMbit: DOWNLOAD_CAP_MBIT }])
    ;[a, b, c] = [net.host('a'), net.host('b'), net.host('c')]
  })
  after(async () => { await net?.destroy() })

  it('is available here', async () => {
    await assertNetnsAvailable()
  })

  it('fails loudly, saying what it needs, where iproute2 cannot be run', async (t) => {
    const path = process.env.PATH
    t.after(() => { process.env.PATH = path })
    process.env.PATH = '/nonexistent'
    await assert.rejects(assertNetnsAvailable(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_INTERNAL')
      assert.match(err.message, /^multi-host tests need root, iproute2 .*ENOENT/)
      return true
    })
  })

  it('gives each host its own address, a subnet route and a multicast route, and nothing else', async () => {
    assert.deepEqual(net.hosts.map((h) => h.ip), ['10.231.0.1', '10.231.0.2', '10.231.0.3'])
    const routes = (await a.run(['ip', 'route', 'show'])).stdout
    assert.match(routes, /^10\.231\.0\.0\/24 dev eth0/m)
    assert.match(routes, /^224\.0\.0\.0\/4 dev eth0/m)
    assert.equal(routes.trim().split('\n').length, 2, routes)
    // a route lookup only (no packet is sent): nothing beyond the subnet is reachable
    const outside = await a.run(['ip', 'route', 'get', '192.0.2.1'])
    assert.notEqual(outside.code, 0)
    assert.match(outside.stderr, /unreachable/i)
  })

  it('lets every host reach every other host over TCP', async () => {
    const servers = await Promise.all(net.hosts.map(async (h) => await script(h, ECHO_SERVER, h.ip)))
    try {
      const pairs = net.hosts.flatMap((from) => net.hosts.map((to, i) => ({ from, to, port: servers[i]?.first ?? '' })).filter((p) => p.to !== from))
      const echoes = await Promise.all(pairs.map(async (p) => await runScript(p.from, CLIENT, p.to.ip, p.port, `${p.from.name}>${p.to.name}`)))
      assert.deepEqual(echoes, pairs.map((p) => `echo:${p.from.name}>${p.to.name}`))
    } finally {
      for (const s of servers) s.child.kill()
    }
  })

  it('isolates loopbacks: neither another host nor the test process is reachable on 127.0.0.1', async (t) => {
    const local = await script(a, ECHO_SERVER, '127.0.0.1')
    t.after(() => local.child.kill())
    assert.equal(await runScript(a, CLIENT, '127.0.0.1', local.first, 'self'), 'echo:self')
    assert.equal(await runScript(b, CLIENT, '127.0.0.1', local.first), 'ECONNREFUSED')
    assert.equal(await runScript(b, CLIENT, a.ip, local.first), 'ECONNREFUSED')

    const root = createServer((s) => s.end())
    root.listen(0, '127.0.0.1')
    await once(root, 'listening')
    t.after(() => root.close())
    const port = String((root.address() as { port: number }).port)
    assert.equal(await runScript(c, CLIENT, '127.0.0.1', port), 'ECONNREFUSED')
  })

  it('caps a host\'s upload at its configured rate', async (t) => {
    assertRate(t, await medianOf3(async () => await throughputMbit(b, a)), CAP_MBIT)
  })

  it('caps a host\'s download at its configured rate', async (t) => {
    assertRate(t, await medianOf3(async () => await throughputMbit(a, c)), DOWNLOAD_CAP_MBIT)
  })

  it('changes and removes an upload cap live', async (t) => {
    await a.setUploadMbit(CAP_MBIT * 2)
    assert.match((await a.run(['tc', 'qdisc', 'show', 'dev', 'eth0'])).stdout, /tbf .*rate 40Mbit /)
    await a.setUploadMbit(CAP_MBIT)
    assertRate(t, await medianOf3(async () => await throughputMbit(a, b)), CAP_MBIT)
    await a.setUploadMbit(undefined)
    await a.setUploadMbit(undefined)
    assert.doesNotMatch((await a.run(['tc', 'qdisc', 'show', 'dev', 'eth0'])).stdout, /tbf/)
    const uncapped = await throughputMbit(a, b)
    t.diagnostic(`uncapped: ${uncapped.toFixed(0)} Mbit/s`)
    assert.ok(uncapped > CAP_MBIT * 2, 'an uncapped transfer is far above the old cap')
  })

  it('delivers an mDNS multicast packet from one host to the others', async (t) => {
    const listeners = await Promise.all([b, c].map(async (h) => await script(h, MDNS_LISTENER, h.ip)))
    const sender = a.exec([process.execPath, '-e', MDNS_SENDER], { stdio: 'ignore' })
    t.after(() => sender.kill())
    for (const listener of listeners) {
      assert.equal(listener.first, 'ready')
      const lines = (await listener.output).trim().split('\n')
      assert.deepEqual(JSON.parse(lines[1] ?? ''), { text: 'hello mdns', from: a.ip })
    }
  })

  it('rejects bad host specs before touching anything', async () => {
    const bad = [[], [{ name: 'a' }, { name: 'a' }], [{ name: 'Bad_Name' }], [{ name: 'a', uploadMbit: 0 }], [{ name: 'a', downloadMbit: Number.NaN }]]
    for (const specs of bad) await assert.rejects(createNetwork(specs), { code: 'ERR_INVALID_ARGUMENT' })
    await assert.rejects(createNetwork([{ name: 'a' }], { prefix: 'no-dash' }), { code: 'ERR_INVALID_ARGUMENT' })
    await assert.rejects(a.setUploadMbit(-1), { code: 'ERR_INVALID_ARGUMENT' })
    assert.throws(() => net.host('nobody'), { code: 'ERR_INVALID_ARGUMENT' })
  })

  it('destroy kills what runs inside, removes every namespace and leaves the root namespace as it was; twice is fine', async () => {
    const linksBefore = rootLinks()
    const other = await createNetwork([{ name: 'p' }, { name: 'q', uploadMbit: 5 }])
    assert.equal(other.namespaces.length, 3)
    assert.ok(other.namespaces.every((ns) => ourNamespaces().includes(ns)))
    const sleeper = once(other.host('p').exec(['sleep', '600']), 'exit')
    await other.destroy()
    assert.deepEqual(await sleeper, [null, 'SIGKILL'])
    assert.deepEqual(ourNamespaces().filter((ns) => other.namespaces.includes(ns)), [])
    assert.deepEqual(rootLinks(), linksBefore)
    await other.destroy()
  })

  it('cleans up when the process exits on an uncaught error, and on SIGTERM', async () => {
    const endings = [
      { then: 'throw new Error(\'crash\')', exit: [1, null] },
      { then: 'process.kill(process.pid, \'SIGTERM\')', exit: [null, 'SIGTERM'] } // the signal still ends the process
    ]
    for (const { then, exit } of endings) {
      const { child, namespaces } = await childWithNetwork(then)
      assert.deepEqual(await once(child, 'exit'), exit)
      assert.deepEqual(ourNamespaces().filter((ns) => namespaces.includes(ns)), [], then)
    }
  })

  it('sweeps the leftovers of a SIGKILLed run, and only those', async (t) => {
    // a prefix of our own, so that a parallel run's sweep cannot beat us to these leftovers
    const prefix = `shoalk${randomBytes(3).toString('hex')}`
    t.after(async () => { await cleanupStale(prefix) })
    const alive = await createNetwork([{ name: 'l' }], { prefix })
    t.after(async () => { await alive.destroy() })
    const { child, namespaces } = await childWithNetwork('', prefix)
    assert.ok(namespaces.every((ns) => ourNamespaces().includes(ns)))
    child.kill('SIGKILL')
    await once(child, 'exit')
    assert.ok(namespaces.every((ns) => ourNamespaces().includes(ns)), 'SIGKILL leaves them behind')
    const orphans = namespaces.flatMap((ns) => execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter((p) => p !== ''))
    assert.equal(orphans.length, 1, 'the child\'s `sleep` outlives it')
    const removed = await cleanupStale(prefix)
    assert.deepEqual(namespaces.filter((ns) => !removed.includes(ns)), [])
    assert.deepEqual(ourNamespaces().filter((ns) => namespaces.includes(ns)), [])
    assert.deepEqual(orphans.filter(isRunning), [])
    assert.ok(alive.namespaces.every((ns) => ourNamespaces().includes(ns)), 'a live run is never swept')
  })
})
