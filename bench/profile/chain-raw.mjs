// Profiling aid, the raw tinypool side of scenario 2a:
//   node --cpu-prof --cpu-prof-dir=/tmp/raw-prof bench/profile/chain-raw.mjs [reps=3] [none|signal|shared|create]
// With "signal", every run gets an AbortSignal of its own, as weft's batches do; with "shared",
// every run gets the same (never aborted) signal; with "create", an AbortController is created
// per run but not passed (its cost alone).
import { Tinypool } from "tinypool"

const reps = Number(process.argv[2] ?? 3)
const mode = process.argv[3] ?? "none"
const shared = new AbortController().signal
const options = () =>
  mode === "signal"
    ? { signal: new AbortController().signal }
    : mode === "shared"
      ? { signal: shared }
      : mode === "create"
        ? (new AbortController(), {})
        : {}
const pool = new Tinypool({
  filename: new URL("../baseline-worker.mjs", import.meta.url).href,
  minThreads: 2,
  maxThreads: 2
})
for (let rep = 0; rep <= reps; rep++) {
  let v = (rep + 1) * 1_000_000
  const start = performance.now()
  for (let i = 0; i < 10_000; i++) v = await pool.run(v, options())
  console.log(`${rep === 0 ? "warm-up" : `run ${rep}`}: ${((performance.now() - start) / 10).toFixed(1)} µs/task`)
}
await pool.destroy()
