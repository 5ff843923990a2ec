/**
 * Distributed storage on real hosts (issue 10): six network-namespace hosts,
 * every upload capped at 50 Mbit/s with tbf, a `shoal start` node on each,
 * a tracker on host 6. Nodes 1–5 form a mesh (each bootstrapped to those
 * before it; no mDNS, no DHT); node 6 knows only the tracker, so what it
 * downloads it finds by file ID alone. Needs root; without it the test fails
 * loudly (assertNetnsAvailable), never skips. Node 6 takes no pushed copies
 * (`distribution.acceptPushes` off): it is the downloader, holders are 1–5.
 *
 * The story: with one peer only, `share --distribute` is refused and leaves
 * nothing anywhere; with five, a 32 MiB file (the 256 MiB is the
 * bench's figure, `npm run bench -- --only distribute`; 32 MiB keeps this
 * test within ~3 minutes on a loaded two-core machine) is pushed with
 * `--replicas 2`, and the map shows every chunk on two distinct hosts, each
 * really kept on disk; the uploader is killed (-9) and node 6 still gets the
 * file, verified; with a 5 s repair delay the uploader's copies are made
 * again, then a holder is killed for good and its copies are made again
 * too — every chunk back at two live holders, the dead ones gone from the
 * map — and a fresh node, given only the ID and the tracker, still gets the
 * file, verified.
 */
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { assertNetnsAvailable } from '../helpers/netns.js'
import { sha256File, tempDir, writeRandomFile, type RunResult } from '../helpers/cli.js'
import { shoalOn, startNodeOn, type HostNode } from '../helpers/host-nodes.js'
import { onNetwork } from '../helpers/swarm-scenarios.js'
import {
  busiest, catalogOn, chunkHashes, filesUnder, jsonOf, mapOn, mapProblems, missingOnDisk, shareDistributed, startMesh, startTrackerOn, timedShoal, waitForMap, waitOnDisk,
  type DistributedShare
} from '../helpers/distribute-hosts.js'
import { chunkSizeFor } from '../../src/content/chunk-size.js'

const MIB = 1024 * 1024
const FILE_BYTES = 32 * MIB
const SMALL_FILE_BYTES = 4 * MIB
const UPLOAD_MBIT = 50
const REPLICAS = 2
const REPAIR_DELAY_S = 5
const TRACKER_PORT = 7000
/**
 * From a holder's death to a whole map: the repair delay, the watch's probes,
 * then copies of ≤ 16 MiB at the survivors' 50 Mbit/s caps (~1 s each way);
 * the rest is room for a loaded two-core machine running seven nodes.
 */
const REPAIR_BOUND_MS = (REPAIR_DELAY_S + 55) * 1000

/** A repaired map may name a copy still in flight from another survivor (waitOnDisk): it lands within this. */
const COPIES_LAND_MS = 30_000

/** `shoal get --json`. */
interface GetOutput { id: string, size: number, peers: Array<{ peerId: string, bytes: number }> }

before(async () => { await assertNetnsAvailable() })

/** Asserts a finished `get` printed a verified copy of `src` at `out`, served only by `holders`. */
async function assertGot (r: RunResult, out: string, src: string, holders: ReadonlySet<string>, what: string): Promise<GetOutput> {
  const got = jsonOf<GetOutput>(r, what)
  assert.equal(got.size, FILE_BYTES)
  assert.equal(await sha256File(out), await sha256File(src), `${what}: the bytes differ from the source`)
  const servers = got.peers.filter(p => p.bytes > 0).map(p => p.peerId)
  assert.ok(servers.length > 0 && servers.every(p => holders.has(p)), `${what}: served by ${servers.join(', ')}, not only live holders`)
  return got
}

