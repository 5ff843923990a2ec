/**
 * Finds a file's manifest on the network: asks every source the finder
 * yields, keeps the first answer that verifies against the ID, and keeps
 * looking (new peers may connect) until the time bound, then fails with a
 * clear "no peer has …".
 *
 * Two kinds of bad answer are told apart. Bytes that do not hash to the ID
 * are one peer's lie: ask the others. Bytes that do hash to the ID but are
 * not a valid manifest (a `../x` name, say) are what the ID names, so every
 * honest peer would send the same: the get fails at once with
 * ERR_INVALID_MANIFEST instead of waiting out the provider timeout.
 */
import { fetchManifest } from '../protocol/manifest.js'
import { ShoalError } from '../errors.js'
import { namesInvalidManifest, type Manifest } from '../content/manifest.js'
import type { SourceFinder } from '../transfer/sources.js'
import type { Libp2p } from '@libp2p/interface'

/** Pause between rounds of asking. */
export const MANIFEST_RETRY_MS = 1_000

/**
 * Resolves the verified manifest of `fileId`; throws ERR_INVALID_MANIFEST at
 * once when the ID names an invalid manifest, ERR_NO_PROVIDERS after `timeoutMs`.
 * `onAsked` hears how many peers have been asked so far, each time it grows.
 */
export async function resolveManifest (libp2p: Libp2p, finder: SourceFinder, fileId: string, options: { timeoutMs: number, signal?: AbortSignal, onAsked?: (progress: { asked: number }) => void }): Promise<Manifest> {
  const deadline = AbortSignal.timeout(options.timeoutMs)
  const signal = options.signal == null ? deadline : AbortSignal.any([options.signal, deadline])
  const asked = new Set<string>()
  let lastError: unknown
  while (!signal.aborted) {
    // Once a manifest verifies, the lookups still running (a DHT query) are
    // stopped rather than left to run out their own time bound.
    const round = new AbortController()
    try {
      for await (const peer of finder.findSources(fileId, { signal: AbortSignal.any([signal, round.signal]) })) {
        asked.add(peer.toString())
        options.onAsked?.({ asked: asked.size })
        try {
          const manifest = await fetchManifest(libp2p, peer, fileId, { signal })
          if (manifest != null) return manifest
        } catch (err) {
          if (namesInvalidManifest(err)) throw err
          lastError = err
        }
      }
    } catch (err) {
      if (namesInvalidManifest(err)) throw err
      lastError = err
    } finally {
      round.abort()
    }
    await new Promise((resolve) => {
      const t = setTimeout(resolve, MANIFEST_RETRY_MS)
      signal.addEventListener('abort', () => { clearTimeout(t); resolve(undefined) }, { once: true })
    })
  }
  if (options.signal?.aborted === true) throw new ShoalError('ERR_ABORTED', 'download aborted')
  const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
  throw new ShoalError('ERR_NO_PROVIDERS', `no peer has ${fileId}: asked ${asked.size} peer(s) for ${Math.round(options.timeoutMs / 1000)} s${why}`, { id: fileId, asked: asked.size })
}
