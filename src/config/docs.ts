import { envVarName } from './env.js'
import { FIELDS, describeField } from './schema.js'

function escapeCell (text: string): string {
  return text.replace(/\|/g, '\\|')
}

/**
 * A Markdown table of every config key — its type and range, default,
 * environment variable and meaning — generated from `SCHEMA`, for the CLI's
 * help and the README.
 */
export function describeConfig (): string {
  const rows = [...FIELDS.values()].map(({ path, field }) =>
    [`\`${path}\``, describeField(field), `\`${JSON.stringify(field.default)}\``, `\`${envVarName(path)}\``, field.doc]
      .map(escapeCell).join(' | '))
  return [
    'key | accepts | default | environment | meaning',
    '--- | --- | --- | --- | ---',
    ...rows
  ].join('\n') + '\n'
}
