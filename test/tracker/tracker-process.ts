/**
 * A tracker in a process of its own with options `shoal tracker` has no flag
 * for (tests that measure its RSS):
 *
 *   node --import tsx test/tracker/tracker-process.ts '<TrackerOptions as JSON>'
 *
 * prints `{"url": …}` on one line, then serves until SIGINT or SIGTERM.
 */
import '../../src/polyfill.js'
import { startTracker, type TrackerOptions } from '../../src/tracker/index.js'

const tracker = await startTracker(JSON.parse(process.argv[2] ?? '{}') as TrackerOptions)
process.stdout.write(JSON.stringify({ url: tracker.url }) + '\n')
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { void tracker.close().then(() => process.exit(0)) })
}
