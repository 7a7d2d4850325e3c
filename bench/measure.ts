/**
 * Timing helpers of the benchmark: repeated, interleaved measurements and their summary.
 *
 * The machine is shared, so every measurement is repeated and the sides of a comparison run
 * alternately (A B, then B A, ...) so that a burst of outside load hits both sides alike.
 */

/** Summary of repeated measurements (milliseconds unless said otherwise). */
export interface Stats {
  readonly samples: ReadonlyArray<number>
  readonly median: number
  readonly best: number
  readonly worst: number
}

/** Median, best (lowest) and worst (highest) of `samples`. */
export function stats(samples: ReadonlyArray<number>): Stats {
  if (samples.length === 0) throw new Error("stats: no samples")
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { samples: [...samples], median, best: sorted[0], worst: sorted[sorted.length - 1] }
}

/** Wall time of `fn` in milliseconds. */
export async function elapsed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

/** One measured run of one side: resolves with the milliseconds it took (setup and checks excluded). */
export type Side = () => Promise<number>

/**
 * Runs every side `warmups` times untimed (default 2: JIT of both the client code and the
 * workers, worker modules, caches), then `reps` timed rounds, alternating the order of the sides
 * from one round to the next.
 */
export async function compare<K extends string>(
  reps: number,
  sides: Record<K, Side>,
  options?: { warmups?: number }
): Promise<Record<K, Stats>> {
  const names = Object.keys(sides) as K[]
  const warmups = options?.warmups ?? 2
  for (let i = 0; i < warmups; i++) for (const name of names) await sides[name]()
  const samples = {} as Record<K, number[]>
  for (const name of names) samples[name] = []
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 === 0 ? names : [...names].reverse()
    for (const name of order) samples[name].push(await sides[name]())
  }
  const out = {} as Record<K, Stats>
  for (const name of names) out[name] = stats(samples[name])
  return out
}

let nextBase = 0

/**
 * A base for fresh inputs: weft's pure calls with equal arguments share one key (and one
 * computation), so every run uses inputs no earlier run used.
 */
export function freshBase(): number {
  nextBase += 1_000_000
  return nextBase
}

/** `[start, start + 1, ..., start + n - 1]`. */
export function range(start: number, n: number): number[] {
  const out = new Array<number>(n)
  for (let i = 0; i < n; i++) out[i] = start + i
  return out
}

/** Throws when a side computed a wrong result: a fast wrong answer must not make the table. */
export function expect(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench: wrong result: ${what}`)
}

/** Microseconds per task of a run of `ms` milliseconds over `tasks` tasks. */
export const usPerTask = (ms: number, tasks: number): number => (ms * 1000) / tasks
