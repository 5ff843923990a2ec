/**
 * Chunks a held map names this node for but that never reached it (a repair
 * order whose copy failed, or a map another survivor signed: `missingChunks`
 * in surplus.ts) are fetched from the chunk's other live holders over the
 * chunks protocol, verified, and kept under the usual quota checks
 * (Distribution.storeChunk). The repair driver calls `changed` when a file's
 * record changes and `maybeFetch` at every sync. Never while a push of the
 * file to this node is under way: its chunks are still coming.
 */
import { fetchChunk } from '../distribute/fetch-chunk.js'
import { missingChunks } from '../distribute/surplus.js'
import { chunkHash } from '../content/manifest.js'
import { toHex } from '../content/hash.js'
import { logger } from '../util/log.js'
import type { Distribution } from './distribution.js'
import type { Libp2p } from '@libp2p/interface'

const log = logger('missing-fetcher')

/**
 * How long a map naming this node for chunks it lacks is left to the repair
 * copies under way before the chunks are fetched from their other holders
 * (and again after each failed attempt).
 */
export const MISSING_FETCH_DELAY_MS = 5_000

/** What the fetcher needs. */
export interface MissingFetcherInit {
  self: string
  libp2p: Libp2p
  distribution: Distribution
  /** The holder watch's verdict: departed peers are not asked. */
  isDeparted: (peer: string) => boolean
}

/** See the module comment. */
export class MissingFetcher {
  readonly #init: MissingFetcherInit
  /** fileId → when chunks the map names us for but we lack may next be fetched. */
  readonly #nextFetch = new Map<string, number>()
  readonly #fetching = new Set<string>()

  constructor (init: MissingFetcherInit) {
    this.#init = init
  }

  /** The file's record changed: give copies under way MISSING_FETCH_DELAY_MS before fetching. */
  changed (fileId: string): void {
    this.#nextFetch.set(fileId, Date.now() + MISSING_FETCH_DELAY_MS)
  }

  /** Fetches, in the background, what the held map names us for and we lack, unless a fetch runs or waits. */
  maybeFetch (id: string, signal: AbortSignal): void {
    const { distribution: dist, self } = this.#init
    // While a push of the file to us is under way, what we lack is on its way (and its other holders lack it too).
    if (this.#fetching.has(id) || (this.#nextFetch.get(id) ?? 0) > Date.now() || dist.isBeingPushed(id)) return
    const held = dist.registry.get(id)
    if (held == null) return
    const have = Array.from({ length: held.have.length }, (_, i) => i).filter((i) => held.have.get(i))
    const missing = missingChunks(held.record.record, self, have)
    if (missing.length === 0) return
    this.#fetching.add(id)
    void (async () => {
      let failed = 0
      for (const index of missing) {
        const sources = (held.record.record.holders[index] ?? []).filter((p) => p !== self && !this.#init.isDeparted(p))
        let got = false
        for (const peer of sources) {
          try {
            const data = await fetchChunk(this.#init.libp2p, peer, id, held.manifest, index, signal)
            await dist.storeChunk(id, index, toHex(chunkHash(held.manifest, index)), data)
            got = true
            break
          } catch (err) {
            if (signal.aborted) return
            log('fetching chunk %d of %s from %s failed: %s', index, id, peer, err)
          }
        }
        if (!got) failed++
      }
      log('%s: fetched %d of %d chunks the map names us for', id, missing.length - failed, missing.length)
      if (failed > 0) this.#nextFetch.set(id, Date.now() + MISSING_FETCH_DELAY_MS)
    })().catch((err: unknown) => { log.error('fetching missing chunks of %s failed: %o', id, err) })
      .finally(() => { this.#fetching.delete(id) })
  }
}
