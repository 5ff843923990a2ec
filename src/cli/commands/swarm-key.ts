/**
 * `shoal swarm-key new [-o FILE] [--force]`: makes a fresh pre-shared key
 * for a private swarm, written to FILE with mode 0600 or printed.
 */
import { newSwarmKey, writeSwarmKeyFile } from '../../net/swarm-key.js'
import { printResult } from '../output.js'

/** Flags of `swarm-key new`. */
export interface SwarmKeyNewFlags {
  /** Absolute path to write the key to; printed on stdout when undefined. */
  output?: string
  force: boolean
  json: boolean
}

/** Runs `shoal swarm-key new`. */
export async function swarmKeyNewCommand (flags: SwarmKeyNewFlags): Promise<void> {
  const key = newSwarmKey()
  if (flags.output == null) {
    // The key itself is the output, ready for `> swarm.key`.
    printResult(flags.json, { key }, () => key.trimEnd())
    return
  }
  await writeSwarmKeyFile(flags.output, key, { force: flags.force })
  printResult(flags.json, { path: flags.output }, () =>
    `wrote a new swarm key to ${flags.output} (mode 0600)\nstart nodes with --swarm-key ${flags.output}; share the file only with members of the swarm`)
}
