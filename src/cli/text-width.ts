/**
 * How many terminal columns text takes, and cutting it to fit: what keeps a
 * progress line from wrapping. East Asian wide characters and most emoji take
 * two columns, combining marks and zero-width characters none (a close
 * approximation of wcwidth, enough for file names).
 */

const ZERO_WIDTH = /[\u0300-\u036f\u200b-\u200f\u20d0-\u20ff\ufe00-\ufe0f]/u
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u
/** Control characters would move the cursor: shown as one replacement column. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u

/** The columns one character takes. */
function charWidth (ch: string): number {
  if (ZERO_WIDTH.test(ch)) return 0
  return WIDE.test(ch) ? 2 : 1
}

/** Control characters replaced, so a file name cannot move the cursor. */
export function printable (text: string): string {
  return [...text].map(ch => CONTROL.test(ch) ? '?' : ch).join('')
}

/** Columns `text` (plain, no escape codes) takes on a terminal. */
export function displayWidth (text: string): number {
  let w = 0
  for (const ch of text) w += charWidth(ch)
  return w
}

/** `text` cut to at most `width` columns, ending with "…" when cut. */
export function truncate (text: string, width: number): string {
  if (width <= 0) return ''
  if (displayWidth(text) <= width) return text
  let out = ''
  let w = 0
  for (const ch of text) {
    const cw = charWidth(ch)
    if (w + cw > width - 1) break
    out += ch
    w += cw
  }
  return out + '…'
}
