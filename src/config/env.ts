/**
 * Config from environment variables: `SHOAL_<SECTION>_<KEY>` with the key in
 * upper snake case (`SHOAL_CHUNKING_CHUNK_SIZE`, `SHOAL_NETWORK_BOOTSTRAP`).
 * Variables whose second word is not a section (`SHOAL_HOME`) are not config.
 */
import { FIELDS, SECTIONS, type Field } from './schema.js'
import { snakeToCamel, unknownKey, type ConfigEntry } from './validate.js'

function upperSnake (camel: string): string {
  return camel.replace(/[A-Z]/g, c => `_${c}`).toUpperCase()
}

/** The environment variable for a dotted key: `chunking.chunkSize` → `SHOAL_CHUNKING_CHUNK_SIZE`. */
export function envVarName (path: string): string {
  const [section = '', key = ''] = path.split('.')
  return `SHOAL_${upperSnake(section)}_${upperSnake(key)}`
}

const BY_VAR = new Map([...FIELDS.values()].map(entry => [envVarName(entry.path), entry]))
const SECTION_WORDS = new Map([...SECTIONS].map(section => [upperSnake(section), section]))
const CONFIG_VAR = /^SHOAL_([A-Z0-9]+)_(.+)$/
const INTEGER = /^[+-]?\d+$/
const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, false: false, 1: true, 0: false }

/**
 * Typed value of an environment string. Text that does not parse is passed
 * through unchanged so validation reports it with the key and expected type.
 */
function fromText (field: Field, text: string): unknown {
  switch (field.kind) {
    case 'integer':
      return INTEGER.test(text) ? Number(text) : text
    case 'boolean':
      return BOOLEANS[text.toLowerCase()] ?? text
    case 'string[]':
      return text.split(',').map(item => item.trim()).filter(item => item !== '')
    case 'string':
    case 'enum':
      return text
  }
}

/**
 * The config entries set by `env`. A `SHOAL_<SECTION>_…` variable naming an
 * unknown key is rejected, so typos do not pass silently.
 */
export function entriesFromEnv (env: Readonly<Record<string, string | undefined>>): ConfigEntry[] {
  const entries: ConfigEntry[] = []
  for (const [name, text] of Object.entries(env)) {
    const match = CONFIG_VAR.exec(name)
    const section = match === null ? undefined : SECTION_WORDS.get(match[1] ?? '')
    if (section === undefined || text === undefined) continue
    const source = `environment variable ${name}`
    const known = BY_VAR.get(name)
    if (known === undefined) unknownKey(`${section}.${snakeToCamel((match?.[2] ?? '').toLowerCase())}`, source, section)
    entries.push({ key: known.path, value: fromText(known.field, text), source })
  }
  return entries
}
