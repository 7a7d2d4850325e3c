// CPU time per task (this process, all its threads: process.cpuUsage), for A/B comparisons on a
// loaded machine where wall times swing with other processes but CPU time does not much:
//   node bench/profile/cpu-per-task.mjs [reps=7] [workers=2] [map,tree,chain]
// map: client.map of 20,000 trivial tasks + gather; tree: the 16,383-task delayed tree, build +
// compute; chain: 2,000 awaited round trips (submit, await result); prints the median of each.
// WEFT=<a dist's runtime/index.js> measures another build (A/B against a copy of main's dist).
const { Client, delayed } = await import(process.env.WEFT ?? "weft")

const reps = Number(process.argv[2] ?? 7)
const workers = Number(process.argv[3] ?? 2)
const inc = (x) => x + 1
const add = (a, b) => a + b
const client = await Client.local({ workers })
let base = 1_000_000

const cpuUs = async (fn) => {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await fn()
  const c = process.cpuUsage(c0)
  return { cpu: c.user + c.system, wall: (performance.now() - t0) * 1000 }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]

const scenarios = {
  map: [
    20_000,
    async () => {
      base += 100_000
      const items = Array.from({ length: 20_000 }, (_, i) => base + i)
      const futures = client.map(inc, items)
      await client.gather(futures)
      for (const f of futures) f.release()
    }
  ],
  tree: [
    16_383,
    async () => {
      base += 100_000
      let level = Array.from({ length: 8192 }, (_, i) => delayed(inc)(base + i))
      while (level.length > 1) {
        const next = []
        for (let i = 0; i < level.length; i += 2) next.push(delayed(add)(level[i], level[i + 1]))
        level = next
      }
      const f = client.compute(level[0])
      await f.result()
      f.release()
    }
  ],
  chain: [
    2_000,
    async () => {
      base += 100_000
      let f = client.submit(inc, base)
      for (let i = 0; i < 2_000; i++) {
        await f.result()
        const next = client.submit(inc, f)
        f.release()
        f = next
      }
      await f.result()
      f.release()
    }
  ]
}
const only = process.argv[4]?.split(",")
const out = []
for (const [name, [tasks, fn]] of Object.entries(scenarios)) {
  if (only !== undefined && !only.includes(name)) continue
  await fn() // warm-up
  const cpus = []
  const walls = []
  for (let r = 0; r < reps; r++) {
    const { cpu, wall } = await cpuUs(fn)
    cpus.push(cpu / tasks)
    walls.push(wall / tasks)
  }
  out.push(`${name}: CPU ${median(cpus).toFixed(2)} µs/task, wall ${median(walls).toFixed(2)} µs/task`)
}
console.log(out.join(" | "))
await client.close()
