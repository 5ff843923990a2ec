/**
 * A download's chunks on a canvas: one cell per chunk, coloured by state and
 * by the peer it came from. A batch of changes redraws only its cells; a
 * full draw (first paint, a resize, a change of scheme, a report of every
 * chunk) writes pixels into ImageData bands of rows, a few bands per
 * animation frame, so no frame spends more than about FULL_DRAW_SLICE_MS on
 * it however big the grid (a 32,000-chunk grid took one 79 ms task drawn at
 * once). Cells changed while a full draw is under way are drawn at once; the
 * bands read the current state, so they agree. Each slice is measured as the
 * User Timing entry `shoal:grid-slice`. The canvas never goes through
 * Preact's diff.
 */
import { useEffect, useRef } from 'preact/hooks'
import { STATUS_COMPLETED, STATUS_DOWNLOADING, STATUS_FAILED, type ChunkMap } from '../chunks'
import { css, FAILED_RGB, isDark, peerRgb, pendingRgb, type Rgb } from '../colours'

/** Cell size in CSS pixels (gap included) by chunk count: big for few chunks, small for thousands. */
function cellSize (count: number): number {
  if (count <= 256) return 16
  if (count <= 2_000) return 10
  if (count <= 8_000) return 7
  return 5
}
/** Redraw cell by cell below this many changes; above, the whole grid (in slices). */
const INCREMENTAL_MAX = 2_000
/** Main-thread time one slice of a full draw may take, in ms: a quarter of a 60 Hz frame, the rest is the page's. */
const FULL_DRAW_SLICE_MS = 4
/**
 * Cells per band of a full draw (a band is whole rows): small enough that one
 * band stays well inside a slice even before the drawing code is optimised
 * (bands of 2,000 cells made a 22 ms first slice).
 */
const BAND_CELLS = 500
/** User Timing entries kept for slices (the browser test reads them). */
const MAX_SLICE_MEASURES = 5_000
let sliceMeasures = 0

