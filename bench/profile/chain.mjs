// Profiling aid for scenario 2a (plain node, built weft):
//   node --cpu-prof --cpu-prof-dir=/tmp/weft-prof bench/profile/chain.mjs [reps=3] [stepwise] [drop-signal]
// "stepwise" awaits every link's result before submitting the next (one round trip per link, no
// fusion). "drop-signal" is an experiment, not a mode of weft: it patches tinypool's `run` in this
// process so that weft's per-batch AbortSignal is not passed on (what the signal costs;
// cancelling a running task then no longer works).
import { Tinypool } from "tinypool"
import { Client } from "weft"

const reps = Number(process.argv[2] ?? 3)
const flags = new Set(process.argv.slice(3))
if (flags.has("drop-signal")) {
  const run = Tinypool.prototype.run
  Tinypool.prototype.run = function (task, options) {
    if (options?.signal === undefined) return run.call(this, task, options)
    const { signal: _dropped, ...rest } = options
    return run.call(this, task, rest)
  }
}
const stepwise = flags.has("stepwise")
const n = 10_000
const inc = (x) => x + 1
const client = await Client.local({ workers: 2 })
for (let rep = 0; rep <= reps; rep++) {
  const base = (rep + 1) * 1_000_000
  const start = performance.now()
  let f = client.submit(inc, base)
  if (stepwise) await f.result()
  for (let i = 1; i < n; i++) {
    f = client.submit(inc, f)
    if (stepwise) await f.result()
  }
  const v = await f.result()
  console.log(
    `${rep === 0 ? "warm-up" : `run ${rep}`}: ${(((performance.now() - start) * 1000) / n).toFixed(1)} µs/task (${v - base})`
  )
  f.release()
}
await client.close()
