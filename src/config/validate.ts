/**
 * Turning layers of raw settings into one validated, frozen `ShoalConfig`.
 *
 * Each layer (defaults, file, environment, flags) becomes a list of entries,
 * one per key it sets, each remembering where it came from; unknown keys are
 * rejected while doing so, because that is when the layer's own spelling is
 * known. The last layer to set a key wins, and only the winning values are
 * validated, once, so an error names the key and the layer to fix.
 */
import { ShoalError } from '../errors.js'
import { FIELDS, SECTIONS, describeField, type Field, type ShoalConfig } from './schema.js'

/** One key set by one layer: `key` is the dotted camelCase path, `source` names the layer. */
export interface ConfigEntry {
  readonly key: string
  readonly value: unknown
  readonly source: string
}

/** The `source` of values nobody set. */
export const DEFAULTS_SOURCE = 'defaults'

/** Throws the config error for `key` set in `source`. */
export function configError (message: string, key: string, source: string, extra: Record<string, unknown> = {}): never {
  throw new ShoalError('ERR_INVALID_CONFIG', message, { key, source, ...extra })
}

/** The seed wrote snake_case (`chunk_size`); Shoal spells keys in camelCase. */
export function snakeToCamel (name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

function isMapping (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Short, printable rendering of an offending value. */
function show (value: unknown): string {
  if (typeof value !== 'object' && typeof value !== 'string') return String(value)
  if (isMapping(value)) return 'a mapping'
  const text = JSON.stringify(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

/** The error for a key that is not in the schema, listing what the section does accept. */
export function unknownKey (written: string, source: string, section?: string): never {
  const known = section === undefined ? [...SECTIONS] : [...FIELDS.values()].filter(f => f.section === section).map(f => f.key)
  const what = section === undefined ? 'sections' : `keys in "${section}"`
  return configError(`unknown config key "${written}" in ${source} (known ${what}: ${known.join(', ')})`, written, source)
}

/**
 * The entries of a nested `{ section: { key: value } }` object, e.g. a parsed
 * YAML file or CLI overrides. Keys may be snake_case; `undefined` values are
 * skipped (an unset flag); unknown sections and keys are rejected.
 */
export function entriesFromObject (raw: unknown, source: string): ConfigEntry[] {
  if (raw === undefined || raw === null) return []
  if (!isMapping(raw)) configError(`config in ${source} must be a mapping of sections, got ${show(raw)}`, '', source)
  const entries: ConfigEntry[] = []
  const written = new Map<string, string>()
  for (const [sectionName, body] of Object.entries(raw)) {
    const section = snakeToCamel(sectionName)
    if (!SECTIONS.has(section)) unknownKey(sectionName, source)
    // `chunking:` with nothing under it parses as null: an empty section.
    if (body === undefined || body === null) continue
    if (!isMapping(body)) configError(`config key "${section}" in ${source} must be a mapping of keys, got ${show(body)}`, section, source)
    for (const [name, value] of Object.entries(body)) {
      const key = `${section}.${snakeToCamel(name)}`
      const spelling = `${sectionName}.${name}`
      if (!FIELDS.has(key)) unknownKey(spelling, source, section)
      const earlier = written.get(key)
      if (earlier !== undefined) configError(`config key "${key}" is set twice in ${source}, as "${earlier}" and "${spelling}"`, key, source)
      written.set(key, spelling)
      if (value !== undefined) entries.push({ key, value, source })
    }
  }
  return entries
}

/** The value if it is valid for `field` (canonical, and copied so freezing never touches caller data). */
function accept (field: Field, value: unknown): { ok: true, value: unknown } | { ok: false, why?: string } {
  switch (field.kind) {
    case 'integer':
      return Number.isSafeInteger(value) && (value as number) >= field.min && (value as number) <= field.max
        ? { ok: true, value }
        : { ok: false }
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : { ok: false }
    case 'string': {
      if (typeof value !== 'string') return { ok: false }
      const why = field.format.check(value)
      return why === undefined ? { ok: true, value } : { ok: false, why }
    }
    case 'string[]': {
      if (!Array.isArray(value)) return { ok: false }
      for (const [i, item] of value.entries()) {
        const why = typeof item === 'string' ? field.format.check(item) : `it is ${show(item)}, not a string`
        if (why !== undefined) return { ok: false, why: `item ${i}: ${why}` }
      }
      return { ok: true, value: [...value] }
    }
    case 'enum': {
      const canonical = typeof value === 'string' ? (Object.hasOwn(field.aliases, value) ? field.aliases[value] : value) : undefined
      return canonical !== undefined && field.values.includes(canonical) ? { ok: true, value: canonical } : { ok: false }
    }
  }
}

function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

/**
 * Merges layers (later wins), validates every key once, and returns a
 * deep-frozen config. Throws `ERR_INVALID_CONFIG` naming the key, the layer
 * that set it and what was expected.
 */
export function resolveConfig (layers: ReadonlyArray<readonly ConfigEntry[]>): ShoalConfig {
  const winners = new Map<string, ConfigEntry>()
  for (const layer of layers) for (const entry of layer) winners.set(entry.key, entry)
  const config: Record<string, Record<string, unknown>> = {}
  for (const { section, key, path, field } of FIELDS.values()) {
    const entry = winners.get(path) ?? { key: path, value: field.default, source: DEFAULTS_SOURCE }
    const result = accept(field, entry.value)
    if (!result.ok) {
      const expected = describeField(field)
      const why = result.why === undefined ? '' : ` (${result.why})`
      configError(`config key "${path}" in ${entry.source} must be ${expected}, got ${show(entry.value)}${why}`, path, entry.source, { expected })
    }
    (config[section] ??= {})[key] = result.value
  }
  return deepFreeze(config) as unknown as ShoalConfig
}

/**
 * Validates one raw `{ section: { key } }` object over the defaults, e.g.
 * `validateConfig({ transfer: { requestTimeoutMs: 500 } }, 'test')`.
 */
export function validateConfig (raw: unknown, source: string): ShoalConfig {
  return resolveConfig([entriesFromObject(raw, source)])
}
