/**
 * Starts a worker thread from a sibling module, both in production (compiled
 * `.js` under `dist/`) and in tests (`.ts` run through `node --import tsx`).
 *
 * Workers inherit `--import tsx` in their execArgv, but tsx 4.x only installs
 * its loader in the main thread on Node 20 (it checks for
 * `worker_threads.isInternalThread`, added in Node 22), so a `.ts` worker fails
 * with ERR_UNKNOWN_FILE_EXTENSION. Under tsx the worker therefore starts from a
 * one-line bootstrap that registers tsx's loader through its public API
 * (`tsx/esm/api`) and then imports the real module. Compiled code never takes
 * that path and never loads tsx.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Starts the module `basename` (no extension, e.g. `./hash-worker`) found next
 * to `parentUrl` (the caller's `import.meta.url`), with the extension the
 * caller itself has.
 */
export function startModuleWorker (parentUrl: string, basename: string, options: WorkerOptions = {}): Worker {
  const extension = extname(fileURLToPath(parentUrl))
  const moduleUrl = new URL(basename + extension, parentUrl)
  if (extension !== '.ts') return new Worker(moduleUrl, options)
  const tsxApi = import.meta.resolve('tsx/esm/api')
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl.href)}) })`
  return new Worker(bootstrap, { ...options, eval: true })
}
