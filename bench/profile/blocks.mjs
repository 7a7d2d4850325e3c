// What ran during each long block of the event loop, from a V8 `.cpuprofile` (`node --cpu-prof`)
// and the blocks `loop-block.mjs` lists (LOOP_BLOCKS=<file.json>): per block, its GC share, the
// functions with the most self time in it, and the weft functions longest on the stack
// (inclusive). Tells a slice that overran (and why) from a GC pause and from work not sliced.
//   LOOP_BLOCKS=/tmp/b.json node --cpu-prof --cpu-prof-dir=/tmp/p bench/profile/loop-block.mjs graph 300000
//   node bench/profile/blocks.mjs /tmp/p/CPU.*.cpuprofile /tmp/b.json [top=6]
import { readFileSync } from "node:fs"

const [file, blocksFile, topArg] = process.argv.slice(2)
if (file === undefined || blocksFile === undefined) {
  console.error("usage: node bench/profile/blocks.mjs <file.cpuprofile> <blocks.json> [top=6]")
  process.exit(2)
}
const top = Number(topArg ?? 6)
const profile = JSON.parse(readFileSync(file, "utf8"))
const blocks = JSON.parse(readFileSync(blocksFile, "utf8"))
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const parent = new Map()
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
const shorten = (url) => url.replace(/^file:\/\/\/.*?\/(?=(dist|node_modules|bench)\/)/, "")
const label = (node) => {
  const { functionName, url, lineNumber } = node.callFrame
  return `${functionName || "(anonymous)"}${url ? ` ${shorten(url)}:${lineNumber + 1}` : ""}`
}
// Sample i is taken at starts[i] and stands for the time until the next one.
const starts = []
let t = profile.startTime
for (const delta of profile.timeDeltas) starts.push((t += delta))

const best = (map) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => `      ${(us / 1000).toFixed(1).padStart(6)} ms  ${name}`)
    .join("\n")

for (const block of blocks) {
  const from = block.at
  const to = block.at + block.ms * 1000
  const self = new Map()
  const inclusive = new Map()
  let gc = 0
  for (let i = 0; i < profile.samples.length; i++) {
    if (starts[i] < from || starts[i] >= to) continue
    const us = (starts[i + 1] ?? starts[i]) - starts[i]
    const node = byId.get(profile.samples[i])
    if (node.callFrame.functionName === "(garbage collector)") gc += us
    self.set(label(node), (self.get(label(node)) ?? 0) + us)
    const seen = new Set()
    for (let at = profile.samples[i]; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)
      if (!frame.callFrame.url.includes("/dist/")) continue
      const name = label(frame)
      if (seen.has(name)) continue
      seen.add(name)
      inclusive.set(name, (inclusive.get(name) ?? 0) + us)
    }
  }
  console.log(
    `block at ${block.start.toFixed(0)} ms: ${block.ms.toFixed(1)} ms, main-thread CPU ${block.cpu.toFixed(1)} ms (GC pauses ${block.gc.toFixed(1)} ms; sampled GC ${(gc / 1000).toFixed(1)} ms)`
  )
  console.log(`    self:\n${best(self)}\n    inclusive (weft):\n${best(inclusive)}`)
}
