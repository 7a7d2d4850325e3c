// Profiling aid for scenario 3: the timeline of process start -> first result, thread by thread.
//   node bench/profile/startup-timeline.mjs <reps> raw <pkgDir> [<pkgDir> ...]
// Each <pkgDir> holds a built weft in `dist/` and a `node_modules` (a copy of a build: compare
// two builds in the same minutes). The sides run alternately, `reps` times each, in fresh `node`
// processes (no NODE_OPTIONS, no NODE_EXTRA_CA_CERTS) preloaded with startup-probe.mjs. Prints,
// per side, the median of each event: ms since the main thread was created, and the CPU ms that
// thread had used by then; then the spawn -> result wall time and the process's CPU at the result.
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { loadavg } from "node:os"

const [repsArg, ...sides] = process.argv.slice(2)
const reps = Number(repsArg ?? 9)
const probe = fileURLToPath(new URL("./startup-probe.mjs", import.meta.url))
const child = fileURLToPath(new URL("./startup-child.mjs", import.meta.url))
const env = { ...process.env }
delete env.NODE_OPTIONS
delete env.NODE_EXTRA_CA_CERTS

function runOnce(side) {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const proc = spawn(process.execPath, ["--import", probe, child, side], { env, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    let wall
    proc.stdout.setEncoding("utf8").on("data", (chunk) => {
      out += chunk
      if (wall === undefined && out.includes("result")) wall = performance.now() - start
    })
    proc.stderr.setEncoding("utf8").on("data", (chunk) => (err += chunk))
    proc.on("exit", (code) => {
      if (code !== 0 || !out.includes("result 2")) return reject(new Error(`${side}: exit ${code}\n${out}\n${err}`))
      const events = err
        .split("\n")
        .filter((line) => line.startsWith("@probe "))
        .map((line) => {
          const [, thread, at, cpu, ...label] = line.split(" ")
          return { thread: Number(thread), at: Number(at), cpu: Number(cpu), label: label.join(" ") }
        })
      resolve({ wall, events })
    })
  })
}

/** Event name -> { at, cpu } of one run, times relative to the main thread's creation. */
function timeline({ wall, events }) {
  const origin = events.find((e) => e.thread === 0 && e.label === "created").at
  const created = events.filter((e) => e.thread !== 0 && e.label === "created").sort((a, b) => a.at - b.at)
  const rank = new Map(created.map((e, i) => [e.thread, `w${i + 1}`]))
  const out = { "spawn -> result (parent's clock)": { at: wall, cpu: NaN } }
  for (const e of events) {
    let label = e.label
    if (label.startsWith("result process-cpu=")) {
      out["process CPU at result (all threads)"] = { at: NaN, cpu: Number(label.slice(19)) }
      label = "result"
    }
    out[`${e.thread === 0 ? "main" : rank.get(e.thread)} ${label}`] = { at: e.at - origin, cpu: e.cpu }
  }
  return out
}

const median = (xs) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** The phases of one run: [name, wall ms, CPU ms of the thread the phase ran on]. */
function phases(t) {
  const get = (key) => t[key] ?? { at: NaN, cpu: NaN }
  const span = (name, from, to) => [name, get(to).at - get(from).at, get(to).cpu - get(from).cpu]
  const worker = (w) => [
    [
      `${w}: thread start -> preload (boot)`,
      get(`${w} preload`).at - get("main pool made").at,
      get(`${w} preload`).cpu
    ],
    span(`${w}: preload -> ready (handler module loaded)`, `${w} preload`, `${w} post1`),
    span(`${w}: ready -> first reply (warm-up / first batch)`, `${w} post1`, `${w} post2`)
  ]
  return [
    ["main: process start -> preload (node boot)", get("main preload").at, get("main preload").cpu],
    span("main: import (weft | tinypool)", "main preload", "main imported"),
    span("main: imported -> first new Worker", "main imported", "main pool made"),
    span("main: first new Worker -> Client.local resolved", "main pool made", "main local resolved"),
    span(
      "main: -> result (submit | pool.run)",
      t["main local resolved"] ? "main local resolved" : "main pool made",
      "main result"
    ),
    ...worker("w1"),
    ...worker("w2"),
    ["main: CPU at result", NaN, get("main result").cpu],
    ["spawn -> result (parent's clock)", get("spawn -> result (parent's clock)").at, NaN],
    ["process CPU at result (all threads)", NaN, get("process CPU at result (all threads)").cpu]
  ]
}

/** The mean without the lowest and the highest sample: /proc's CPU times move in scheduler ticks (~4 ms), so a mean of many runs, not a median. */
const trimmedMean = (xs) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
  const kept = s.length > 4 ? s.slice(1, -1) : s
  return kept.length === 0 ? NaN : kept.reduce((a, b) => a + b, 0) / kept.length
}

const runs = Object.fromEntries(sides.map((side) => [side, []]))
const load = [loadavg()[0]]
for (const side of sides) await runOnce(side) // warm the file-system cache
for (let rep = 0; rep < reps; rep++) {
  const order = rep % 2 === 0 ? sides : [...sides].reverse()
  for (const side of order) runs[side].push(phases(timeline(await runOnce(side))))
}
load.push(loadavg()[0])
console.log(
  `load average ${load.map((l) => l.toFixed(1)).join(" -> ")}, ${reps} runs per side; median wall ms | CPU ms of that thread (trimmed mean)`
)
console.log("phase".padEnd(58) + sides.map((side) => side.slice(-18).padStart(22)).join(""))
for (let i = 0; i < runs[sides[0]][0].length; i++) {
  const cells = sides.map((side) => {
    const wall = median(runs[side].map((r) => r[i][1]))
    const cpu = trimmedMean(runs[side].map((r) => r[i][2]))
    return `${Number.isNaN(wall) ? "-" : wall.toFixed(1)} | ${Number.isNaN(cpu) ? "-" : cpu.toFixed(1)}`.padStart(22)
  })
  console.log(runs[sides[0]][0][i][0].padEnd(58) + cells.join(""))
}
