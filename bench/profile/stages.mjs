// Self time of a main-thread `.cpuprofile` by stage of a task's life (docs/benchmarks.md,
// "Where the time goes"): describe, scan, key, schedule, batch, wire, land, settle, GC, other.
// The worker stage runs in other threads (their own profiles). Usage:
//   node bench/profile/stages.mjs <file.cpuprofile>
import { readFileSync } from "node:fs"

const rules = [
  ["GC", (url, fn) => fn === "(garbage collector)"],
  ["describe", (url) => /dsl\/(function-ref|task|registry)\.js/.test(url)],
  ["describe", (url, fn) => /client-calls\.js/.test(url) && /describe|callOptions/.test(fn)],
  [
    "scan",
    (url, fn) => /core\/(args|walk)\.js/.test(url) || (/client-calls\.js/.test(url) && /scan|listItems/.test(fn))
  ],
  ["key", (url) => /dsl\/tokenize|crypto\/hash|crypto\/util/.test(url)],
  ["graph", (url) => /dsl\/delayed\.js|internal\/graph\.js/.test(url)],
  [
    "schedule",
    (url, fn) =>
      /scheduler\//.test(url) ||
      /task-record\.js/.test(url) ||
      (/engine\.js/.test(url) && /submit|track|add|release|gate|attach|hold/.test(fn)) ||
      /Future\.js/.test(url) ||
      /Client\.js/.test(url) ||
      /client-engine\.js/.test(url)
  ],
  [
    "batch",
    (url, fn) =>
      /internal\/batch\.js/.test(url) ||
      (/dispatcher\.js/.test(url) && /pump|dispatch|startTimed/.test(fn)) ||
      /core\/protocol/.test(url)
  ],
  [
    "wire",
    (url) =>
      /node_modules\/tinypool|executors\/tinypool|worker\/io|internal\/worker|structured|MessagePort|receiveMessageOnPort/.test(
        url
      )
  ],
  ["land", (url, fn) => /dispatcher\.js/.test(url) || /result-streams|remote\.js/.test(url)],
  ["settle", (url, fn) => /gather\.js|waiting\.js|engine\.js/.test(url)]
]
const profile = JSON.parse(readFileSync(process.argv[2], "utf8"))
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const totals = new Map()
let busy = 0
for (let i = 0; i < profile.samples.length; i++) {
  const { callFrame } = byId.get(profile.samples[i])
  const fn = callFrame.functionName || "(anonymous)"
  if (fn === "(idle)") continue
  const us = profile.timeDeltas[i] ?? 0
  busy += us
  const stage = rules.find(([, test]) => test(callFrame.url, fn))?.[0] ?? "other (node, bench script, startup)"
  totals.set(stage, (totals.get(stage) ?? 0) + us)
}
for (const [stage, us] of [...totals].sort((a, b) => b[1] - a[1]))
  console.log(`${((100 * us) / busy).toFixed(1).padStart(5)}%  ${stage}`)
