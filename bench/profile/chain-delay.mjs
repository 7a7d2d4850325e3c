// Experiment for scenario 2a: the raw tinypool chain with N µs of busy work in the main thread
// between getting a result and sending the next task (stand-in for a scheduler's own work).
//   node bench/profile/chain-delay.mjs 0 5 10 20 40
// If the chain slows by much more than N, the worker went to sleep meanwhile and each task pays
// a thread wake-up.
import { Tinypool } from "tinypool"

const delays = process.argv.slice(2).map(Number)
const pool = new Tinypool({
  filename: new URL("../baseline-worker.mjs", import.meta.url).href,
  minThreads: 2,
  maxThreads: 2
})
const spin = (us) => {
  const end = performance.now() + us / 1000
  while (performance.now() < end) {
    // busy
  }
}
const chain = async (us) => {
  let v = 0
  const start = performance.now()
  for (let i = 0; i < 5_000; i++) {
    v = await pool.run(v)
    if (us > 0) spin(us)
  }
  return ((performance.now() - start) * 1000) / 5_000
}
await chain(0)
for (let round = 0; round < 2; round++) {
  for (const us of delays) {
    const per = await chain(us)
    console.log(
      `delay ${String(us).padStart(3)} µs: ${per.toFixed(1)} µs/task, ${(per - us).toFixed(1)} µs/task besides the delay`
    )
  }
}
await pool.destroy()
