// weft's own main-thread work per awaited round trip (scenario 2a, one link at a time), without
// any thread: the chain runs over a fake executor whose `run` answers at once (a resolved
// Promise, `inc` computed in place). `interrupt` on (as the tinypool executor of threads) or off.
//   node [--cpu-prof] bench/profile/chain-main.mjs [reps=5] [links=20000] [interrupt|plain] [stages]
// Prints µs of main-thread CPU per link (/proc/thread-self/schedstat) and the heap bytes
// allocated per link (V8's total allocation counter is not exposed: used heap delta with GC off
// is not reliable, so it reports `process.memoryUsage().heapUsed` growth between GCs only when
// run with --expose-gc).
import { readFileSync } from "node:fs"
import { Engine } from "../../dist/runtime/internal/engine.js"
import { clientOver } from "../../dist/runtime/internal/client-engine.js"
import "weft"

const reps = Number(process.argv[2] ?? 5)
const n = Number(process.argv[3] ?? 20_000)
const withInterrupt = (process.argv[4] ?? "interrupt") === "interrupt"
// "stages": clock reads around each step of a link (submit, result(), the pump up to the
// executor's run, from run back to the awaiting code), means over the links of a run.
const stages = process.argv[5] === "stages"
let ranAt = 0

const executor = {
  kind: "fake",
  workers: 2,
  run(batch) {
    if (stages) ranAt = performance.now()
    const results = batch.fn.map((_, i) => batch.args[i][0] + 1)
    return Promise.resolve({ results, failed: [], elapsedMs: 0.001 })
  },
  ...(withInterrupt ? { interrupt: () => Promise.resolve("unknown") } : {}),
  close: () => Promise.resolve()
}
const client = clientOver(new Engine({ executor, allowedFailures: 3 }))
const threadNs = () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0])
const inc = (x) => x + 1
for (let rep = 0; rep <= reps; rep++) {
  const base = (rep + 1) * 1_000_000
  const cpu = threadNs()
  const start = performance.now()
  let f = client.submit(inc, base)
  let v = await f.result()
  const spent = [0, 0, 0, 0]
  for (let i = 1; i < n; i++) {
    if (!stages) {
      f = client.submit(inc, f)
      v = await f.result()
      continue
    }
    const t0 = performance.now()
    f = client.submit(inc, f)
    const t1 = performance.now()
    const p = f.result()
    const t2 = performance.now()
    v = await p
    const t3 = performance.now()
    spent[0] += t1 - t0
    spent[1] += t2 - t1
    spent[2] += ranAt - t2
    spent[3] += t3 - ranAt
  }
  if (stages)
    console.log(
      `  stages µs/link: submit ${((spent[0] * 1000) / n).toFixed(2)}, result() ${((spent[1] * 1000) / n).toFixed(2)}, ` +
        `pump + dispatch to run ${((spent[2] * 1000) / n).toFixed(2)}, run to the awaiting code ${((spent[3] * 1000) / n).toFixed(2)}`
    )
  const wall = performance.now() - start
  const used = (threadNs() - cpu) / 1e3
  if (v - base !== n) throw new Error(`chain gave ${v - base}`)
  f.release()
  console.log(
    `${rep === 0 ? "warm-up" : `run ${rep}`}: ${((wall * 1000) / n).toFixed(2)} µs/link wall, main-thread CPU ${(used / n).toFixed(2)} µs/link`
  )
}
await client.close()
