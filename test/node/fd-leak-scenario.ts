/**
 * Run by fd-leak.test.ts in a child process (`--expose-gc --trace-warnings`):
 * three in-process nodes, many gets and cancels, then forced garbage
 * collection. A FileHandle that was dropped instead of closed makes Node print
 * "Closing file descriptor N on garbage collection" on stderr, which the test
 * looks for. Prints one JSON line with what it did.
 */
import '../../src/polyfill.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ShoalNode } from '../../src/node/node.js'
import { validateConfig } from '../../src/config/index.js'
import { writeRandomFile } from '../helpers/cli.js'

const MIB = 1024 * 1024
const ROUNDS = Number(process.argv[2] ?? 6)
const gc = (globalThis as { gc?: () => void }).gc
if (gc == null) throw new Error('run with --expose-gc')

const config = validateConfig({
  network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false },
  // Slow enough that a cancel lands mid-download.
  transfer: { uploadRateLimit: 16 * MIB }
}, 'test')

async function collect (): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc?.()
    await sleep(50)
  }
}

const dir = await mkdtemp(join(tmpdir(), 'shoal-fd-leak-'))
const nodes: ShoalNode[] = []
let gets = 0
let cancels = 0
try {
  for (const name of ['a', 'b', 'c']) {
    const n = new ShoalNode({ dataDir: join(dir, name), config })
    await n.start()
    nodes.push(n)
  }
  const [a, b, c] = nodes as [ShoalNode, ShoalNode, ShoalNode]
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 8 * MIB)
  const shared = await a.share(src)
  for (let round = 0; round < ROUNDS; round++) {
    // b fetches a whole copy, then serves it to c (b's copy is now open for reading)…
    const whole = await b.startDownload(shared.id, { output: join(dir, `b-${round}.bin`), peers: a.addrs })
    await whole.done
    gets++
    const fromB = await c.startDownload(shared.id, { output: join(dir, `c-${round}.bin`), peers: b.addrs })
    await fromB.done
    gets++
    // …and b starts another copy of the same file, cancelled half way; so does c.
    // Each forgets the file first: a node's own copy is a source, and would finish it at once.
    for (const node of [b, c]) {
      await node.remove(shared.id)
      const partial = await node.startDownload(shared.id, { output: join(dir, `${node === b ? 'b' : 'c'}-partial-${round}.bin`), peers: a.addrs })
      await sleep(100)
      node.cancel(partial.job.id)
      await partial.done.catch(() => undefined) // cancelled: rejects with ERR_ABORTED, which is the point
      cancels++
    }
    await collect()
  }
  await collect()
} finally {
  for (const n of nodes) await n.stop()
  await collect()
  await rm(dir, { recursive: true, force: true })
}
console.log(JSON.stringify({ gets, cancels }))
