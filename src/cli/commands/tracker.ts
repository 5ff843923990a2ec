/**
 * `shoal tracker [--listen HOST:PORT] [--data-dir DIR]`: runs the tracker
 * (seed 000) in the foreground until SIGINT/SIGTERM.
 */
import { startTracker, DEFAULT_TRACKER_HOST, DEFAULT_TRACKER_PORT } from '../../tracker/index.js'
import { parseHostPort } from '../../config/index.js'
import { printResult } from '../output.js'

/** Flags of `tracker`. */
export interface TrackerFlags {
  listen?: string
  dataDir?: string
  json: boolean
}

/** Runs the tracker until `signal` aborts. */
export async function trackerCommand (flags: TrackerFlags, signal: AbortSignal): Promise<void> {
  const { host, port } = flags.listen != null ? parseHostPort(flags.listen) : { host: DEFAULT_TRACKER_HOST, port: DEFAULT_TRACKER_PORT }
  const tracker = await startTracker({ host, port, dataDir: flags.dataDir })
  printResult(flags.json, { url: tracker.url, dataDir: flags.dataDir ?? null }, () =>
    `Shoal tracker at ${tracker.url}/ (${flags.dataDir != null ? `state in ${flags.dataDir}` : 'state in memory'})\nPress Ctrl-C to stop.`)
  await new Promise<void>(resolve => {
    if (signal.aborted) resolve()
    signal.addEventListener('abort', () => { resolve() }, { once: true })
  })
  await tracker.close()
}
