/**
 * How the CLI speaks: results on stdout (JSON with --json), one-line errors
 * on stderr with a non-zero exit code, never a stack trace.
 */
import { toShoalError } from '../errors.js'

/**
 * Exit codes, the same for every command (the README's table copies this list).
 * A script can tell "try again later" (3) from "you asked for something
 * wrong" (2) from "someone cancelled it" (4) from Ctrl-C (130).
 */
/** Success. */
export const EXIT_OK = 0
/** Any other failure: disk full, destination exists, node not running, corrupt data, internal error. */
export const EXIT_FAILURE = 1
/** Bad usage: unknown command or flag, bad argument or config, malformed or truncated link or ID. */
export const EXIT_USAGE = 2
/** No source: nobody has the file (ERR_NO_PROVIDERS), or every source left or was banned (ERR_NO_SOURCES_LEFT, ERR_PEER_BANNED); verified chunks are kept. Also too few peers to distribute a share to (ERR_DISTRIBUTION_REQUIRED; nothing was pushed). */
export const EXIT_NO_SOURCE = 3
/** The download was cancelled from elsewhere (`shoal cancel JOB`, the API or the dashboard); verified chunks are kept. */
export const EXIT_CANCELLED = 4
/** Interrupted by Ctrl-C or SIGTERM (128 + SIGINT); verified chunks are kept, the same command resumes. */
export const EXIT_INTERRUPTED = 130

const USAGE_CODES: ReadonlySet<string> = new Set(['ERR_INVALID_ARGUMENT', 'ERR_INVALID_CONFIG', 'ERR_INVALID_LINK', 'ERR_INVALID_ID'])
const NO_SOURCE_CODES: ReadonlySet<string> = new Set(['ERR_NO_PROVIDERS', 'ERR_NO_SOURCES_LEFT', 'ERR_PEER_BANNED', 'ERR_DISTRIBUTION_REQUIRED'])

/** The exit code an error ends a command with. */
export function exitCodeFor (code: string): number {
  if (code === 'ERR_ABORTED') return EXIT_INTERRUPTED
  if (code === 'ERR_CANCELLED') return EXIT_CANCELLED
  if (USAGE_CODES.has(code)) return EXIT_USAGE
  if (NO_SOURCE_CODES.has(code)) return EXIT_NO_SOURCE
  return EXIT_FAILURE
}

/** Prints a command's result: `json` as JSON, otherwise the human lines. */
export function printResult (json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(value) + '\n' : human() + '\n')
}

/** Prints an error as one line (and as JSON on stdout with --json); returns the exit code. */
export function printError (err: unknown, json: boolean): number {
  const e = toShoalError(err)
  const exit = exitCodeFor(e.code)
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
