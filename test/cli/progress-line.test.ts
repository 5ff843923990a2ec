/**
 * The progress line's text, pure: at every terminal width it fits (one column
 * to spare, so it cannot wrap), names the file (cut with an ellipsis), and
 * drops statistics before the name; the log line is aria2c's shape.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { barLine, logLine, stripSgr, type ProgressView } from '../../src/cli/progress-line.js'
import { palette } from '../../src/cli/colour.js'
import { displayWidth } from '../../src/cli/text-width.js'
import type { JobSnapshot } from '../../src/transfer/download-job.js'

const MIB = 1024 * 1024

function snapshot (over: Partial<JobSnapshot> = {}): JobSnapshot {
  return {
    id: 'Jb3x9kQa', fileId: 'bafy', name: 'holiday-video-from-the-mountains-2026-final-cut.mkv', dest: '/tmp/x', state: 'running',
    size: 100 * MIB, bytesDone: 12 * MIB, chunkCount: 100, chunksDone: 12, speed: 8 * MIB, etaSeconds: 11,
    peers: [
      { peerId: '12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', bytes: 8 * MIB, rate: 0, state: 'active', inFlight: 2 },
      { peerId: '12D3KooWBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', bytes: 4 * MIB, rate: 0, state: 'active', inFlight: 2 },
      { peerId: '12D3KooWCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC', bytes: 0, rate: 0, state: 'active', inFlight: 0 }
    ],
    missingPeers: [], bannedPeers: [], error: null, errorCode: null, peersUsed: 2,
    ...over
  }
}

const views: Array<[string, ProgressView]> = [
  ['running', { kind: 'job', snapshot: snapshot() }],
  ['short name', { kind: 'job', snapshot: snapshot({ name: 'a.bin' }) }],
  ['wide name', { kind: 'job', snapshot: snapshot({ name: '山の休日のビデオ-最終版-2026年.mkv' }) }],
  ['stalled', { kind: 'job', snapshot: snapshot({ state: 'stalled', missingPeers: ['12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'] }) }],
  ['lookup', { kind: 'lookup', label: 'holiday-video-from-the-mountains-2026-final-cut.mkv', asked: 3, elapsedMs: 7400 }]
]

test('the bar line fits every width from 8 to 250 columns, coloured or not', () => {
  for (const [what, view] of views) {
    for (let width = 8; width <= 250; width++) {
      for (const pal of [palette(false), palette(true)]) {
        const line = barLine(view, width, pal)
        assert.ok(displayWidth(stripSgr(line)) <= width, `${what} at ${width}: ${JSON.stringify(line)}`)
        assert.ok(!stripSgr(line).includes('\n') && !stripSgr(line).includes('\r'))
      }
    }
  }
})

test('the bar names the file, cut with an ellipsis when narrow, whole when wide', () => {
  const view = views[0]?.[1] as ProgressView
  const narrow = barLine(view, 49)
  assert.match(narrow, /^holiday-vid\S*… \[[#-]+\] 12\.0%/)
  assert.match(narrow, /8\.0 MiB\/s/, 'speed kept at 49 columns')
  const wide = barLine(view, 119)
  assert.match(wide, /^holiday-video-from-the-mountains-2026-final-cut\.mkv \[[#-]{10,}\] 12\.0% 12\.0 MiB\/100 MiB 8\.0 MiB\/s ETA 11s 2 peers$/)
})

test('"peers" counts peers that sent bytes, on the bar and in the log line', () => {
  const view = views[0]?.[1] as ProgressView
  assert.match(barLine(view, 200), / 2 peers$/)
  assert.equal(logLine(view), '[#Jb3x9kQa holiday-video-from-the-mountains-2026-final-cut.mkv 12.0MiB/100MiB(12%) CN:2 DL:8.0MiB ETA:11s]')
})

test('a stalled job says it waits and for whom; the lookup says what it does', () => {
  assert.match(barLine(views[3]?.[1] as ProgressView, 200), /stalled — waiting for peers \(missing: 12D3KooW…AAAAAA\)$/)
  assert.match(logLine(views[3]?.[1] as ProgressView), /\(12%\) stalled — waiting for peers \(missing: 12D3KooW…AAAAAA\)\]$/)
  assert.match(barLine(views[4]?.[1] as ProgressView, 200), /^holiday\S+ looking for peers: asked 3, found 0 · 7s$/)
  assert.match(barLine(views[4]?.[1] as ProgressView, 40), /looking for peers: asked 3, found 0 · 7s$/)
})

test('control characters in a name cannot move the cursor', () => {
  const line = barLine({ kind: 'job', snapshot: snapshot({ name: 'evil\r\x1b[2Jname' }) }, 120)
  assert.ok(!line.includes('\r') && !line.includes('\x1b'), JSON.stringify(line))
})
