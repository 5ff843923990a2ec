/**
 * Shared settings for the property-based fuzz tests (fast-check).
 *
 * `npm test` runs every property with a fixed seed and a small run count, so
 * the whole folder stays around a minute on a busy machine. `npm run fuzz`
 * sets SHOAL_FUZZ_SCALE (multiplies every run count) and SHOAL_FUZZ_SEED
 * (`random` or a number). A failure prints the seed and fast-check's
 * counterexample path: replay with `SHOAL_FUZZ_SEED=<seed> node --import tsx
 * --test test/fuzz/<file>.test.ts`.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ERROR_CODES } from '../../src/errors.js'

/** The fixed seed `npm test` uses. */
const DEFAULT_SEED = 0x5e0a1

/** Seed of this run: SHOAL_FUZZ_SEED, a fresh random one for `random`, else a fixed one. */
export const FUZZ_SEED = resolveSeed(process.env.SHOAL_FUZZ_SEED)
/** Multiplier on every property's run count (SHOAL_FUZZ_SCALE, default 1). */
export const FUZZ_SCALE = Math.max(1, Number(process.env.SHOAL_FUZZ_SCALE ?? '1') || 1)
/** Longest a single synchronous decode may take before it counts as a hang, in ms (generous: busy 2-core box). */
export const MAX_SYNC_CASE_MS = 2_000
/** Longest a single asynchronous case may take (fast-check fails the case past it), in ms. */
export const MAX_ASYNC_CASE_MS = 15_000

function resolveSeed (text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_SEED
  if (text === 'random') return Math.floor(Math.random() * 0x7fffffff)
  const seed = Number(text)
  if (!Number.isSafeInteger(seed)) throw new Error(`SHOAL_FUZZ_SEED must be an integer or "random", got ${text}`)
  return seed
}

/** Runs a property `runs × SHOAL_FUZZ_SCALE` times with the run's seed; the failure message names the seed. */
export async function check<T> (property: fc.IProperty<T> | fc.IAsyncProperty<T>, runs: number): Promise<void> {
  try {
    await fc.assert(property as fc.IAsyncProperty<T>, { seed: FUZZ_SEED, numRuns: runs * FUZZ_SCALE, timeout: MAX_ASYNC_CASE_MS })
  } catch (err) {
    // fast-check's message carries the seed and path too; this line says how to replay.
    console.error(`fuzz failure: replay with SHOAL_FUZZ_SEED=${FUZZ_SEED} (SHOAL_FUZZ_SCALE=${FUZZ_SCALE})`)
    const cause = (err as { cause?: unknown }).cause
    if (cause !== undefined) console.error('fuzz failure cause:', cause instanceof Error ? cause.message : cause)
    throw err
  }
}

/**
 * Runs `fn` and classifies the outcome: its result, or the code of the error
 * it threw. Fails when it throws something that is not a coded ShoalError
 * (a crash), when the code is not one of `allowed`, or when it takes longer
 * than MAX_SYNC_CASE_MS (a hang, as far as a synchronous call can tell).
 */
export function outcome<T> (fn: () => T, allowed: readonly string[]): { ok: true, value: T } | { ok: false, code: string } {
  const started = performance.now()
  try {
    return { ok: true, value: fn() }
  } catch (err) {
    assertCoded(err, allowed)
    return { ok: false, code: (err as { code: string }).code }
  } finally {
    const took = performance.now() - started
    assert.ok(took < MAX_SYNC_CASE_MS, `one case took ${Math.round(took)} ms`)
  }
}

/** Asserts `err` is a coded Shoal error whose code is in `allowed`. */
export function assertCoded (err: unknown, allowed: readonly string[]): void {
  const code = (err as { code?: unknown } | undefined)?.code
  if (typeof code !== 'string' || !(code in ERROR_CODES) || !allowed.includes(code)) {
    assert.fail(`expected a ShoalError with one of ${allowed.join(', ')}, got ${String(code)}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
  }
}

/**
 * Mutations of valid bytes, the inputs most likely to get past a decoder's
 * first checks: flipped bytes, truncation, insertion, a spliced-in run.
 */
export function mutated (valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), fc.uint8Array({ minLength: 1, maxLength: 8 })), { minLength: 1, maxLength: 4 }))
    .map(([bytes, edits]) => {
      let out = Uint8Array.from(bytes)
      for (const [at, kind, data] of edits) {
        const i = out.byteLength === 0 ? 0 : at % out.byteLength
        if (kind === 0 && out.byteLength > 0) out[i] = data[0]!
        else if (kind === 1) out = out.subarray(0, i)
        else if (kind === 2) out = Uint8Array.from([...out.subarray(0, i), ...data, ...out.subarray(i)])
        else out = Uint8Array.from([...out.subarray(0, i), ...data, ...out.subarray(i + data.byteLength)])
      }
      return out
    })
}
