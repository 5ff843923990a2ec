/**
 * V8 heap tuning for the `shoal` process. Imported before any other module,
 * so that it holds while they load.
 *
 * V8 grows the young generation from 2 × 1 MiB up to 2 × 16 MiB when many
 * objects survive a scavenge, as they do while libp2p loads, and keeps it
 * grown: ~20 MiB of RSS. A download then allocates little on the JS heap but
 * a lot outside it (a 64 KiB buffer per socket read, 16 KiB per TLS record),
 * freed only by a scavenge, which a grown young generation makes rare: V8 then
 * scavenges only once 32 MiB of such buffers piled up. Not growing it is what
 * `node --max-semi-space-size=1` does, which a bin script cannot pass.
 */
import { setFlagsFromString } from 'node:v8'

setFlagsFromString('--semi-space-growth-factor=1')
