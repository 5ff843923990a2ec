/**
 * The one rule for a file name that comes from a manifest (and so from a
 * stranger) before it becomes part of a path on this machine. A name is a
 * single path component that cannot leave its folder, cannot hide what it is
 * on a terminal, and cannot collide with Shoal's own bookkeeping files:
 *
 * - not empty, at most 255 UTF-8 bytes (the usual file system limit), and
 *   well-formed Unicode (no lone surrogates);
 * - no path separator (`/`, `\`), and neither `.` nor `..`;
 * - no control character (C0, DEL, C1) and no line or paragraph separator,
 *   which would break a terminal line or a log;
 * - no bidirectional control (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
 *   U+061C), with which `exe.txt` can be shown for `txt.exe`
 *   (CVE-2021-42574, "Trojan Source"), and no invisible format character that
 *   makes two different names look the same (zero-width space, word joiner,
 *   BOM, soft hyphen, invisible operators…). ZWJ and ZWNJ stay allowed:
 *   emoji sequences and several scripts (Persian, Indic) need them;
 * - no reserved suffix: `<dest>.shoal-part` and `<dest>.shoal-lock` are the
 *   files a download writes beside its destination, so a file of that name
 *   could be mistaken for, or overwrite, another download's state.
 *
 * A name starting with a dot is valid in a manifest but makes a hidden file
 * (`.bashrc`, `.profile`): it is only written where the user names the
 * destination (`get -o PATH`), never chosen from the manifest alone.
 * Pure: no I/O, so every layer can apply the same rule.
 */
import { ShoalError, type ErrorCode } from '../errors.js'

/** Longest file name, in UTF-8 bytes (the usual file system limit). */
export const MAX_FILE_NAME_BYTES = 255

/**
 * Suffixes of the files a download keeps beside its destination (see
 * src/store/partial-file.ts PART_SUFFIX and src/store/download-lock.ts
 * LOCK_SUFFIX; a test checks they stay equal). Compared case-insensitively,
 * because some file systems (macOS, Windows) are.
 */
export const RESERVED_SUFFIXES: readonly string[] = ['.shoal-part', '.shoal-lock']

/** Path separators of POSIX and Windows. */
const SEPARATORS = /[/\\]/u

/** C0 and C1 controls, DEL (all `Cc`), lone surrogates (`Cs`), line and paragraph separators. */
const CONTROLS = /[\p{Cc}\p{Cs}\u2028\u2029]/u

/** Bidirectional controls: embeddings, overrides, isolates and marks. */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u

/**
 * Invisible format characters that only serve to make names look alike:
 * soft hyphen, Mongolian vowel separator, zero-width space, word joiner and
 * invisible operators, deprecated format controls, BOM, interlinear
 * annotation marks. (`\p{Cf}` as a whole would also ban ZWJ/ZWNJ and emoji
 * tag sequences, which real names use.)
 */
const INVISIBLE = /[\u00ad\u180e\u200b\u2060-\u2064\u206a-\u206f\ufeff\ufff9-\ufffb]/u

/** What a caller allows beyond the strict rule. */
export interface FileNameRuleOptions {
  /** Accept a leading dot (a hidden file); true for manifests, false where Shoal picks the path itself. */
  allowLeadingDot?: boolean
}

/**
 * Why `name` breaks the rule, in a few words ("contains a path separator"),
 * or undefined when it is a safe file name. Leading dots are allowed unless
 * `allowLeadingDot` is false.
 */
export function fileNameProblem (name: unknown, options: FileNameRuleOptions = {}): string | undefined {
  if (typeof name !== 'string') return 'is not a string'
  if (name === '') return 'is empty'
  if (name === '.' || name === '..') return `is "${name}"`
  if (Buffer.byteLength(name, 'utf8') > MAX_FILE_NAME_BYTES) return `is longer than ${MAX_FILE_NAME_BYTES} bytes in UTF-8`
  if (SEPARATORS.test(name)) return 'contains a path separator (/ or \\)'
  if (CONTROLS.test(name)) return 'contains a control character'
  if (BIDI_CONTROLS.test(name)) return 'contains a Unicode bidirectional control'
  if (INVISIBLE.test(name)) return 'contains an invisible Unicode format character'
  const lower = name.toLowerCase()
  const reserved = RESERVED_SUFFIXES.find(suffix => lower.endsWith(suffix))
  if (reserved != null) return `ends with ${reserved}, which Shoal reserves for its download files`
  if (options.allowLeadingDot === false && name.startsWith('.')) return 'starts with a dot (a hidden file)'
  return undefined
}

/**
 * True when `name` is safe as a single path component inside a folder (the
 * manifest rule: leading dots allowed). Callers pass basenames.
 */
export function isSafeFileName (name: unknown): name is string {
  return fileNameProblem(name) === undefined
}

/**
 * Throws `code` with a message saying which rule `name` breaks; `what` names
 * the name's origin ("manifest name", "file name") and `hint` (optional) says
 * what to do. The name is quoted with escapes, so a hostile one cannot draw
 * on the terminal.
 */
export function assertSafeFileName (name: unknown, code: ErrorCode, what: string, options: FileNameRuleOptions & { hint?: string } = {}): asserts name is string {
  const problem = fileNameProblem(name, options)
  if (problem === undefined) return
  const hint = options.hint == null ? '' : `; ${options.hint}`
  throw new ShoalError(code, `${what} ${quoteName(name)} ${problem}${hint}`, { name: typeof name === 'string' ? name.slice(0, 300) : String(name), rule: problem })
}

/** A name as printable text: JSON-quoted, with DEL, C1, bidi and invisible characters escaped too, cut to a sane length. */
export function quoteName (name: unknown): string {
  const text = typeof name === 'string' ? name : String(name)
  const cut = text.length > 80 ? `${text.slice(0, 80)}…` : text
  return JSON.stringify(cut).replace(/[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
