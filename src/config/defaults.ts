import type { ShoalConfig } from './schema.js'
import { resolveConfig } from './validate.js'

/**
 * The configuration when nothing overrides it: every key's default from
 * `SCHEMA`, validated like any other layer (so a bad default fails at import)
 * and deep-frozen.
 */
export const DEFAULT_CONFIG: ShoalConfig = resolveConfig([])
