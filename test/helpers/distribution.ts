/**
 * Helpers for distribution tests: counting the chunk files a node keeps in
 * its content-addressed `chunks/` store (each pushed copy is one file).
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'

/** Chunk files under `<dataDir>/chunks` (0 when the node never held any). */
export async function chunkFiles (dataDir: string): Promise<number> {
  let shards: string[]
  try {
    shards = await readdir(join(dataDir, 'chunks'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw err
  }
  let n = 0
  for (const shard of shards) if (shard.length === 2) n += (await readdir(join(dataDir, 'chunks', shard))).filter((f) => !f.endsWith('.tmp')).length
  return n
}
