// Event-loop responsiveness while weft adds a huge graph or map (plain node, built weft):
//   node bench/profile/loop-block.mjs graph 300000|1000000 [reps=1]
//   node bench/profile/loop-block.mjs chunks 1000000 [chunk=10000]
// graph: chains of 100 `delayed(inc)` (N nodes in all) summed in groups; prints how long the
// synchronous `client.compute` call took, the longest event-loop block seen from the call to the
// result (a 1 ms setInterval probe), and the total time. chunks: `client.map` of N tasks in chunks
// of `chunk`, each chunk gathered before the next is submitted; prints µs per task and the longest block.
import os from "node:os"
import { PerformanceObserver } from "node:perf_hooks"
import { Client, delayed } from "weft"

// The longest garbage-collection pause seen, to tell a GC pause from weft's own synchronous work.
let longestGc = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) longestGc = Math.max(longestGc, entry.duration)
}).observe({ entryTypes: ["gc"] })

const [mode = "graph", nArg = "300000", extra] = process.argv.slice(2)
const n = Number(nArg)
const inc = (x) => x + 1
const sum = (xs) => xs.reduce((a, b) => a + b, 0)

/** Longest gap between ticks of a 1 ms interval while `work` runs, in ms. */
async function probe(work) {
  let last = performance.now()
  let longest = 0
  const timer = setInterval(() => {
    const now = performance.now()
    longest = Math.max(longest, now - last)
    last = now
  }, 1)
  try {
    last = performance.now()
    const out = await work()
    longest = Math.max(longest, performance.now() - last)
    return { out, longest }
  } finally {
    clearInterval(timer)
  }
}

const client = await Client.local({ workers: 2 })
if (mode === "graph") {
  const reps = Number(extra ?? 1)
  for (let rep = 0; rep < reps; rep++) {
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
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const { out, longest } = await probe(async () => {
      const s = performance.now()
      const future = client.compute(root)
      submitMs = performance.now() - s
      const value = await future.result()
      future.release()
      return value
    })
    const total = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    const expected = chains * (base + 100) + (chains * (chains - 1)) / 2
    if (out !== expected) throw new Error(`wrong: ${out} != ${expected}`)
    console.log(
      `graph ${n}: compute() call ${submitMs.toFixed(0)} ms, longest block ${longest.toFixed(0)} ms, to result ${total.toFixed(0)} ms, process CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, longest GC ${longestGc.toFixed(0)} ms, load ${os.loadavg()[0].toFixed(1)}`
    )
  }
} else {
  const chunk = Number(extra ?? 10_000)
  const t0 = performance.now()
  const { longest } = await probe(async () => {
    for (let i = 0; i < n; i += chunk) {
      const items = Array.from({ length: Math.min(chunk, n - i) }, (_, j) => 50_000_000 + i + j)
      const futures = client.map(inc, items)
      const values = await client.gather(futures)
      if (values[0] !== items[0] + 1) throw new Error("wrong")
      for (const f of futures) f.release()
    }
  })
  const ms = performance.now() - t0
  console.log(
    `map ${n} in chunks of ${chunk}: ${((ms * 1000) / n).toFixed(1)} µs/task, longest block ${longest.toFixed(0)} ms, longest GC ${longestGc.toFixed(0)} ms, load ${os.loadavg()[0].toFixed(1)}`
  )
}
await client.close()
