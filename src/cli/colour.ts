/**
 * Colour for the CLI's human output, with no dependency: SGR escape codes
 * when the stream is a terminal, none otherwise. NO_COLOR (any non-empty
 * value, https://no-color.org) always wins; FORCE_COLOR (not "0") turns
 * colour on even when piped; TERM=dumb turns it off.
 */

/** What a palette can paint; each returns its text unchanged when colour is off. */
export interface Palette {
  readonly enabled: boolean
  bold: (text: string) => string
  dim: (text: string) => string
  green: (text: string) => string
  yellow: (text: string) => string
  red: (text: string) => string
  cyan: (text: string) => string
}

/** True when `stream` should get colour under `env`. */
export function colourEnabled (stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR != null && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR != null) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
  if (stream.isTTY !== true) return false
  return env.TERM !== 'dumb'
}

function sgr (open: number, close: number, enabled: boolean): (text: string) => string {
  return enabled ? (text) => text === '' ? '' : `\x1b[${open}m${text}\x1b[${close}m` : (text) => text
}

/** A palette painting only when `enabled`. */
export function palette (enabled: boolean): Palette {
  return {
    enabled,
    bold: sgr(1, 22, enabled),
    dim: sgr(2, 22, enabled),
    green: sgr(32, 39, enabled),
    yellow: sgr(33, 39, enabled),
    red: sgr(31, 39, enabled),
    cyan: sgr(36, 39, enabled)
  }
}

/** The palette for `stream` (stderr by default) under the current environment. */
export function paletteFor (stream: { isTTY?: boolean } = process.stderr): Palette {
  return palette(colourEnabled(stream))
}
