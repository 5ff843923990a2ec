/**
 * The progress bar of long commands: one line on stderr, redrawn in place,
 * only when stderr is a terminal.
 */
import { formatBytes, formatDuration } from './output.js'
import type { JobSnapshot } from '../transfer/download-job.js'

const BAR_WIDTH = 24

/** Draws download progress on a TTY; a no-op elsewhere. */
export class ProgressBar {
  readonly #enabled: boolean

  constructor (enabled = process.stderr.isTTY) {
    this.#enabled = enabled
  }

  update (s: JobSnapshot): void {
    if (!this.#enabled) return
    const fraction = s.size === 0 ? 1 : s.bytesDone / s.size
    const filled = Math.round(fraction * BAR_WIDTH)
    const peers = s.peers.filter(p => p.state === 'active').length
    const state = s.state === 'running' ? '' : ` ${s.state}`
    const line = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${(fraction * 100).toFixed(1)}% ` +
      `${formatBytes(s.bytesDone)}/${formatBytes(s.size)} ${formatBytes(s.speed)}/s ETA ${formatDuration(s.etaSeconds)} ${peers} peer${peers === 1 ? '' : 's'}${state}`
    process.stderr.write(`\r\x1b[K${line}`)
  }

  done (): void {
    if (this.#enabled) process.stderr.write('\r\x1b[K')
  }
}