export function ChunkGrid ({ map, label }: { map: ChunkMap, label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  const box = useRef<HTMLDivElement>(null)

  useEffect(() => {
    const el = canvas.current
    const wrap = box.current
    if (el == null || wrap == null) return
    const ctx = el.getContext('2d', { alpha: false })
    if (ctx == null) return
    const cell = cellSize(map.count)
    const gap = cell >= 7 ? 1 : cell >= 5 ? 1 : 0
    let cols = 1
    let dark = isDark()
    let colours: Rgb[] = []
    const colourOf = (p: number): Rgb => {
      if (p < 0) return peerRgb(-1, dark)
      while (colours.length <= p) colours.push(peerRgb(colours.length, dark))
      return colours[p] as Rgb
    }
    const background = (): Rgb => dark ? [22, 26, 33] : [255, 255, 255]

    const layout = (): void => {
      const width = Math.max(cell, Math.floor(wrap.clientWidth))
      cols = Math.max(1, Math.floor(width / cell))
      const rows = Math.ceil(map.count / cols)
      el.width = cols * cell
      el.height = Math.max(cell, rows * cell)
      el.style.width = `${el.width}px`
      el.style.height = `${el.height}px`
    }

    /** Draws rows [r0, r1) from the current state into one ImageData band. */
    const drawBand = (r0: number, r1: number): void => {
      const img = ctx.createImageData(el.width, (r1 - r0) * cell)
      const px = img.data
      const bg = background()
      for (let i = 0; i < px.length; i += 4) { px[i] = bg[0]; px[i + 1] = bg[1]; px[i + 2] = bg[2]; px[i + 3] = 255 }
      const pending = pendingRgb(dark)
      const inner = cell - gap
      const last = Math.min(map.count, r1 * cols)
      for (let i = r0 * cols; i < last; i++) {
        const x0 = (i % cols) * cell
        const y0 = (Math.floor(i / cols) - r0) * cell
        const s = map.status[i]
        const colour = s === STATUS_COMPLETED ? colourOf(map.peer[i] as number) : s === STATUS_FAILED ? FAILED_RGB : pending
        // A downloading chunk fills from the bottom with its peer's colour, as far as it got.
        const filled = s === STATUS_DOWNLOADING ? Math.max(1, Math.round(inner * (map.percent[i] as number) / 100)) : 0
        const fill = s === STATUS_DOWNLOADING ? colourOf(map.peer[i] as number) : colour
        for (let y = 0; y < inner; y++) {
          const c = filled > 0 && y >= inner - filled ? fill : colour
          let o = ((y0 + y) * el.width + x0) * 4
          for (let x = 0; x < inner; x++, o += 4) { px[o] = c[0]; px[o + 1] = c[1]; px[o + 2] = c[2] }
        }
      }
      ctx.putImageData(img, 0, r0 * cell)
    }

    // The full draw under way: the next row to draw, and its frame request.
    let nextRow = -1
    let slice = 0
    const drawSlice = (): void => {
      slice = 0
      if (nextRow < 0) return
      const start = performance.now()
      const rows = Math.ceil(map.count / cols)
      const bandRows = Math.max(1, Math.floor(BAND_CELLS / cols))
      while (nextRow < rows && performance.now() - start < FULL_DRAW_SLICE_MS) {
        const end = Math.min(rows, nextRow + bandRows)
        drawBand(nextRow, end)
        nextRow = end
      }
      if (sliceMeasures++ < MAX_SLICE_MEASURES) performance.measure('shoal:grid-slice', { start, end: performance.now(), detail: { chunks: map.count, done: nextRow >= rows } })
      if (nextRow < rows) slice = requestAnimationFrame(drawSlice)
      else nextRow = -1
    }
    /** Starts (or restarts) a full draw: the background at once (one fill), the cells in slices from the next frame. */
    const drawAll = (): void => {
      ctx.fillStyle = css(background())
      ctx.fillRect(0, 0, el.width, el.height)
      nextRow = 0
      if (slice === 0) slice = requestAnimationFrame(drawSlice)
    }

    const drawCell = (i: number): void => {
      const x = (i % cols) * cell
      const y = Math.floor(i / cols) * cell
      const inner = cell - gap
      const s = map.status[i]
      const rgb = s === STATUS_COMPLETED ? colourOf(map.peer[i] as number) : s === STATUS_FAILED ? FAILED_RGB : pendingRgb(dark)
      ctx.fillStyle = `rgb(${rgb[0]} ${rgb[1]} ${rgb[2]})`
      ctx.fillRect(x, y, inner, inner)
      if (s === STATUS_DOWNLOADING) {
        const h = Math.max(1, Math.round(inner * (map.percent[i] as number) / 100))
        const p = colourOf(map.peer[i] as number)
        ctx.fillStyle = `rgb(${p[0]} ${p[1]} ${p[2]})`
        ctx.fillRect(x, y + inner - h, inner, h)
      }
    }

    layout()
    drawAll()
    const stop = map.listen((changed) => {
      if (changed == null || changed.length > INCREMENTAL_MAX) drawAll()
      else for (const i of changed) drawCell(i)
    })
    const resize = new ResizeObserver(() => {
      const before = cols
      const width = Math.floor(wrap.clientWidth)
      if (Math.max(1, Math.floor(width / cell)) !== before) { layout(); drawAll() }
    })
    resize.observe(wrap)
    const scheme = window.matchMedia('(prefers-color-scheme: dark)')
    const onScheme = (): void => { dark = isDark(); colours = []; drawAll() }
    scheme.addEventListener('change', onScheme)
    const onMove = (e: MouseEvent): void => {
      const i = Math.floor(e.offsetY / cell) * cols + Math.floor(e.offsetX / cell)
      if (i < 0 || i >= map.count) return
      const s = map.status[i]
      const state = s === STATUS_COMPLETED ? 'completed' : s === STATUS_DOWNLOADING ? `downloading ${map.percent[i]}%` : s === STATUS_FAILED ? 'failed' : 'pending'
      const peer = map.peers[map.peer[i] as number]
      el.title = `chunk ${i}: ${state}${peer != null ? ` from ${peer}` : ''}`
    }
    el.addEventListener('mousemove', onMove)
    return () => {
      cancelAnimationFrame(slice)
      nextRow = -1
      stop()
      resize.disconnect()
      scheme.removeEventListener('change', onScheme)
      el.removeEventListener('mousemove', onMove)
    }
  }, [map])

  return (
    <div class="grid-box" ref={box}>
      <canvas ref={canvas} role="img" aria-label={label} data-chunks={map.count} />
    </div>
  )
}
