/**
 * "Did you mean …?" for a mistyped command. Commander picks by edit distance
 * alone, so `stat` became `start` (one letter away) rather than `status`,
 * which it begins. Here a prefix wins first, then the closest by edit
 * distance (transpositions count as one), ties all named.
 */

/** Names further than this many edits are never suggested (and at most a third of the word). */
export const MAX_SUGGESTION_DISTANCE = 2

/** The candidates `typed` most likely meant, best first; empty when none is close. */
export function suggest (typed: string, candidates: readonly string[]): string[] {
  const word = typed.toLowerCase()
  const names = [...new Set(candidates)]
  if (word.length >= 2) {
    const prefixed = names.filter(n => n.startsWith(word))
    if (prefixed.length > 0) return prefixed.sort()
  }
  const limit = Math.min(MAX_SUGGESTION_DISTANCE, Math.max(1, Math.floor(word.length / 3)))
  let best = Infinity
  let out: string[] = []
  for (const name of names) {
    const d = editDistance(word, name)
    if (d > limit || d > best) continue
    if (d < best) { best = d; out = [] }
    out.push(name)
  }
  return out.sort()
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance (a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i === 0 ? j : j === 0 ? i : 0))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      const row = d[i] as number[]
      const prev = d[i - 1] as number[]
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1)
    }
  }
  return (d[a.length] as number[])[b.length] as number
}
