/**
 * libp2p's peer store on disk. libp2p keeps writing peer records for a moment
 * after `stop()` (identify and pings finishing), and datastore-fs's `close()`
 * does nothing, so a data dir removed right after a node stopped could fail
 * with ENOTEMPTY, or gain a file after it was deleted. This store counts its
 * writes, and `close()` waits for them and refuses later ones.
 */
import { FsDatastore } from 'datastore-fs'
import type { Key } from 'interface-datastore'
import type { AbortOptions } from '@libp2p/interface'
import { logger } from '../util/log.js'

const log = logger('peer-datastore')

/** An FsDatastore whose `close()` waits for its writes in flight; writes after it are dropped. */
export class PeerDatastore extends FsDatastore {
  readonly #writes = new Set<Promise<unknown>>()
  #closed = false

  override async put (key: Key, value: Uint8Array, options?: AbortOptions): Promise<Key> {
    if (this.#closed) {
      log('dropped a write to %s after close', key.toString())
      return key
    }
    return await this.#track(super.put(key, value, options))
  }

  override async delete (key: Key, options?: AbortOptions): Promise<void> {
    if (this.#closed) return
    await this.#track(super.delete(key, options))
  }

  override async close (): Promise<void> {
    this.#closed = true
    await Promise.allSettled([...this.#writes])
    await super.close()
  }

  async #track<T> (write: Promise<T>): Promise<T> {
    this.#writes.add(write)
    try {
      return await write
    } finally {
      this.#writes.delete(write)
    }
  }
}
