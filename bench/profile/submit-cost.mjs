// Main-thread cost per task of a map and of a delayed tree, for A/B on a loaded machine:
//   node --expose-gc bench/profile/submit-cost.mjs [reps=15] [map,tree]
// WEFT=<a dist's runtime/index.js> measures another build. Prints, per scenario, the minimum over
// `reps` runs (each after a GC) of: the synchronous call (map: `client.map`; tree: the 16,383
// `delayed` calls, then `client.compute`'s synchronous part), and the main thread's CPU time
// (/proc/thread-self/schedstat) from the call to the gathered result, released.
import { readFileSync } from "node:fs"

const { Client, delayed } = await import(process.env.WEFT ?? "weft")
const reps = Number(process.argv[2] ?? 15)
const only = process.argv[3]?.split(",")
const inc = (x) => x + 1
const add = (a, b) => a + b
const client = await Client.local({ workers: 2 })
const threadNs = () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0])
let base = 1_000_000

const scenarios = {
  map: [
    20_000,
    async (t) => {
      base += 100_000
      const items = Array.from({ length: 20_000 }, (_, i) => base + i)
      const t0 = performance.now()
      const futures = client.map(inc, items)
      t.sync = performance.now() - t0
      await client.gather(futures)
      for (const f of futures) f.release()
    }
  ],
  tree: [
    16_383,
    async (t) => {
      base += 100_000
      const t0 = performance.now()
      let level = Array.from({ length: 8192 }, (_, i) => delayed(inc)(base + i))
      while (level.length > 1) {
        const next = []
        for (let i = 0; i < level.length; i += 2) next.push(delayed(add)(level[i], level[i + 1]))
        level = next
      }
      const t1 = performance.now()
      const f = client.compute(level[0])
      t.build = t1 - t0
      t.sync = performance.now() - t1
      await f.result()
      f.release()
    }
  ]
}

const out = []
for (const [name, [tasks, fn]] of Object.entries(scenarios)) {
  if (only !== undefined && !only.includes(name)) continue
  await fn({})
  const best = { build: Infinity, sync: Infinity, cpu: Infinity }
  for (let r = 0; r < reps; r++) {
    globalThis.gc?.()
    const t = {}
    const c0 = threadNs()
    await fn(t)
    const cpu = (threadNs() - c0) / 1e6
    best.cpu = Math.min(best.cpu, cpu)
    best.sync = Math.min(best.sync, t.sync)
    if (t.build !== undefined) best.build = Math.min(best.build, t.build)
  }
  const us = (ms) => ((ms * 1000) / tasks).toFixed(2)
  out.push(
    `${name}: ${best.build === Infinity ? "" : `build ${us(best.build)}, `}call ${us(best.sync)}, main-thread CPU ${us(best.cpu)} µs/task`
  )
}
console.log(out.join(" | "))
await client.close()
