// Heap bytes allocated per task by the synchronous submit path, and where (allocation sites):
//   node --max-semi-space-size=256 --expose-gc bench/profile/alloc.mjs [map|tree|both] [sites]
// WEFT=<path to a dist's runtime/index.js> measures another build (e.g. /tmp/rec-base/runtime/index.js).
// "bytes/task" is the used-heap delta over the call with every result kept reachable, in a run
// with no GC inside it (checked: a run with a GC is repeated); "sites" lists the sampling heap
// profiler's allocations (every object, also those collected after) by the function that made them.
import { Session } from "node:inspector/promises"
import { PerformanceObserver } from "node:perf_hooks"

const weft = await import(process.env.WEFT ?? "weft")
const { Client, delayed } = weft
const what = process.argv[2] ?? "both"
const showSites = process.argv[3] === "sites"
const inc = (x) => x + 1
const add = (a, b) => a + b
const client = await Client.local({ workers: 2 })
let gcs = 0
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ["gc"] })
let base = 1_000_000

const runs = {
  map: [
    20_000,
    () => {
      base += 100_000
      const items = Array.from({ length: 20_000 }, (_, i) => base + i)
      return { items, run: () => client.map(inc, items), done: (fs) => client.gather(fs).then(() => fs) }
    }
  ],
  tree: [
    16_383,
    () => {
      base += 100_000
      return {
        run: () => {
          let level = Array.from({ length: 8192 }, (_, i) => delayed(inc)(base + i))
          while (level.length > 1) {
            const next = []
            for (let i = 0; i < level.length; i += 2) next.push(delayed(add)(level[i], level[i + 1]))
            level = next
          }
          return [client.compute(level[0])]
        },
        done: (fs) => fs[0].result().then(() => fs)
      }
    }
  ]
}

const session = new Session()
session.connect()
const sites = new Map()
const collect = (node, stack) => {
  const frame = node.callFrame
  const name = `${frame.functionName || "(anon)"} ${frame.url.split("/").slice(-2).join("/")}:${frame.lineNumber + 1}`
  const self = node.selfSize
  if (self > 0) sites.set(name, (sites.get(name) ?? 0) + self)
  for (const child of node.children) collect(child, stack)
}

for (const [name, [tasks, make]] of Object.entries(runs)) {
  if (what !== "both" && what !== name) continue
  const deltas = []
  for (let rep = 0; rep < 8; rep++) {
    const { run, done } = make()
    globalThis.gc()
    await new Promise((r) => setTimeout(r, 20))
    const g0 = gcs
    const h0 = process.memoryUsage().heapUsed
    const fs = run()
    const h1 = process.memoryUsage().heapUsed
    await new Promise((r) => setImmediate(r))
    if (gcs === g0 && rep > 1) deltas.push((h1 - h0) / tasks)
    await done(fs)
    for (const f of fs) f.release()
  }
  deltas.sort((a, b) => a - b)
  console.log(
    `${name}: ${deltas.length ? deltas[0].toFixed(0) : "?"}-${deltas.length ? deltas.at(-1).toFixed(0) : "?"} B/task allocated by the synchronous call (${deltas.length} runs without GC)`
  )
  if (!showSites) continue
  sites.clear()
  const { run, done } = make()
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 64,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true
  })
  const fs = run()
  const { profile } = await session.post("HeapProfiler.stopSampling")
  await done(fs)
  for (const f of fs) f.release()
  collect(profile.head, [])
  const total = [...sites.values()].reduce((a, b) => a + b, 0)
  console.log(`  sampled ${(total / tasks).toFixed(0)} B/task; by site:`)
  for (const [site, bytes] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 25))
    console.log(`  ${(bytes / tasks).toFixed(1).padStart(7)} B/task  ${site}`)
}
await client.close()
