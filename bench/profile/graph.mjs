// Profiling aid for scenarios 6 and 7 on weft alone (plain node, built weft):
//   node --cpu-prof --cpu-prof-dir=/tmp/weft-prof bench/profile/graph.mjs tree|big [reps=5]
// tree: 8,192-leaf tree reduction (16,383 tasks); big: 1,000 chains of 100 inc + 101 sums
// (100,101 tasks). Prints build, submit (client.compute) and compute times per run.
import { Client, delayed } from "weft"

const [which = "tree", repsArg] = process.argv.slice(2)
const reps = Number(repsArg ?? 5)
const inc = (x) => x + 1
const add = (a, b) => a + b
const sum = (xs) => {
  let s = 0
  for (const x of xs) s += x
  return s
}

const tree = (base) => {
  let level = Array.from({ length: 8192 }, (_, i) => delayed(inc)(base + i))
  while (level.length > 1) {
    const next = []
    for (let i = 0; i < level.length; i += 2) next.push(delayed(add)(level[i], level[i + 1]))
    level = next
  }
  return { root: level[0], tasks: 16_383 }
}

const big = (base) => {
  const ends = []
  for (let c = 0; c < 1000; c++) {
    let d = delayed(inc)(base + c)
    for (let k = 1; k < 100; k++) d = delayed(inc)(d)
    ends.push(d)
  }
  const partials = []
  for (let g = 0; g < 100; g++) partials.push(delayed(sum)(ends.slice(g * 10, g * 10 + 10)))
  return { root: delayed(sum)(partials), tasks: 100_101 }
}

const build = which === "big" ? big : tree
const client = await Client.local({ workers: 2 })
for (let rep = 0; rep <= reps; rep++) {
  const t0 = performance.now()
  const { root, tasks } = build((rep + 1) * 1_000_000)
  const t1 = performance.now()
  const future = client.compute(root)
  const t2 = performance.now()
  await future.result()
  const t3 = performance.now()
  future.release()
  console.log(
    `${rep === 0 ? "warm-up" : `run ${rep}`}: build ${(t1 - t0).toFixed(0)} ms, submit ${(t2 - t1).toFixed(0)} ms, ` +
      `compute ${(t3 - t2).toFixed(0)} ms, ${(((t3 - t0) * 1000) / tasks).toFixed(1)} µs/task`
  )
}
await client.close()
