/**
 * Scenario 7: a 100,000-task graph: 1,000 chains of 100 `inc` calls, the chain ends summed in 100
 * groups of 10, then one final sum (100,101 tasks).
 *
 * - weft: chain c is `delayed(inc)(base + c)` followed by 99 `delayed(inc)(previous)`; then
 *   `delayed(sum)(ends of 10 chains)` per group and `delayed(sum)(groups)` (the build),
 *   `client.compute(total)` (the submit), `.result()`. The clock runs from the first `delayed`
 *   call to the value (build + compute); build and submit are also timed on their own;
 * - raw tinypool, the same style of hand-written loop as scenario 6 (`pool.run` for each task as
 *   soon as its inputs are ready): all 1,000 chains at once, each `v = await pool.run(v)` 100
 *   times; each group's `pool.run(ends, { name: "sum" })` when its 10 chains are done; then the
 *   final sum.
 *
 * One warm-up run per side (the raw side takes seconds per run). Target: the weft side finishes
 * in under 30 s (build + compute); the ratio to the raw loop is reported.
 */
import type { Tinypool } from "tinypool"
import { delayed, type Delayed } from "weft"
import { compare, expect, freshBase, range, usPerTask, type Side } from "../measure.js"
import { withBoth } from "../pools.js"
import { graphSide, graphStats, graphTimes } from "../graph-side.js"
import type { Scenario } from "../scenario.js"
import type { Row } from "../table.js"

const chains = 1_000
const links = 100
const group = 10
const groups = chains / group
const tasks = chains * links + groups + 1
const limitMs = 30_000
const warmups = 1

const inc = (x: number) => x + 1
const sum = (xs: number[]) => {
  let s = 0
  for (const x of xs) s += x
  return s
}

/** Chain c ends at base + c + links; the total sums the ends. */
const expected = (base: number) => chains * (base + links) + (chains * (chains - 1)) / 2

function build(base: number): Delayed<number> {
  const ends: Array<Delayed<number>> = new Array(chains)
  for (let c = 0; c < chains; c++) {
    let d = delayed(inc)(base + c)
    for (let k = 1; k < links; k++) d = delayed(inc)(d)
    ends[c] = d
  }
  const partials: Array<Delayed<number>> = new Array(groups)
  for (let g = 0; g < groups; g++) partials[g] = delayed(sum)(ends.slice(g * group, (g + 1) * group))
  return delayed(sum)(partials)
}

const rawSide =
  (pool: Tinypool): Side =>
  async () => {
    const base = freshBase()
    const start = performance.now()
    const chain = async (c: number): Promise<number> => {
      let v = base + c
      for (let k = 0; k < links; k++) v = (await pool.run(v)) as number
      return v
    }
    const ends = range(0, chains).map(chain)
    const partials = range(0, groups).map(async (g) => {
      const values = await Promise.all(ends.slice(g * group, (g + 1) * group))
      return pool.run(values, { name: "sum" }) as Promise<number>
    })
    const value = (await pool.run(await Promise.all(partials), { name: "sum" })) as number
    const ms = performance.now() - start
    expect(value === expected(base), `tinypool 100k graph gave ${value}, expected ${expected(base)}`)
    return ms
  }

export const bigGraphScenario: Scenario = {
  id: "big-graph",
  title: "7. 100,101-task graph: 1,000 chains of 100 inc, summed in groups of 10",
  async run({ reps, log }) {
    const times = graphTimes()
    const results = await withBoth((client, pool) =>
      compare(reps, { weft: graphSide(client, times, "100k graph", build, expected), raw: rawSide(pool) }, { warmups })
    )
    const { build: buildTimes, submit, compute } = graphStats(times, warmups)
    log(
      `  weft build ${buildTimes.median.toFixed(0)} ms, submit ${submit.median.toFixed(0)} ms, compute ${compute.median.toFixed(0)} ms`
    )
    const weftUs = usPerTask(results.weft.median, tasks)
    const rawUs = usPerTask(results.raw.median, tasks)
    const name = `graph ${chains / 1000}k chains x ${links} inc + ${groups + 1} sums (${tasks.toLocaleString("en")})`
    const rows: Row[] = [
      {
        scenario: `${name}, build + compute vs pool.run when ready`,
        weft: `${weftUs.toFixed(1)} µs/task (${(results.weft.median / 1000).toFixed(2)} s)`,
        raw: `${rawUs.toFixed(1)} µs/task (${(results.raw.median / 1000).toFixed(2)} s)`,
        ratio: results.raw.median / results.weft.median,
        target: `weft < ${limitMs / 1000} s`,
        met: results.weft.worst < limitMs,
        check: `slowest run ${(results.weft.worst / 1000).toFixed(2)} s`
      },
      {
        scenario: `${name}: build / submit / compute`,
        weft: `${buildTimes.median.toFixed(0)} / ${submit.median.toFixed(0)} / ${compute.median.toFixed(0)} ms`,
        raw: "-",
        ratio: undefined,
        target: "-",
        met: undefined,
        check: `build ${usPerTask(buildTimes.median, tasks).toFixed(1)}, submit ${usPerTask(submit.median, tasks).toFixed(1)} µs/task`
      }
    ]
    return {
      rows,
      data: {
        chains,
        links,
        group,
        tasks,
        ms: results,
        weftPhasesMs: { build, submit, compute },
        usPerTask: { weft: weftUs, raw: rawUs }
      }
    }
  }
}
