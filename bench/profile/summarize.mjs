// Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per file,
// as shares of the busy time (all samples except "(idle)"). Usage:
//   node bench/profile/summarize.mjs <file.cpuprofile> [top=25]
import { readFileSync } from "node:fs"

const [file, topArg] = process.argv.slice(2)
if (file === undefined) {
  console.error("usage: node bench/profile/summarize.mjs <file.cpuprofile> [top]")
  process.exit(2)
}
const top = Number(topArg ?? 25)
const profile = JSON.parse(readFileSync(file, "utf8"))
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const selfUs = new Map()
const deltas = profile.timeDeltas
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]
  selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0))
}
const shorten = (url) =>
  url.replace(/^file:\/\/\/work\/[^ ]*?\/(?=(dist|node_modules|bench)\/)/, "").replace(/^node:/, "node:")
const fnTotals = new Map()
const fileTotals = new Map()
let busy = 0
let idle = 0
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id)
  const name = callFrame.functionName || "(anonymous)"
  if (name === "(idle)") {
    idle += us
    continue
  }
  busy += us
  const where = callFrame.url ? `${shorten(callFrame.url)}:${callFrame.lineNumber + 1}` : ""
  const key = where ? `${where} ${name}` : name
  fnTotals.set(key, (fnTotals.get(key) ?? 0) + us)
  const fileKey = callFrame.url
    ? shorten(callFrame.url).replace(/^.*node_modules\/([^/]+)\/.*$/, "node_modules/$1")
    : name
  fileTotals.set(fileKey, (fileTotals.get(fileKey) ?? 0) + us)
}
const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`
const ms = (us) => `${(us / 1000).toFixed(1).padStart(8)} ms`
console.log(`${file}\nbusy ${ms(busy)}, idle ${ms(idle)}\n\nself time by function:`)
for (const [key, us] of [...fnTotals].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${pct(us)} ${ms(us)}  ${key}`)
console.log("\nself time by file:")
for (const [key, us] of [...fileTotals].sort((a, b) => b[1] - a[1]).slice(0, 15))
  console.log(`${pct(us)} ${ms(us)}  ${key}`)
