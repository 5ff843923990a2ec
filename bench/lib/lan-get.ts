/**
 * `shoal get` of a small file through a running node, on three LAN hosts
 * (network namespaces, test/helpers/netns.ts): seeders s10, s30 and s60 and a
 * downloader host `d` running `shoal start`. Each run shares a fresh 1 MiB
 * file on the three seeders (untimed), then times `shoal get ID --peer …×3`
 * inside `d`, spawn to exit, and verifies the copy. First with no caps, then
 * with the seeders' uploads capped at 10, 30 and 60 Mbit/s (tbf).
 * Needs root (it fails with the harness's message otherwise).
 */
import { randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assertNetnsAvailable, createNetwork } from '../../test/helpers/netns.js'
import { collect, sha256File } from '../../test/helpers/cli.js'
import { shareOn, spawnShoalOn, startNodeOn, type HostNode } from '../../test/helpers/host-nodes.js'
import { ShoalError } from '../../src/errors.js'
import { MiB, median, round } from './stats.js'

/** The file of the LAN figures. */
export const LAN_FILE_BYTES = MiB
/** Upload caps of the capped runs, Mbit/s, one per seeder. */
export const LAN_CAPS_MBIT = [10, 30, 60] as const
const GET_TIMEOUT_MS = 60_000

/** Timed gets with and without caps. */
export interface LanGetResult {
  uncapped: { runsMs: number[], medianMs: number }
  capped: { runsMs: number[], medianMs: number }
}

/** Runs `runs` timed gets uncapped, then `runs` capped. */
export async function runLanGets (o: { dir: string, runs: number, log: (line: string) => void }): Promise<LanGetResult> {
  await assertNetnsAvailable()
  const names = LAN_CAPS_MBIT.map(mbit => `s${mbit}`)
  const net = await createNetwork([...names.map(name => ({ name })), { name: 'd' }])
  const nodes: HostNode[] = []
  try {
    for (const name of [...names, 'd']) nodes.push(await startNodeOn(net.host(name), join(o.dir, `${name}.node`)))
    const seeders = nodes.slice(0, names.length)
    const d = nodes[names.length]!
    let n = 0
    const series = async (label: string): Promise<{ runsMs: number[], medianMs: number }> => {
      const runsMs: number[] = []
      for (let i = 0; i < o.runs; i++) {
        const ms = await timedGet(o.dir, `lan-${n++}`, seeders, d)
        runsMs.push(ms)
        o.log(`  latency: LAN get 1 MiB through a node, ${label}: ${(ms / 1000).toFixed(3)} s`)
      }
      return { runsMs, medianMs: median(runsMs) }
    }
    const uncapped = await series('uncapped')
    for (const [i, mbit] of LAN_CAPS_MBIT.entries()) await net.host(names[i]!).setUploadMbit(mbit)
    const capped = await series(`uploads capped ${LAN_CAPS_MBIT.join('/')} Mbit/s`)
    return { uncapped, capped }
  } finally {
    await Promise.all(nodes.map(async node => { await node.kill() }))
    await net.destroy()
  }
}

/** Shares a fresh file on every seeder, then times its get through `d`'s node and verifies it. */
async function timedGet (dir: string, name: string, seeders: readonly HostNode[], d: HostNode): Promise<number> {
  const src = join(dir, `${name}.bin`)
  const out = join(dir, `${name}.out`)
  await writeFile(src, randomBytes(LAN_FILE_BYTES))
  try {
    const ids = await Promise.all(seeders.map(async s => await shareOn(s, src)))
    const started = performance.now()
    const r = await collect(spawnShoalOn(d.host, ['get', ids[0]!, '-o', out, '--data-dir', d.dataDir, '--json', ...seeders.flatMap(s => ['--peer', s.addr])]), GET_TIMEOUT_MS)
    const ms = performance.now() - started
    if (r.code !== 0) throw new ShoalError('ERR_INTERNAL', `shoal get on ${d.host.name} exited with ${String(r.code)}: ${r.stderr}`)
    if (await sha256File(out) !== await sha256File(src)) throw new ShoalError('ERR_CHUNK_CORRUPT', `${out} does not match ${src}`)
    return round(ms, 1)
  } finally {
    await rm(out, { force: true })
    await rm(src, { force: true })
  }
}
