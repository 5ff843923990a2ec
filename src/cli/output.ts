/**
 * How the CLI speaks: results on stdout (JSON with --json), one-line errors
 * on stderr with a non-zero exit code, never a stack trace.
 */
import { toShoalError } from '../errors.js'

/** Exit codes: 1 for failures, 2 for bad usage, 130 for an interrupt. */
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2
export const EXIT_INTERRUPTED = 130

/** Prints a command's result: `json` as JSON, otherwise the human lines. */
export function printResult (json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(value) + '\n' : human() + '\n')
}

/** Prints an error as one line (and as JSON on stdout with --json); returns the exit code. */
export function printError (err: unknown, json: boolean): number {
  const e = toShoalError(err)
  const exit = e.code === 'ERR_ABORTED' ? EXIT_INTERRUPTED : e.code === 'ERR_INVALID_ARGUMENT' || e.code === 'ERR_INVALID_CONFIG' ? EXIT_USAGE : EXIT_FAILURE
  if (json) process.stdout.write(JSON.stringify({ error: { code: e.code, message: e.message } }) + '\n')
  process.stderr.write(`shoal: ${e.message.split('\n')[0] ?? e.code} (${e.code})\n`)
  return exit
}

/** 1536 → "1.5 KiB". */
export function formatBytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[i] ?? 'B'}`
}

/** Seconds → "1m05s". */
export function formatDuration (seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '--'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`
}
