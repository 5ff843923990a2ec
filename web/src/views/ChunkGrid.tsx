/**
 * A download's chunks on a canvas: one cell per chunk, coloured by state and
 * by the peer it came from. A full draw writes pixels into an ImageData (a
 * 32,000-chunk grid in a few milliseconds); a batch of changes redraws only
 * its cells. The canvas never goes through Preact's diff.
 */
import { useEffect, useRef } from 'preact/hooks'
import { STATUS_COMPLETED, STATUS_DOWNLOADING, STATUS_FAILED, type ChunkMap } from '../chunks'
import { FAILED_RGB, isDark, peerRgb, pendingRgb, type Rgb } from '../colours'

/** Cell size in CSS pixels (gap included) by chunk count: big for few chunks, small for thousands. */
function cellSize (count: number): number {
  if (count <= 256) return 16
  if (count <= 2_000) return 10
  if (count <= 8_000) return 7
  return 5
}
/** Redraw cell by cell below this many changes; above, the whole grid at once. */
const INCREMENTAL_MAX = 2_000

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

    const drawAll = (): void => {
      const img = ctx.createImageData(el.width, el.height)
      const px = img.data
      const bg = background()
      for (let i = 0; i < px.length; i += 4) { px[i] = bg[0]; px[i + 1] = bg[1]; px[i + 2] = bg[2]; px[i + 3] = 255 }
      const pending = pendingRgb(dark)
      const inner = cell - gap
      for (let i = 0; i < map.count; i++) {
        const x0 = (i % cols) * cell
        const y0 = Math.floor(i / cols) * cell
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
      ctx.putImageData(img, 0, 0)
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
