/**
 * Where `get`'s progress goes. On a terminal: one line on stderr redrawn in
 * place, cut to the terminal's width (re-read on every draw and redrawn on
 * resize) so it never wraps and never leaves lines behind. Elsewhere (a pipe,
 * a log file): an aria2c-style line every PROGRESS_LOG_INTERVAL_MS. With
 * --quiet: nothing.
 *
 * A redraw is `\r`, the line, and spaces over what is left of the previous
 * one: no cursor-control escape codes, so with colour off (NO_COLOR, TERM=dumb)
 * the bar writes no escape code at all.
 */
import { barLine, logLine, stripSgr, type ProgressView } from './progress-line.js'
import { paletteFor, type Palette } from './colour.js'
import { displayWidth } from './text-width.js'

/** How often a log line is written when stderr is not a terminal. */
export const PROGRESS_LOG_INTERVAL_MS = 5_000
/** Width assumed when a terminal does not report one. */
const DEFAULT_COLUMNS = 80

/** A progress display: the view now, notes printed above it, and its end. */
export interface ProgressDisplay {
  update: (view: ProgressView) => void
  /** A line of its own (a peer found, a warning), kept in the scrollback. */
  note: (text: string) => void
  /** Removes the bar (a terminal) and stops listening. */
  done: () => void
}

/** The stream a display writes to: a TTY WriteStream or anything with `write`. */
type Out = Pick<NodeJS.WriteStream, 'write' | 'on' | 'off'> & { isTTY?: boolean, columns?: number }

/** The display `get` uses: nothing with `quiet`, a bar on a terminal, log lines elsewhere. */
export function progressDisplay (options: { quiet: boolean, stream?: Out }): ProgressDisplay {
  const stream = options.stream ?? process.stderr
  if (options.quiet) return { update: () => {}, note: () => {}, done: () => {} }
  return stream.isTTY === true ? new ProgressBar(stream) : new ProgressLog(stream)
}

/** The in-place bar on a terminal. */
export class ProgressBar implements ProgressDisplay {
  readonly #out: Out
  readonly #pal: Palette
  #view: ProgressView | undefined
  /** Columns the line on screen takes: what the next redraw must cover. */
  #shown = 0
  readonly #onResize = (): void => { this.#draw() }

  constructor (out: Out = process.stderr, pal: Palette = paletteFor(out)) {
    this.#out = out
    this.#pal = pal
    // Node re-reads `columns` on SIGWINCH and then emits 'resize'.
    out.on('resize', this.#onResize)
  }

  update (view: ProgressView): void {
    this.#view = view
    this.#draw()
  }

  note (text: string): void {
    this.#clear()
    this.#out.write(text + '\n')
    this.#draw()
  }

  done (): void {
    this.#clear()
    this.#out.off('resize', this.#onResize)
  }

  /** One column short of the terminal: writing the last column would wrap on some terminals. */
  #width (): number {
    const columns = this.#out.columns ?? 0
    return Math.max(1, (columns > 0 ? columns : DEFAULT_COLUMNS) - 1)
  }

  #draw (): void {
    if (this.#view == null) return
    const width = this.#width()
    const line = barLine(this.#view, width, this.#pal)
    const plainWidth = displayWidth(stripSgr(line))
    // Cover the rest of a longer previous line, but never past this width.
    const pad = Math.max(0, Math.min(this.#shown, width) - plainWidth)
    this.#out.write(`\r${line}${' '.repeat(pad)}`)
    this.#shown = plainWidth + pad
  }

  #clear (): void {
    if (this.#shown === 0) return
    this.#out.write(`\r${' '.repeat(Math.min(this.#shown, this.#width()))}\r`)
    this.#shown = 0
  }
}

/** Log lines every few seconds, for stderr that is not a terminal. */
export class ProgressLog implements ProgressDisplay {
  readonly #out: Out
  readonly #intervalMs: number
  readonly #now: () => number
  #last: number

  constructor (out: Out = process.stderr, intervalMs = PROGRESS_LOG_INTERVAL_MS, now: () => number = Date.now) {
    this.#out = out
    this.#intervalMs = intervalMs
    this.#now = now
    this.#last = now()
  }

  update (view: ProgressView): void {
    const now = this.#now()
    if (now - this.#last < this.#intervalMs) return
    this.#last = now
    this.#out.write(logLine(view) + '\n')
  }

  note (text: string): void {
    this.#out.write(text + '\n')
  }

  done (): void {}
}
