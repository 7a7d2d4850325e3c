/**
 * Scenario 13: the event loop while weft adds huge work (issue 18).
 *
 * - `client.compute` of a 300,000- and a 1,000,000-node graph: chains of 100 `delayed(inc)`,
 *   their ends summed in groups of 100, then one sum (built before the clock starts). Measured:
 *   the longest gap between ticks of a 1 ms `setInterval` from the `compute` call to the value
 *   (the longest block of the event loop), the time of the `compute` call itself, the total, and
 *   the longest garbage-collection pause seen meanwhile (`PerformanceObserver`, entry type "gc"),
 *   which is the engine's and not weft's; also the most CPU time the main thread spent between
 *   two ticks (Linux), the longest block as a quiet machine would see it (bench/loop-probe.mjs);
 * - 1,000,000 tasks in `client.map` chunks of 10,000, each chunk gathered (and released) before
 *   the next is submitted: µs per task, and the longest block.
 *
 * No raw side (tinypool has no graphs); targets from issue 18: no block over 50 ms, and the chunked
 * map at <= 5 µs per task. One run per size (a 1,000,000-node graph takes seconds).
 */
import os from "node:os"
import { delayed, type Client, type Delayed } from "weft"
import { probeLoop } from "../loop-probe.mjs"
import { expect, freshBase, range, stats } from "../measure.js"
import { startWeft } from "../pools.js"
import type { Scenario } from "../scenario.js"
import type { Row } from "../table.js"

const links = 100
const blockLimitMs = 50
const chunkTotal = 1_000_000
const chunk = 10_000
const chunkTargetUs = 5

const inc = (x: number) => x + 1
const sum = (xs: number[]) => {
  let s = 0
  for (const x of xs) s += x
  return s
}

/** Runs `work` under the shared probe (bench/loop-probe.mjs): its value, the longest block (wall and main-thread CPU, ms) and GC pause. */
async function probe<T>(work: () => Promise<T>): Promise<{ value: T; longest: number; cpu: number; gc: number }> {
  const seen = await probeLoop(work)
  return { value: seen.value, longest: seen.longest, cpu: seen.longestCpu ?? Number.NaN, gc: seen.gc }
}

/** `nodes / 100` chains of 100 incs from base + c, summed in groups of 100, then summed. */
function build(base: number, nodes: number): { root: Delayed<number>; expected: number } {
  const chains = Math.round(nodes / links)
  const ends: Array<Delayed<number>> = new Array(chains)
  for (let c = 0; c < chains; c++) {
    let d = delayed(inc)(base + c)
    for (let k = 1; k < links; k++) d = delayed(inc)(d)
    ends[c] = d
  }
  const groups: Array<Delayed<number>> = []
  for (let g = 0; g < chains; g += 100) groups.push(delayed(sum)(ends.slice(g, g + 100)))
  return { root: delayed(sum)(groups), expected: chains * (base + links) + (chains * (chains - 1)) / 2 }
}

async function graphRun(client: Client, nodes: number) {
  const { root, expected } = build(freshBase(), nodes)
  let callMs = 0
  const start = performance.now()
  const { value, longest, cpu, gc } = await probe(async () => {
    const t = performance.now()
    const future = client.compute(root)
    callMs = performance.now() - t
    const v = await future.result()
    future.release()
    return v
  })
  const totalMs = performance.now() - start
  expect(value === expected, `graph of ${nodes}: ${value}, expected ${expected}`)
  return { callMs, longest, cpu, gc, totalMs }
}

async function chunksRun(client: Client) {
  const start = performance.now()
  const { longest, cpu, gc } = await probe(async () => {
    for (let i = 0; i < chunkTotal; i += chunk) {
      const items = range(freshBase(), chunk)
      const futures = client.map(inc, items)
      const values = await client.gather(futures)
      expect(values[chunk - 1] === items[chunk - 1] + 1, "chunked map: wrong value")
      for (const f of futures) f.release()
    }
  })
  return { usPerTask: ((performance.now() - start) * 1000) / chunkTotal, longest, cpu, gc }
}

const blockRow = (scenario: string, longest: number, cpu: number, gc: number, extra: string): Row => ({
  scenario,
  weft: `longest block ${longest.toFixed(0)} ms (main-thread CPU ${cpu.toFixed(0)} ms, GC ${gc.toFixed(0)} ms)`,
  raw: "-",
  ratio: undefined,
  target: `no block > ${blockLimitMs} ms`,
  met: longest <= blockLimitMs,
  check: extra
})

export const loopScenario: Scenario = {
  id: "loop",
  title: "13. the event loop while adding huge work (300k / 1M-node graphs, 1M tasks in map chunks)",
  async run({ reps, log }) {
    const client = await startWeft()
    try {
      await graphRun(client, 30_000) // warm-up
      const rows: Row[] = []
      const data: Record<string, unknown> = { loadBefore: os.loadavg() }
      for (const nodes of [300_000, 1_000_000]) {
        const runs = []
        for (let r = 0; r < (nodes > 300_000 ? 1 : Math.min(reps, 3)); r++) runs.push(await graphRun(client, nodes))
        const longest = stats(runs.map((r) => r.longest))
        const gc = stats(runs.map((r) => r.gc))
        const cpu = stats(runs.map((r) => (Number.isNaN(r.cpu) ? r.longest : r.cpu)))
        const total = stats(runs.map((r) => r.totalMs))
        const call = stats(runs.map((r) => r.callMs))
        log(
          `  ${nodes} nodes: compute() ${call.median.toFixed(0)} ms, longest block ${longest.median.toFixed(0)} ms (CPU ${cpu.median.toFixed(0)} ms), total ${total.median.toFixed(0)} ms`
        )
        rows.push(
          blockRow(
            `client.compute of a ${nodes.toLocaleString("en")}-node graph, to its value`,
            longest.median,
            cpu.median,
            gc.median,
            `compute() call ${call.median.toFixed(0)} ms, total ${(total.median / 1000).toFixed(2)} s`
          )
        )
        data[`graph${nodes}`] = runs
      }
      const chunked = await chunksRun(client)
      log(`  chunked map: ${chunked.usPerTask.toFixed(1)} µs/task, longest block ${chunked.longest.toFixed(0)} ms`)
      rows.push({
        scenario: `${chunkTotal.toLocaleString("en")} tasks in map chunks of ${chunk.toLocaleString("en")} (+ gather each)`,
        weft: `${chunked.usPerTask.toFixed(1)} µs/task, longest block ${chunked.longest.toFixed(0)} ms (main-thread CPU ${chunked.cpu.toFixed(0)} ms)`,
        raw: "-",
        ratio: undefined,
        target: `<= ${chunkTargetUs} µs/task`,
        met: chunked.usPerTask <= chunkTargetUs,
        check: `GC pause up to ${chunked.gc.toFixed(0)} ms`
      })
      data.chunks = chunked
      data.loadAfter = os.loadavg()
      return { rows, data }
    } finally {
      await client.close()
    }
  }
}
