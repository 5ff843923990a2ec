/**
 * The swarm engine across real hosts: network namespaces on one bridge, each
 * host's upload capped with tbf, a `shoal start` node in each. Needs root;
 * without it every test here fails loudly (assertNetnsAvailable), never skips.
 * The scenarios live in ../helpers/swarm-scenarios.ts, shared with the bench.
 */
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { assertNetnsAvailable } from '../helpers/netns.js'
import { tempDir } from '../helpers/cli.js'
import { allSeedersGone, corruptSeeder, endgame, killedAndFrozen, swarmOfEight, threeSeeders } from '../helpers/swarm-scenarios.js'

/** Progress events come every 250 ms: a measured instant may be that late. */
const TICK_S = 0.25

before(async () => { await assertNetnsAvailable() })

test('three seeders at 10/30/60 Mbit/s: ≥ 85 % of the sum, shares within ±10 points of bandwidth', async (t) => {
  const f = await threeSeeders(await tempDir(t))
  t.diagnostic(JSON.stringify(f))
  assert.ok(f.ratio >= 0.85, `aggregate ${f.aggregateMbit.toFixed(1)} Mbit/s is ${(f.ratio * 100).toFixed(1)} % of 100`)
  for (const s of f.shares) {
    assert.ok(Math.abs(s.byteShare - s.bandwidthShare) <= 0.10, `${s.peer}: ${(s.byteShare * 100).toFixed(1)} % of the bytes for ${(s.bandwidthShare * 100).toFixed(0)} % of the bandwidth`)
  }
})

test('a seeder killed and another frozen mid-download: the third finishes it, one stall deadline lost at most', async (t) => {
  const f = await killedAndFrozen(await tempDir(t))
  t.diagnostic(JSON.stringify(f))
  assert.ok(f.afterFaultSeconds <= f.boundSeconds + 2 * TICK_S + 1,
    `${f.afterFaultSeconds.toFixed(1)} s after the faults; the survivor alone needs ${(f.boundSeconds - f.stallTimeoutMs / 1000).toFixed(1)} s plus a ${f.stallTimeoutMs / 1000} s deadline`)
  assert.notEqual(f.frozenPeerState, 'active', 'the frozen seeder is not counted as active')
})

test('a seeder serving corrupt chunks: the file verifies, the bad peer is banned and credited nothing', async (t) => {
  const f = await corruptSeeder(await tempDir(t))
  t.diagnostic(JSON.stringify(f))
  assert.equal(f.badPeerState, 'banned')
  assert.equal(f.badPeerBytes, 0)
})

test('all seeders gone at 50 %: stalled, naming them; a seeder returns and the job resumes within one resume interval', async (t) => {
  const f = await allSeedersGone(await tempDir(t))
  t.diagnostic(JSON.stringify(f))
  assert.equal(f.missingPeers, 2)
  assert.ok(f.resumedAfterSeconds <= f.resumeIntervalSeconds + 2 * TICK_S + 1, `resumed ${f.resumedAfterSeconds.toFixed(1)} s after the seeder came back`)
})

/**
 * A guard of behaviour, not the figure: the figure (issue 13 asks ≤ 1.3× at
 * 48 MiB) is `npm run bench`'s median. Single runs here measure 1.5–1.9× on
 * an idle machine and up to 2.5× on a loaded CI runner, on two vCPUs running
 * ten nodes. What this asserts is that the downloaders find each other, get
 * most bytes from each other, and all finish far sooner than the 8× of the
 * seeder serving everyone alone.
 */
test('one seeder, eight downloaders given only its address, 20 Mbit/s uploads: they swarm', async (t) => {
  const f = await swarmOfEight(await tempDir(t))
  t.diagnostic(JSON.stringify(f))
  assert.ok(f.fromPeersShare > 0.5, `only ${(f.fromPeersShare * 100).toFixed(0)} % of the bytes came from other downloaders`)
  assert.ok(f.seederCopies <= 3, `the seeder sent each chunk ${f.seederCopies.toFixed(2)} times`)
  assert.ok(f.ratio <= 3, `eight took ${f.swarmSeconds.toFixed(1)} s, one alone ${f.singleSeconds.toFixed(1)} s: ${f.ratio.toFixed(2)}×`)
})

test('endgame: a 1 Mbit/s peer among 30 Mbit/s ones does not hold up the end', async (t) => {
  const f = await endgame(await tempDir(t))
  t.diagnostic(JSON.stringify(f))
  assert.ok(f.slowPeerUploaded > 0, 'the slow peer was never asked for a chunk: nothing was tested')
  assert.ok(f.withSlowSeconds <= f.fastOnlySeconds + f.fastLastPercentSeconds + 2 * TICK_S,
    `${f.withSlowSeconds.toFixed(2)} s with the slow peer, ${f.fastOnlySeconds.toFixed(2)} s without (a chunk left with it would add ${f.slowChunkSeconds.toFixed(1)} s)`)
})
