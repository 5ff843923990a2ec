/**
 * Where a download goes, decided before anything is fetched: the path `-o`
 * names, inside it if it is a directory, or the file's own name in cwd.
 */
import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { assertSafeFileName, quoteName } from '../content/file-name.js'
import { ShoalError } from '../errors.js'

/**
 * Where a download goes: `-o` as given, inside it if it is a directory, or
 * the file's own name in cwd. The manifest's name has passed the file name
 * rule already (decoding checks it); it is checked again here because this is
 * where it becomes a path, and a hidden name (leading dot) is only written
 * where the user named the file itself with `-o`.
 */
export async function destinationFor (name: string, options: { output?: string, cwd?: string }): Promise<string> {
  const cwd = options.cwd ?? process.cwd()
  const out = options.output == null ? undefined : resolve(cwd, options.output)
  if (out != null && !(await isDirectory(out))) return out
  assertSafeFileName(name, 'ERR_INVALID_MANIFEST', 'the file name')
  if (name.startsWith('.')) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `the file's name ${quoteName(name)} starts with a dot (a hidden file); ` +
      'Shoal writes it only under a name you choose: give the destination file with -o PATH', { name })
  }
  return out == null ? resolve(cwd, name) : join(out, name)
}

/** True when `path` is a directory; false when it is anything else or cannot be looked at (the write that follows will say why). */
async function isDirectory (path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

/** True when `path` is a regular file; false when it is anything else or is not there. */
export async function isFile (path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
