/**
 * The churn soak's randomness (churn-soak.ts): a small seeded PRNG, so that a
 * run's kills and download orders can be drawn again from its printed seed,
 * and the draws made from it.
 */

/** A closed range [lo, hi]. */
export type Range = readonly [number, number]

/** A seeded PRNG (mulberry32): floats in [0, 1), the same sequence for the same seed. */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A uniform draw from `range`. */
export function between (rng: () => number, [lo, hi]: Range): number {
  return lo + rng() * (hi - lo)
}

/** FNV-1a of `name`: XORed into the seed, it gives each user of the seed a stream of its own. */
export function streamOf (name: string): number {
  return [...name].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261) >>> 0
}

/** `items` in a random order (Fisher–Yates). */
export function shuffled<T> (items: readonly T[], rng: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}
