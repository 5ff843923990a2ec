/**
 * `share --distribute`'s progress on a terminal: the running node's
 * `distribution:progress` events drawn as one bar on stderr (copies confirmed
 * of chunks × replicas), erased when the share ends. Nothing when stderr is
 * not a terminal or the share runs on a node of the command's own.
 */
import { formatBytes } from './output.js'
import { logger } from '../util/log.js'
import type { Backend } from './backend.js'

const log = logger('cli')

/** Columns of the bar itself. */
const BAR_COLUMNS = 30

/** One bar line: `distributing [#####-----]  50%  120/240 copies  1.2 GiB sent`. */
export function distributionBar (p: { confirmed: number, total: number, bytesSent: number }): string {
  const ratio = p.total === 0 ? 1 : Math.min(1, p.confirmed / p.total)
  const filled = Math.round(ratio * BAR_COLUMNS)
  return `distributing [${'#'.repeat(filled)}${'-'.repeat(BAR_COLUMNS - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${p.confirmed}/${p.total} copies  ${formatBytes(p.bytesSent)} sent`
}

/** Starts drawing; `stop()` erases the line and ends the event stream. */
export async function followDistribution (backend: Backend, signal?: AbortSignal, stream: NodeJS.WriteStream = process.stderr): Promise<{ stop: () => void } | undefined> {
  if (backend.follow == null || stream.isTTY !== true) return undefined
  const ended = new AbortController()
  const stopSignal = signal == null ? ended.signal : AbortSignal.any([signal, ended.signal])
  let drawn = false
  backend.follow((event, data) => {
    if (event !== 'distribution:progress') return
    stream.write(`\r\x1b[2K${distributionBar(data as { confirmed: number, total: number, bytesSent: number })}`)
    drawn = true
  }, stopSignal).catch((err: unknown) => {
    if (!stopSignal.aborted) log.error('following the node\'s events failed: %s', err)
  })
  return {
    stop: () => {
      ended.abort()
      if (drawn) stream.write('\r\x1b[2K')
    }
  }
}
