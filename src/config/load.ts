/**
 * Loading the node's configuration: defaults in code, then `config.yaml` in
 * the data dir, then `SHOAL_<SECTION>_<KEY>` environment variables, then CLI
 * flags. Later layers win key by key.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ShoalError } from '../errors.js'
import { entriesFromEnv } from './env.js'
import type { DeepPartial, ShoalConfig } from './schema.js'
import { configError, entriesFromObject, resolveConfig } from './validate.js'

/** Name of the config file inside the data dir. */
export const CONFIG_FILE_NAME = 'config.yaml'

/** The `source` named in errors about values from CLI flags. */
export const FLAGS_SOURCE = 'command-line flags'

/** Options of `loadConfig`. */
export interface LoadConfigOptions {
  /** The node's data dir; its `config.yaml` is read when present. */
  readonly dataDir: string
  /** Environment to read `SHOAL_*` variables from; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Values from CLI flags; they win over everything. `undefined` means "not given". */
  readonly overrides?: DeepPartial<ShoalConfig>
  /** A config file to read instead of `<dataDir>/config.yaml`; unlike that one, it must exist. */
  readonly file?: string
  readonly signal?: AbortSignal
}

/**
 * Reads and parses a YAML config file. Returns undefined when the file is
 * missing and `optional`; malformed YAML fails naming the file and line.
 */
export async function readConfigFile (path: string, options: { optional: boolean, signal?: AbortSignal }): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, { encoding: 'utf8', signal: options.signal })
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'ENOENT' && options.optional) return undefined
    if ((err as { name?: unknown }).name === 'AbortError') {
      throw new ShoalError('ERR_ABORTED', 'loading the config was aborted', { source: path }, { cause: err })
    }
    const why = code === 'ENOENT' ? 'the file does not exist' : (err as Error).message
    return configError(`cannot read config file ${path}: ${why}`, '', path)
  }
  // Loaded only when there is a file to parse: most data dirs have none, and
  // the parser is a quarter of a megabyte of code every command would compile.
  // yaml is CommonJS: imported lazily (in the CLI's bundle too) its functions are on the default export.
  const { parseDocument } = (await import('yaml')).default
  // Warnings (e.g. unknown tags) are errors too: a config is either understood or refused.
  const doc = parseDocument(text, { prettyErrors: true })
  const problem = doc.errors[0] ?? doc.warnings[0]
  if (problem !== undefined) {
    const position = problem.linePos?.[0]
    const first = problem.message.split('\n')[0]?.replace(/:$/, '')
    configError(`malformed YAML in ${path}: ${first}`, '', path, { line: position?.line, column: position?.col })
  }
  try {
    return doc.toJS()
  } catch (err) {
    // Alias bombs and the like surface only when the document is converted.
    const why = err instanceof Error ? err.message : String(err)
    return configError(`malformed YAML in ${path}: ${why}`, '', path)
  }
}

/**
 * Builds the node's validated, deep-frozen configuration from all layers.
 * Async because it reads the config file. Throws `ERR_INVALID_CONFIG`.
 */
export async function loadConfig (options: LoadConfigOptions): Promise<ShoalConfig> {
  const path = options.file ?? join(options.dataDir, CONFIG_FILE_NAME)
  const fromFile = await readConfigFile(path, { optional: options.file === undefined, signal: options.signal })
  return resolveConfig([
    entriesFromObject(fromFile, path),
    entriesFromEnv(options.env ?? process.env),
    entriesFromObject(options.overrides, FLAGS_SOURCE)
  ])
}
