/**
 * Per-component debug loggers under the `shoal:` namespace, following the
 * `debug` convention libp2p uses too: `DEBUG=shoal:*` shows every component,
 * `DEBUG=shoal:tracker*` one of them. Errors that are deliberately not thrown
 * (background network work, best-effort cleanup) are logged here so they
 * leave a trace.
 */
import debug from 'debug'

/** A component's logger: call it for details, `.error` for trouble that was swallowed. */
export interface Logger {
  (formatter: string, ...args: unknown[]): void
  error: (formatter: string, ...args: unknown[]) => void
}

/** The logger of one component, e.g. `logger('node')` → namespace `shoal:node`. */
export function logger (component: string): Logger {
  const log = debug(`shoal:${component}`)
  const error = debug(`shoal:${component}:error`)
  return Object.assign((formatter: string, ...args: unknown[]) => { log(formatter, ...args) }, {
    error: (formatter: string, ...args: unknown[]) => { error(formatter, ...args) }
  })
}