test('six hosts at 50 Mbit/s: refused with one peer; pushed with 2 replicas, survives its uploader, repaired after a holder dies', { timeout: 280_000 }, async (t) => {
  const dir = await tempDir(t)
  const src = join(dir, 'big.bin')
  const small = join(dir, 'small.bin')
  await writeRandomFile(src, FILE_BYTES)
  await writeRandomFile(small, SMALL_FILE_BYTES)
  const hashes = await chunkHashes(src, chunkSizeFor(FILE_BYTES))
  const specs = [1, 2, 3, 4, 5, 6].map(i => ({ name: `h${i}`, uploadMbit: UPLOAD_MBIT }))

  await onNetwork(specs, async (net, nodes) => {
    const tracker = await startTrackerOn(net.host('h6'), TRACKER_PORT)
    const env = { SHOAL_NETWORK_TRACKERS: tracker.url, SHOAL_DISTRIBUTION_REPAIR_DELAY_SECONDS: String(REPAIR_DELAY_S) }
    const [n1, n2] = await startMesh([net.host('h1'), net.host('h2')], dir, nodes, { env }) as [HostNode, HostNode]

    // One peer only: refused before anything is pushed, nothing left on either node.
    const refused = await shareDistributed(n1, small, { replicas: REPLICAS })
    assert.ok(refused.code !== 0 && refused.code !== null, `share --distribute with one peer exited ${String(refused.code)}: ${refused.stdout}`)
    assert.match(refused.stderr, /^shoal: .*\(ERR_DISTRIBUTION_REQUIRED\)\n$/, 'one line naming the code')
    assert.equal((JSON.parse(refused.stdout) as { error: { code: string } }).error.code, 'ERR_DISTRIBUTION_REQUIRED')
    for (const n of [n1, n2]) {
      assert.deepEqual(await catalogOn(n), [], `${n.host.name}'s catalog`)
      assert.deepEqual(await filesUnder(join(n.dataDir, 'chunks')), [], `${n.host.name}'s chunks/`)
      assert.deepEqual(await filesUnder(join(n.dataDir, 'uploads')), [], `${n.host.name}'s uploads/`)
    }

    // Five peers: pushed, every chunk on two distinct hosts, each copy on disk.
    const [n3, n4, n5] = await startMesh([net.host('h3'), net.host('h4'), net.host('h5')], dir, nodes, { already: [n1, n2], env }) as [HostNode, HostNode, HostNode]
    // Node 6 only downloads: it takes no pushed copies, so the holders are nodes 1–5 throughout.
    const n6 = await startNodeOn(net.host('h6'), join(dir, 'h6.node'), { env: { ...env, SHOAL_DISTRIBUTION_ACCEPT_PUSHES: 'false' } })
    nodes.push(n6)
    const pushed = await shareDistributed(n1, src, { replicas: REPLICAS })
    const share = jsonOf<DistributedShare>(pushed, 'share --distribute')
    t.diagnostic(`pushed ${FILE_BYTES / MIB} MiB × ${REPLICAS} in ${(pushed.ms / 1000).toFixed(1)} s (share spawn to exit); holders ${JSON.stringify(share.distribution.holders)}`)
    assert.equal(share.chunks, hashes.length)
    assert.equal(share.distribution.replicas, REPLICAS)
    const mesh = [n1, n2, n3, n4, n5]
    const first = await mapOn(n2, share.id)
    assert.deepEqual(mapProblems(first, REPLICAS, new Set(mesh.map(n => n.peerId)), share.chunks), [])
    assert.deepEqual(first.holders, share.distribution.holders, 'a holder\'s map is the one the uploader reported')
    for (const n of [n2, n3, n4, n5]) assert.deepEqual(await missingOnDisk(n, first, hashes), [], `chunks the map gives ${n.host.name} are in its chunks/`)

    // The uploader killed: node 6, given only the ID, gets the file from the holders.
    await n1.kill()
    const killedAt = Date.now()
    const holdersNow = new Set([n2, n3, n4, n5].map(n => n.peerId))
    const out1 = join(dir, 'out1.bin')
    const get1 = await timedShoal(n6, ['get', share.id, '-o', out1, '--json'])
    await assertGot(get1, out1, src, holdersNow, 'get on h6 without the uploader')
    t.diagnostic(`get on h6 without the uploader: ${(get1.ms / 1000).toFixed(1)} s`)

    // The uploader's copies made again on the live holders (it is a holder too: round-robin keeps its share).
    const afterUploader = await waitForMap(n2, share.id, REPLICAS, holdersNow, share.chunks, REPAIR_BOUND_MS)
    t.diagnostic(`uploader's ${first.holders[n1.peerId] ?? 0} copies re-made ${((afterUploader.at - killedAt) / 1000).toFixed(1)} s after its death`)
    // The next death comes after this repair is done: every copy of its map on disk (a map is
    // published as its signer's copies land; those it names from other survivors follow).
    await Promise.all([n2, n3, n4, n5].map(async n => await waitOnDisk(n, afterUploader.map, hashes, COPIES_LAND_MS)))

    // A holder killed for good: its copies are made again within the bound.
    const victim = busiest(afterUploader.map, [n3, n4, n5])
    const lost = afterUploader.map.holders[victim.peerId] ?? 0
    assert.ok(lost > 0, 'the victim holds copies')
    await victim.kill()
    const victimKilledAt = Date.now()
    const live = [n2, n3, n4, n5].filter(n => n !== victim)
    const repaired = await waitForMap(n2, share.id, REPLICAS, new Set(live.map(n => n.peerId)), share.chunks, REPAIR_BOUND_MS)
    t.diagnostic(`${victim.host.name}'s ${lost} copies re-made ${((repaired.at - victimKilledAt) / 1000).toFixed(1)} s after its death (repair delay ${REPAIR_DELAY_S} s); holders ${JSON.stringify(repaired.map.holders)}`)
    const landed = Math.max(...await Promise.all(live.map(async n => await waitOnDisk(n, repaired.map, hashes, COPIES_LAND_MS))))
    t.diagnostic(`every copy of the repaired map on disk ${((landed - victimKilledAt) / 1000).toFixed(1)} s after the death`)

    // A fresh node on host 6, given only the ID and the tracker, still gets a verified copy.
    const out2 = join(dir, 'out2.bin')
    const get2 = await shoalOn(net.host('h6'), ['get', share.id, '-o', out2, '--data-dir', join(dir, 'h6.fresh'), '--json'], { SHOAL_NETWORK_TRACKERS: tracker.url })
    // Node 6 got the file whole above and seeds it like any downloader: a source too.
    await assertGot(get2, out2, src, new Set([...live, n6].map(n => n.peerId)), 'fresh get on h6 after the repair')
  })
})
