/**
 * `npm run bench`: weft against raw tinypool, in the same run, on the same number of workers.
 * Runs every scenario, prints one table (stdout; progress goes to stderr) and writes
 * `bench/results/latest.json` (git-ignored) with every sample.
 *
 * Options (after `npm run bench --`): `--reps N` timed runs per side (default 5),
 * `--only map,chain,fan-in,startup,cpu,waiting,tree,big-graph,compiler,faults,cluster,close,stream,dashboard,cache,loop` a subset of the scenarios.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import os from "node:os"
import { fileURLToPath } from "node:url"
import { workers } from "./pools.js"
import type { Scenario, ScenarioResult } from "./scenario.js"
import { bigGraphScenario } from "./scenarios/big-graph.js"
import { cacheScenario } from "./scenarios/cache.js"
import { chainScenario } from "./scenarios/chain.js"
import { clusterScenario } from "./scenarios/cluster.js"
import { closeScenario } from "./scenarios/close.js"
import { compilerScenario } from "./scenarios/compiler.js"
import { cpuScenario } from "./scenarios/cpu.js"
import { dashboardScenario } from "./scenarios/dashboard.js"
import { fanInScenario } from "./scenarios/fan-in.js"
import { faultsScenario } from "./scenarios/faults.js"
import { loopScenario } from "./scenarios/loop.js"
import { mapScenario } from "./scenarios/map.js"
import { startupScenario } from "./scenarios/startup.js"
import { streamScenario } from "./scenarios/stream.js"
import { treeScenario } from "./scenarios/tree.js"
import { waitingScenario } from "./scenarios/waiting.js"
import { formatTable, type Row } from "./table.js"

const scenarios: ReadonlyArray<Scenario> = [
  mapScenario,
  chainScenario,
  fanInScenario,
  startupScenario,
  cpuScenario,
  waitingScenario,
  treeScenario,
  bigGraphScenario,
  compilerScenario,
  faultsScenario,
  clusterScenario,
  closeScenario,
  streamScenario,
  dashboardScenario,
  cacheScenario,
  loopScenario
]

function parseArgs(argv: ReadonlyArray<string>): { reps: number; only: Set<string> | undefined } {
  let reps = 5
  let only: Set<string> | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === "--reps") {
      reps = Number(argv[++i])
      if (!Number.isInteger(reps) || reps < 1) throw new TypeError(`--reps must be a positive integer, got ${argv[i]}`)
    } else if (arg === "--only") {
      only = new Set((argv[++i] ?? "").split(","))
      for (const id of only) {
        if (!scenarios.some((s) => s.id === id))
          throw new TypeError(`--only: unknown scenario "${id}"; known: ${scenarios.map((s) => s.id).join(", ")}`)
      }
    } else
      throw new TypeError(`unknown argument ${arg}; use --reps N and --only ${scenarios.map((s) => s.id).join(",")}`)
  }
  return { reps, only }
}

const git = (...args: string[]): string | undefined => {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
  } catch {
    return undefined
  }
}
/** The commit measured, and whether the library's sources differ from it (uncommitted work). */
const gitState = (): { commit: string | undefined; dirty: boolean | undefined } => {
  const commit = git("rev-parse", "--short", "HEAD")
  const changes = git(
    "status",
    "--porcelain",
    "--",
    "core",
    "dsl",
    "scheduler",
    "executors",
    "runtime",
    "compiler",
    "testing",
    "package.json"
  )
  return { commit, dirty: changes === undefined ? undefined : changes.length > 0 }
}

const { reps, only } = parseArgs(process.argv.slice(2))
const log = (line: string) => process.stderr.write(`${line}\n`)
const loadBefore = os.loadavg()
const started = new Date()
const rows: Row[] = []
const data: Record<string, ScenarioResult["data"]> = {}

log(
  `weft bench: ${workers} workers per side, ${reps} timed runs per side (median reported), load average ${loadBefore.map((l) => l.toFixed(2)).join(" ")}`
)
for (const scenario of scenarios) {
  if (only !== undefined && !only.has(scenario.id)) continue
  log(`running ${scenario.title} ...`)
  const t0 = performance.now()
  const result = await scenario.run({ reps, log })
  log(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  rows.push(...result.rows)
  data[scenario.id] = result.data
}
const loadAfter = os.loadavg()
const { commit, dirty } = gitState()

const footer = [
  `ratio = raw tinypool time / weft time (above 1: weft is faster). Every figure is the median of ${reps} timed runs per side`,
  `(scenario 3: ${Math.max(5, reps)} spawns each), sides alternating, after untimed warm-up runs (2 per side; 1 in scenarios 3, 4 and 7).`,
  "Scenario 5's overheads are on top of its own map + gather row; scenario 6's weft peak comes from separate untimed runs.",
  "Best run and all samples: bench/results/latest.json.",
  `${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? "?"}), node ${process.version}, load average ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after;`,
  `weft at commit ${commit ?? "?"}${dirty === true ? " plus uncommitted changes to its sources" : ""}, ${started.toISOString()}.`
]
console.log(`\n${formatTable(rows)}\n\n${footer.join("\n")}`)

const out = fileURLToPath(new URL("./results/latest.json", import.meta.url))
mkdirSync(fileURLToPath(new URL("./results/", import.meta.url)), { recursive: true })
writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: started.toISOString(),
      commit,
      dirty,
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim(),
      loadAverage: { before: loadBefore, after: loadAfter },
      workers,
      reps,
      rows,
      scenarios: data
    },
    null,
    2
  )}\n`
)
log(`wrote ${out}`)
