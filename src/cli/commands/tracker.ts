/**
 * `shoal tracker [--listen HOST:PORT] [--data-dir DIR]`: runs the tracker
 * (seed 000) in the foreground until SIGINT/SIGTERM.
 */
import { startTracker, DEFAULT_TRACKER_HOST, DEFAULT_TRACKER_PORT } from '../../tracker/index.js'
import { parseHostPort } from '../../config/index.js'
import { printResult } from '../output.js'
import { ShoalError } from '../../errors.js'

/** Flags of `tracker`. */
export interface TrackerFlags {
  listen?: string
  dataDir?: string
  announceInterval?: string
  json: boolean
}

/** Runs the tracker until `signal` aborts. */
export async function trackerCommand (flags: TrackerFlags, signal: AbortSignal): Promise<void> {
  const { host, port } = flags.listen != null ? parseHostPort(flags.listen) : { host: DEFAULT_TRACKER_HOST, port: DEFAULT_TRACKER_PORT }
  const interval = flags.announceInterval == null ? undefined : Number(flags.announceInterval)
  if (interval != null && !(Number.isInteger(interval) && interval >= 1 && interval <= 86_400)) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `--announce-interval must be a whole number of seconds from 1 to 86400, got ${flags.announceInterval}`)
  }
  const tracker = await startTracker({ host, port, dataDir: flags.dataDir, announceIntervalSeconds: interval })
  printResult(flags.json, { url: tracker.url, dataDir: flags.dataDir ?? null }, () =>
    `Shoal tracker at ${tracker.url}/ (${flags.dataDir != null ? `state in ${flags.dataDir}` : 'state in memory'})\nPress Ctrl-C to stop.`)
  await new Promise<void>(resolve => {
    if (signal.aborted) resolve()
    signal.addEventListener('abort', () => { resolve() }, { once: true })
  })
  await tracker.close()
}
