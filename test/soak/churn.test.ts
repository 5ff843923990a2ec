/**
 * Churn soak, short form: two minutes of seeders, `shoal get` processes and
 * downloader nodes killed (SIGKILL) and restarted at random on eight
 * namespace hosts while six files are shared and fetched; then every
 * download must finish, verified. The soak itself is ../helpers/churn-soak.ts,
 * shared with `npm run bench` (ten minutes). Needs root; without it the test
 * fails loudly (assertNetnsAvailable), never skips.
 *
 * Environment: SHOAL_SOAK_SEED replays a run's kills (its seed is printed
 * first); SHOAL_SOAK_CHURN_S shortens the churn while developing.
 */
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { assertNetnsAvailable } from '../helpers/netns.js'
import { tempDir } from '../helpers/cli.js'
import { SOAK_RSS_BOUND_BYTES, churnSoak } from '../helpers/churn-soak.js'

const MIB = 1024 * 1024
const CHURN_S = Number(process.env.SHOAL_SOAK_CHURN_S ?? 120)
/** Downloads under way when churn ends get this long; one takes seconds to a minute. */
const FINISH_S = 75

before(async () => { await assertNetnsAvailable() })

test(`churn soak: ${CHURN_S} s of kill -9 and restarts on 8 hosts; every download finishes verified, nothing crashes, RSS bounded`, async (t) => {
  const seed = process.env.SHOAL_SOAK_SEED === undefined ? undefined : Number(process.env.SHOAL_SOAK_SEED)
  const f = await churnSoak(await tempDir(t, 'shoal-churn-'), {
    churnMs: CHURN_S * 1000,
    finishMs: FINISH_S * 1000,
    seed,
    log: (line) => { if (line.includes('seed')) process.stderr.write(`${line}\n`) }
  })
  t.diagnostic(JSON.stringify(f))
  const replay = `(seed ${f.seed})`
  assert.deepEqual(f.crashes, [], `stack traces or fatal errors ${replay}`)
  assert.deepEqual(f.unexpected, [], `exits or failures we did not cause ${replay}`)
  assert.deepEqual(f.unfinished, [], `downloads not finished ${FINISH_S} s after churn ended ${replay}`)
  assert.deepEqual(f.corrupt, [], `downloads that do not match their source ${replay}`)
  assert.equal(f.downloadsVerified, f.downloadsFinished)
  assert.equal(f.interruptedFinished, f.interrupted, `interrupted downloads left unfinished ${replay}`)
  // The churn must have hit what it is meant to test.
  for (const kind of ['seeder', 'get', 'node'] as const) assert.ok(f.kills[kind] >= 1, `no ${kind} was killed ${replay}`)
  assert.ok(f.interrupted >= 3, `only ${f.interrupted} downloads were interrupted ${replay}`)
  assert.ok(f.resumedWithBytes >= 1, `no interrupted download resumed from kept chunks ${replay}`)
  assert.ok(f.autoResumed >= 1, `no restarted downloader node was seen resuming a download by itself ${replay}`)
  assert.ok(f.peakRssBytes <= SOAK_RSS_BOUND_BYTES, `peak RSS ${(f.peakRssBytes / MIB).toFixed(0)} MiB (${f.peakRssProcess}) ${replay}`)
})
