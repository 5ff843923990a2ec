/**
 * The benchmark's table: one row per figure, with what was measured, the
 * target from the issue, and whether it was met. Printed as text and written
 * as Markdown for the README.
 */

/** PASS/FAIL against a target; `info` for figures without one; `ERROR` when the measurement failed. */
export type Verdict = 'PASS' | 'FAIL' | 'info' | 'ERROR'

/** One line of the table. */
export interface Row {
  figure: string
  measured: string
  target: string
  verdict: Verdict
}

/** A row judged by `pass`. */
export function judged (figure: string, measured: string, target: string, pass: boolean): Row {
  return { figure, measured, target, verdict: pass ? 'PASS' : 'FAIL' }
}

/** A row with no target. */
export function info (figure: string, measured: string): Row {
  return { figure, measured, target: '—', verdict: 'info' }
}

const HEADER = ['figure', 'measured', 'target', 'result'] as const

function cells (row: Row): string[] {
  return [row.figure, row.measured, row.target, row.verdict]
}

/** Fixed-width text table. */
export function textTable (rows: readonly Row[]): string {
  const all = [[...HEADER], ...rows.map(cells)]
  const widths = HEADER.map((_, i) => Math.max(...all.map(r => r[i]!.length)))
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(all[0]!), widths.map(w => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n')
}

/** GitHub-flavoured Markdown table. */
export function markdownTable (rows: readonly Row[]): string {
  const escape = (c: string): string => c.replaceAll('|', '\\|')
  const line = (r: readonly string[]): string => `| ${r.map(escape).join(' | ')} |`
  return [line(HEADER), line(HEADER.map(() => '---')), ...rows.map(r => line(cells(r)))].join('\n')
}
