/**
 * Scenario 6: a tree reduction of 8,192 leaves (16,383 tasks, depth 13) built with `delayed`.
 *
 * - weft: leaves `delayed(inc)(base + i)`, then pairwise `delayed(add)(a, b)` level by level up to
 *   one root (the build), `client.compute(root)` (the submit), then `.result()`. The clock runs
 *   from the first `delayed` call to the root's value (build + compute); build and submit are
 *   also timed on their own in the same runs;
 * - raw tinypool: a hand-written loop that calls `pool.run` for each task as soon as its inputs
 *   are ready: every leaf's `pool.run(x)` at once (in leaf order), and each pair's
 *   `pool.run([a, b], { name: "sum" })` when both of its inputs are back. tinypool runs its queue
 *   first-in-first-out, so this is "plain FIFO" order: leaves first, sums queued behind them.
 *
 * Target: weft at least 2x faster end to end (build + compute).
 *
 * Peak held results (results computed and not yet released because a dependent still needs them):
 * - weft: `engineOf(client).scheduler.heldKeys().length`, sampled once per batch landing (an
 *   `engine.observe` callback schedules one microtask that reads it, as
 *   `test/graph/fusion.test.ts` does), in separate untimed runs: reading the scheduler's table
 *   once per batch would slow the timed ones;
 * - raw tinypool (FIFO): counted exactly in the timed runs: +1 when a result arrives, -2 when the
 *   sum that consumes a pair arrives (weft releases an input when its dependent settles, too).
 *
 * Target: weft's peak under 2 x workers x tree depth (2 x 2 x 13 = 52).
 */
import type { Tinypool } from "tinypool"
import { delayed, type Client, type Delayed } from "weft"
import { compare, expect, freshBase, stats, usPerTask, type Side } from "../measure.js"
import { withBoth, workers } from "../pools.js"
import { graphSide, graphStats, graphTimes } from "../graph-side.js"
import type { Scenario } from "../scenario.js"
import type { Row } from "../table.js"
import { engineOf } from "../../dist/runtime/internal/client-engine.js"

const leaves = 8_192
const depth = Math.log2(leaves)
const tasks = 2 * leaves - 1
const heldLimit = 2 * workers * depth
const targetRatio = 2
const warmups = 2

const inc = (x: number) => x + 1
const add = (a: number, b: number) => a + b

/** inc(base + i) summed over i < leaves. */
const expected = (base: number) => leaves * (base + 1) + (leaves * (leaves - 1)) / 2

/** The tree on `base`: 8,192 leaves, then pairwise sums up to the root. */
function build(base: number): Delayed<number> {
  let level: Array<Delayed<number>> = new Array(leaves)
  for (let i = 0; i < leaves; i++) level[i] = delayed(inc)(base + i)
  while (level.length > 1) {
    const next: Array<Delayed<number>> = new Array(level.length >> 1)
    for (let i = 0; i < next.length; i++) next[i] = delayed(add)(level[2 * i], level[2 * i + 1])
    level = next
  }
  return level[0]
}

/** One untimed weft run with the held-results sampler on: the peak seen. */
async function weftPeak(client: Client): Promise<number> {
  const base = freshBase()
  const scheduler = engineOf(client).scheduler
  let peak = 0
  let sampling = false
  const stop = engineOf(client).observe(() => {
    if (sampling) return
    sampling = true
    queueMicrotask(() => {
      sampling = false
      peak = Math.max(peak, scheduler.heldKeys().length)
    })
  })
  try {
    const future = client.compute(build(base))
    const value = await future.result()
    expect(value === expected(base), `weft tree (sampled) gave ${value}, expected ${expected(base)}`)
    future.release()
  } finally {
    stop()
  }
  return peak
}

const rawSide =
  (pool: Tinypool, peaks: number[]): Side =>
  async () => {
    const base = freshBase()
    let held = 0
    let peak = 0
    const landed = (value: number): number => {
      if (++held > peak) peak = held
      return value
    }
    const node = async (level: number, i: number): Promise<number> => {
      if (level === 0) return landed((await pool.run(base + i)) as number)
      const [a, b] = await Promise.all([node(level - 1, 2 * i), node(level - 1, 2 * i + 1)])
      const value = (await pool.run([a, b], { name: "sum" })) as number
      held -= 2
      return landed(value)
    }
    const start = performance.now()
    const value = await node(depth, 0)
    const ms = performance.now() - start
    expect(value === expected(base), `tinypool tree gave ${value}, expected ${expected(base)}`)
    expect(held === 1, `tinypool tree: ${held} results held at the end, expected 1`)
    peaks.push(peak)
    return ms
  }

export const treeScenario: Scenario = {
  id: "tree",
  title: "6. tree reduction of 8,192 leaves (16,383 tasks) with delayed",
  async run({ reps }) {
    const times = graphTimes()
    const rawPeaks: number[] = []
    const { results, weftPeaks } = await withBoth(async (client, pool) => {
      const results = await compare(
        reps,
        { weft: graphSide(client, times, "tree", build, expected), raw: rawSide(pool, rawPeaks) },
        { warmups }
      )
      const weftPeaks: number[] = []
      for (let i = 0; i < reps; i++) weftPeaks.push(await weftPeak(client))
      return { results, weftPeaks }
    })
    // The warm-up runs pushed too: keep the timed ones.
    const { build: buildTimes, submit, compute } = graphStats(times, warmups)
    const heldWeft = stats(weftPeaks)
    const heldRaw = stats(rawPeaks.slice(warmups))
    const weftUs = usPerTask(results.weft.median, tasks)
    const rawUs = usPerTask(results.raw.median, tasks)
    const ratio = results.raw.median / results.weft.median
    const name = `tree ${leaves / 1024}k leaves (${tasks.toLocaleString("en")} tasks)`
    const rows: Row[] = [
      {
        scenario: `${name}, build + compute vs pool.run when ready`,
        weft: `${weftUs.toFixed(1)} µs/task (${results.weft.median.toFixed(0)} ms)`,
        raw: `${rawUs.toFixed(1)} µs/task (${results.raw.median.toFixed(0)} ms)`,
        ratio,
        target: `>= ${targetRatio}x faster`,
        met: ratio >= targetRatio
      },
      {
        scenario: `${name}: build / submit / compute`,
        weft: `${buildTimes.median.toFixed(0)} / ${submit.median.toFixed(0)} / ${compute.median.toFixed(0)} ms`,
        raw: "-",
        ratio: undefined,
        target: "-",
        met: undefined,
        check: `build ${usPerTask(buildTimes.median, tasks).toFixed(1)}, submit ${usPerTask(submit.median, tasks).toFixed(1)} µs/task`
      },
      {
        scenario: `${name}: peak held results (raw: plain FIFO)`,
        weft: `${heldWeft.median} (runs: ${heldWeft.best}-${heldWeft.worst})`,
        raw: `${heldRaw.median}`,
        ratio: undefined,
        target: `< ${heldLimit} (2 x workers x depth ${depth})`,
        met: heldWeft.median < heldLimit,
        check: `median ${heldWeft.median}`
      }
    ]
    return {
      rows,
      data: {
        leaves,
        depth,
        tasks,
        ms: results,
        weftPhasesMs: { build, submit, compute },
        usPerTask: { weft: weftUs, raw: rawUs },
        peakHeld: { limit: heldLimit, weft: heldWeft, rawFifo: heldRaw }
      }
    }
  }
}
