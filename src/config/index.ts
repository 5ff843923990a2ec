/**
 * Shoal's configuration: one schema (`SCHEMA`) from which defaults,
 * validation, environment parsing and docs are derived; `loadConfig` layers
 * defaults → `config.yaml` → `SHOAL_*` environment → CLI flags.
 */
export { DEFAULT_CONFIG } from './defaults.js'
export { describeConfig } from './docs.js'
export { envVarName } from './env.js'
export { parseHostPort, type HostPort } from './hostport.js'
export { CONFIG_FILE_NAME, FLAGS_SOURCE, loadConfig, readConfigFile, type LoadConfigOptions } from './load.js'
export { SCHEMA, type DeepPartial, type Field, type ShoalConfig } from './schema.js'
export { validateConfig } from './validate.js'
