/**
 * Units and the few statistics the benchmark reports: medians of repeated
 * runs, throughput, and ratios against a baseline measured in the same run.
 */

/** Bytes in a KiB, MiB and GiB. */
export const KiB = 1024
export const MiB = 1024 * KiB
export const GiB = 1024 * MiB

/** Repeated timings of one measurement and their median. */
export interface Series {
  /** Each run's time, ms, in the order they ran. */
  runsMs: number[]
  medianMs: number
  /** Throughput at the median time. */
  mibPerSecond: number
}

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median (values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Rounds to `digits` decimals. */
export function round (n: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/** The series of `runsMs` for `bytes` moved per run. */
export function series (runsMs: number[], bytes: number): Series {
  const medianMs = median(runsMs)
  return { runsMs: runsMs.map(ms => round(ms, 1)), medianMs: round(medianMs, 1), mibPerSecond: round(bytes / MiB / (medianMs / 1000), 1) }
}

/** `a / b`, to three decimals. */
export function ratio (a: number, b: number): number {
  return round(a / b, 3)
}

/** "1 GiB", "256 MiB", "4 KiB" or "123 B": sizes as the report names them. */
export function formatSize (bytes: number): string {
  for (const [unit, size] of [['GiB', GiB], ['MiB', MiB], ['KiB', KiB]] as const) {
    if (bytes >= size) return `${round(bytes / size, 2)} ${unit}`
  }
  return `${bytes} B`
}

/** Parses "1GiB", "256 MiB", "4k", "1073741824" into bytes; undefined when it does not parse. */
export function parseSize (text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$/i.exec(text)
  if (m === null) return undefined
  const scale = { '': 1, k: KiB, m: MiB, g: GiB }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g']
  const bytes = Math.round(Number(m[1]) * scale)
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined
}
