/**
 * Colours of the chunk grid: one hue per source peer (in the order peers
 * first sent a chunk), lighter in the dark scheme. Kept as RGB too, for
 * drawing whole grids into an ImageData.
 */

export type Rgb = [number, number, number]

/** Peer hues, chosen to stay apart from each other and from the failed red. */
const PEER_HUES = [210, 140, 280, 35, 180, 320, 95, 250, 20, 160, 300, 60]

export function isDark (): boolean {
  return window.matchMedia('(prefers-color-scheme: dark)').matches
}

export function peerRgb (index: number, dark: boolean): Rgb {
  if (index < 0) return dark ? [140, 150, 165] : [100, 110, 125]
  const hue = PEER_HUES[index % PEER_HUES.length] as number
  const round = Math.floor(index / PEER_HUES.length)
  return hslToRgb(hue, 0.7 - 0.15 * (round % 3), dark ? 0.6 : 0.42)
}

export function pendingRgb (dark: boolean): Rgb { return dark ? [42, 49, 60] : [223, 228, 236] }
export const FAILED_RGB: Rgb = [217, 48, 37]

export function css (rgb: Rgb): string { return `rgb(${rgb[0]} ${rgb[1]} ${rgb[2]})` }

function hslToRgb (h: number, s: number, l: number): Rgb {
  const a = s * Math.min(l, 1 - l)
  const f = (n: number): number => {
    const k = (n + h / 30) % 12
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))))
  }
  return [f(0), f(8), f(4)]
}
