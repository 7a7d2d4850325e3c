// Scenario 3, raw tinypool side: a fresh `node` process that starts a 2-thread pool, runs one
// trivial task, prints its result and destroys the pool. The parent times spawn -> "result".
import { Tinypool } from "tinypool"

const pool = new Tinypool({
  filename: new URL("../baseline-worker.mjs", import.meta.url).href,
  minThreads: 2,
  maxThreads: 2
})
const value = await pool.run(1)
process.stdout.write(`result ${value}\n`)
await pool.destroy()
