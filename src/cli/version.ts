/**
 * `shoal --version`: shoal's, libp2p's and Node's versions. libp2p's comes
 * from its tiny `libp2p/version` module (bundled inline by esbuild), never
 * from libp2p itself, so asking costs no networking stack.
 */
import { readFileSync } from 'node:fs'
import { version as libp2pVersion } from 'libp2p/version'
import { logger } from '../util/log.js'

const log = logger('cli')

/** Shoal's version from its package.json: `../../package.json` from dist/cli/, dist/bundle/ and src/cli/ alike. */
export function shoalVersion (): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
    if (typeof pkg.version === 'string') return pkg.version
  } catch (err) {
    log.error('cannot read shoal\'s package.json: %O', err)
  }
  return 'unknown'
}

/** The three lines `--version` prints. */
export function versionText (): string {
  return [`shoal ${shoalVersion()}`, `libp2p ${libp2pVersion}`, `node ${process.versions.node}`].join('\n')
}
