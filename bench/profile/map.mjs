// Profiling aid for scenario 1 (plain node, built weft):
//   node --cpu-prof --cpu-prof-dir=/tmp/weft-prof bench/profile/map.mjs [reps=5]
import { Client } from "weft"

const reps = Number(process.argv[2] ?? 5)
const n = 20_000
const inc = (x) => x + 1
const client = await Client.local({ workers: 2 })
for (let rep = 0; rep <= reps; rep++) {
  const items = Array.from({ length: n }, (_, i) => (rep + 1) * 1_000_000 + i)
  const start = performance.now()
  const futures = client.map(inc, items)
  const values = await client.gather(futures)
  console.log(
    `${rep === 0 ? "warm-up" : `run ${rep}`}: ${(((performance.now() - start) * 1000) / n).toFixed(1)} µs/task (${values.length})`
  )
  for (const f of futures) f.release()
}
await client.close()
