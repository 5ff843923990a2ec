/**
 * Pausing a libp2p stream so that the sender really stops. A stream's
 * `resume()` hands the bytes buffered while paused to the 'message'
 * listeners and only then tells the muxer to grant window again; a listener
 * that pauses during that hand-over (the next frame needs memory it must wait
 * for) leaves the stream paused for us but open for the sender, whose bytes
 * then pile up until libp2p aborts the stream at its 4 MiB read-buffer cap.
 * Pausing after the current task's synchronous work (a microtask) always
 * comes after `resume()` has finished; no new bytes are handed over before
 * it, since the stream delivers those from a later task.
 */
import type { Stream } from '@libp2p/interface'

/** Pauses `stream` once the code that is running now (a `resume()` among it) is done, unless `stillWanted()` says otherwise. */
export function pauseStream (stream: Stream, stillWanted: () => boolean = () => true): void {
  queueMicrotask(() => {
    if (stream.readStatus === 'readable' && stillWanted()) stream.pause()
  })
}
