// Experiment: the same chain (and 10,000 independent submits) with `workers: 0` (tasks run in this
// thread): what weft costs per task with no thread hop at all.
//   node bench/profile/in-process.mjs
import { Client } from "weft"
const inc = (x) => x + 1
const client = await Client.local({ workers: 0 })
for (let rep = 0; rep < 5; rep++) {
  const base = (rep + 1) * 1_000_000
  const start = performance.now()
  let f = client.submit(inc, base)
  for (let i = 1; i < 10_000; i++) f = client.submit(inc, f)
  await f.result()
  console.log(`in-process chain: ${((performance.now() - start) / 10).toFixed(1)} µs/task`)
  f.release()
}
for (let rep = 0; rep < 3; rep++) {
  const start = performance.now()
  const fs = []
  for (let i = 0; i < 10_000; i++) fs.push(client.submit(inc, (rep + 10) * 1_000_000 + i))
  const start2 = performance.now()
  await client.gather(fs)
  console.log(
    `in-process 10k independent: ${((performance.now() - start) / 10).toFixed(1)} µs/task (submit ${((start2 - start) / 10).toFixed(1)})`
  )
  for (const f of fs) f.release()
}
await client.close()
