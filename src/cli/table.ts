/**
 * Tables of `ls`, `status` and `peers`. On a terminal: a header row and
 * columns padded to line up. Piped: one tab-separated line per row and no
 * header, so `cut -f1`, `awk -F'\t'` and `wc -l` see only data.
 */

/** One column: its header, and right alignment for numbers. */
export interface Column { header: string, right?: boolean }

/** Whether stdout is a terminal: what picks the layout. */
export function stdoutIsTerminal (): boolean {
  return process.stdout.isTTY === true
}

/** Formats `rows` under `columns` for a terminal (`terminal`) or for a pipe. */
export function formatTable (columns: readonly Column[], rows: ReadonlyArray<readonly string[]>, terminal = stdoutIsTerminal()): string {
  if (!terminal) return rows.map(r => r.join('\t')).join('\n')
  const all = [columns.map(c => c.header), ...rows]
  const widths = columns.map((_, i) => Math.max(...all.map(r => (r[i] ?? '').length)))
  const last = columns.length - 1
  return all.map(r => r.map((cell, i) => {
    // The last column is never padded: no trailing blanks.
    if (i === last && columns[i]?.right !== true) return cell
    return columns[i]?.right === true ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)
  }).join('  ')).join('\n')
}
