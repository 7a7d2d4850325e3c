// The worker side of an awaited round trip, alone: a tinypool pool whose workers run weft's
// worker entry, fed the batch the dispatcher sends for one link (`weft`), against the raw `inc`
// (`raw`); one task at a time, as scenario 2a's stepwise chain. Per link: wall, main-thread CPU,
// each worker thread's CPU (/proc/self/task/<tid>/schedstat).
//   PROFILE_WORKER=1 node bench/profile/chain-worker.mjs weft|raw [reps=3] [links=10000] [dir=/tmp/chain-worker-prof]
// With PROFILE_WORKER=1 each worker writes a .cpuprofile of its thread (summarize.mjs reads it).
import { mkdirSync, readdirSync, readFileSync } from "node:fs"
import { Tinypool } from "tinypool"

const side = process.argv[2] ?? "weft"
const reps = Number(process.argv[3] ?? 3)
const n = Number(process.argv[4] ?? 10_000)
const dir = process.argv[5] ?? "/tmp/chain-worker-prof"
const entry = new URL("../../dist/executors/worker/entry.js", import.meta.url).href
const pool = new Tinypool({
  filename: new URL("./profiled-entry.mjs", import.meta.url).href,
  minThreads: 2,
  maxThreads: 2,
  env: { ...process.env, ...(side === "weft" ? { WEFT_ENTRY: entry } : {}) }
})
const inc = (x) => x + 1
const fnRef = { kind: "inline", id: "a".repeat(64), source: inc.toString(), name: "inc" }
const control = "weft-control-0b5f0c36-1111-4a2b-9c3d-123456789abc"
let attempt = 0
const batch = (v) => ({ fns: [fnRef], fn: [0], args: [[v]], ids: [++attempt], control })
const step = side === "weft" ? (v) => pool.run(batch(v)).then((r) => r.results[0]) : (v) => pool.run(v)
await Promise.all([step(0), step(0), step(0), step(0)])

function threads() {
  const out = new Map()
  for (const tid of readdirSync("/proc/self/task"))
    try {
      out.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]))
    } catch {}
  return out
}
const us = (ms) => ((ms * 1000) / n).toFixed(1)
for (let rep = 0; rep <= reps; rep++) {
  const before = threads()
  const start = performance.now()
  let v = (rep + 1) * 1_000_000
  for (let i = 0; i < n; i++) v = await step(v)
  const wall = performance.now() - start
  const after = threads()
  const deltas = [...after].map(([tid, ns]) => [tid, (ns - (before.get(tid) ?? 0)) / 1e6]).filter(([, ms]) => ms > 1)
  deltas.sort((a, b) => b[1] - a[1])
  const load = readFileSync("/proc/loadavg", "utf8").split(" ")[0]
  console.log(
    `${side} ${rep === 0 ? "warm-up" : `run ${rep}`} (load ${load}): ${us(wall)} µs/link; CPU µs/link: ` +
      deltas.map(([tid, ms]) => `${tid === String(process.pid) ? "main" : tid} ${us(ms)}`).join(", ")
  )
}
if (process.env.PROFILE_WORKER === "1") {
  mkdirSync(dir, { recursive: true })
  const files = await Promise.all([pool.run(dir, { name: "stopProfile" }), pool.run(dir, { name: "stopProfile" })])
  console.log(files.join("\n"))
}
await pool.destroy()
