// Event-loop responsiveness while weft adds a huge graph or map (plain node, built weft):
//   node bench/profile/loop-block.mjs graph 300000|1000000 [reps=1]
//   node bench/profile/loop-block.mjs chunks 1000000 [chunk=10000]
//   node bench/profile/loop-block.mjs scenario       (scenario 13's order in one process: 30k, 3 x 300k, 1M)
//   node bench/profile/loop-block.mjs release 300000 (the longest block while the output of an N-node graph, all of it
//                                                     waiting on tasks that sleep, is released: the whole graph goes)
// graph: chains of 100 `delayed(inc)` (N nodes in all) summed in groups; prints how long the
// synchronous `client.compute` call took, the longest event-loop block seen from the call to the
// result (a 1 ms setInterval probe, bench/loop-probe.mjs), the total time, the process's CPU time
// and the GC pauses. chunks: `client.map` of N tasks in chunks of `chunk`, each chunk gathered
// before the next is submitted; prints µs per task and the longest block.
// LOOP_BLOCKS=<file.json> also writes every block over 50 ms (or LOOP_BLOCKS_MS) there, for
// bench/profile/blocks.mjs to match against a `--cpu-prof` profile of the same run.
import { writeFileSync } from "node:fs"
import os from "node:os"
import { Client, delayed } from "weft"
import { probeLoop } from "../loop-probe.mjs"

const [mode = "graph", nArg = "300000", extra] = process.argv.slice(2)
const n = Number(nArg)
const blocksFile = process.env.LOOP_BLOCKS
const listOver = blocksFile === undefined ? undefined : Number(process.env.LOOP_BLOCKS_MS ?? 50)
const allBlocks = []
const inc = (x) => x + 1
const sum = (xs) => xs.reduce((a, b) => a + b, 0)

/** Runs `work` under the probe; keeps the blocks it lists, and returns what the probe saw plus the process's CPU time. */
async function probe(work) {
  const cpu0 = process.cpuUsage()
  const seen = await probeLoop(work, listOver)
  const cpu = process.cpuUsage(cpu0)
  if (seen.blocks !== undefined) allBlocks.push(...seen.blocks)
  const blocks = seen.blocks === undefined ? "" : `, ${seen.blocks.length} blocks > ${listOver} ms`
  const figures =
    `longest block ${seen.longest.toFixed(0)} ms (main-thread CPU ${seen.longestCpu?.toFixed(0) ?? "?"} ms)${blocks}, process CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, ` +
    `GC longest ${seen.gc.toFixed(0)} ms / all ${seen.gcTotal.toFixed(0)} ms, load ${os.loadavg()[0].toFixed(1)}`
  return { value: seen.value, figures }
}

const client = await Client.local({ workers: 2 })
if (mode === "graph" || mode === "scenario") {
  const sizes = mode === "scenario" ? [30_000, 300_000, 300_000, 300_000, 1_000_000] : Array(Number(extra ?? 1)).fill(n)
  for (let rep = 0; rep < sizes.length; rep++) {
    const n = sizes[rep]
    const base = (rep + 1) * 10_000_000
    const chains = Math.round(n / 100)
    const ends = []
    for (let c = 0; c < chains; c++) {
      let d = delayed(inc)(base + c)
      for (let k = 1; k < 100; k++) d = delayed(inc)(d)
      ends.push(d)
    }
    const groups = []
    for (let g = 0; g < ends.length; g += 100) groups.push(delayed(sum)(ends.slice(g, g + 100)))
    const root = delayed(sum)(groups)
    let submitMs = 0
    const t0 = performance.now()
    const { value, figures } = await probe(async () => {
      const s = performance.now()
      const future = client.compute(root)
      submitMs = performance.now() - s
      const result = await future.result()
      future.release()
      return result
    })
    const total = performance.now() - t0
    const expected = chains * (base + 100) + (chains * (chains - 1)) / 2
    if (value !== expected) throw new Error(`wrong: ${value} != ${expected}`)
    console.log(`graph ${n}: compute() call ${submitMs.toFixed(0)} ms, to result ${total.toFixed(0)} ms, ${figures}`)
  }
} else if (mode === "release") {
  const nap = (ms) => new Promise((resolve) => setTimeout(() => resolve(ms), ms))
  const chains = Math.round(n / 100)
  const ends = []
  for (let c = 0; c < chains; c++) {
    let d = delayed(inc)(delayed(nap)(60_000 + c))
    for (let k = 1; k < 100; k++) d = delayed(inc)(d)
    ends.push(d)
  }
  const groups = []
  for (let g = 0; g < ends.length; g += 100) groups.push(delayed(sum)(ends.slice(g, g + 100)))
  const future = client.compute(delayed(sum)(groups))
  const { engineOf } = await import("../../dist/runtime/internal/client-engine.js")
  const scheduler = engineOf(client).scheduler
  // Until the whole graph is in (the heads sleep 60 s: nothing downstream has run).
  while (scheduler.size < n) await new Promise((resolve) => setTimeout(resolve, 50))
  const before = scheduler.size
  const t0 = performance.now()
  const { figures } = await probe(async () => {
    future.release()
    // Until the graph is forgotten (a few records may stay while their batch is being stopped).
    while (scheduler.size > 100) await new Promise((resolve) => setImmediate(resolve))
  })
  const ms = (performance.now() - t0).toFixed(0)
  console.log(`release of a pending ${n}-node graph (${before} records): forgotten in ${ms} ms, ${figures}`)
} else {
  const chunk = Number(extra ?? 10_000)
  const t0 = performance.now()
  const { figures } = await probe(async () => {
    for (let i = 0; i < n; i += chunk) {
      const items = Array.from({ length: Math.min(chunk, n - i) }, (_, j) => 50_000_000 + i + j)
      const futures = client.map(inc, items)
      const values = await client.gather(futures)
      if (values[0] !== items[0] + 1) throw new Error("wrong")
      for (const f of futures) f.release()
    }
  })
  const ms = performance.now() - t0
  console.log(`map ${n} in chunks of ${chunk}: ${((ms * 1000) / n).toFixed(1)} µs/task, ${figures}`)
}
await client.close()
if (blocksFile !== undefined) writeFileSync(blocksFile, JSON.stringify(allBlocks))
