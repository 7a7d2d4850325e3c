// Diagnostic for scenario 6's peak of held results (plain node, built weft):
//   node bench/profile/tree-held.mjs [reps=3] [leaves=8192]
// Per run: the batch sizes weft dispatched (tasks per message, in order), the held count sampled
// once per batch landing (as the bench does), and at the peak how many held results sit at each
// level of the tree (0 = leaves). A held result at level L is a subtree root waiting for its
// sibling: batches that do not cover whole subtrees leave such fragments at their edges.
import { Client, delayed } from "weft"

const reps = Number(process.argv[2] ?? 3)
const leaves = Number(process.argv[3] ?? 8192)
const inc = (x) => x + 1
const add = (a, b) => a + b
const client = await Client.local({ workers: 2 })
const executor = client.engine.executor
const run = executor.run.bind(executor)
let sizes = []
executor.run = (batch, signal) => {
  sizes.push(batch.args.length)
  return run(batch, signal)
}
for (let rep = 0; rep < reps; rep++) {
  sizes = []
  const levelOf = new Map()
  let level = Array.from({ length: leaves }, (_, i) => delayed(inc)((rep + 1) * 1_000_000 + i))
  for (const d of level) levelOf.set(d.key, 0)
  let depth = 0
  while (level.length > 1) {
    const next = []
    for (let i = 0; i < level.length; i += 2) next.push(delayed(add)(level[i], level[i + 1]))
    level = next
    depth++
    for (const d of level) levelOf.set(d.key, depth)
  }
  const scheduler = client.engine.scheduler
  let peak = 0
  let atPeak = {}
  const samples = []
  let sampling = false
  const stop = client.engine.observe(() => {
    if (sampling) return
    sampling = true
    queueMicrotask(() => {
      sampling = false
      const held = scheduler.heldKeys()
      samples.push(held.length)
      if (held.length > peak) {
        peak = held.length
        atPeak = {}
        for (const key of held) atPeak[levelOf.get(key)] = (atPeak[levelOf.get(key)] ?? 0) + 1
      }
    })
  })
  const future = client.compute(level[0])
  await future.result()
  stop()
  future.release()
  console.log(`run ${rep + 1}: depth ${depth}, peak held ${peak} (bound 2 x 2 x ${depth} = ${4 * depth})`)
  console.log(`  held per level at the peak: ${JSON.stringify(atPeak)}`)
  console.log(`  held per sample: ${samples.join(" ")}`)
  console.log(`  ${sizes.length} batches, tasks each: ${sizes.join(" ")}`)
}
await client.close()
