/**
 * Scenario 3: time from process start to the first result.
 *
 * A fresh `node` child process (plain node: `spawn` passes no tsx flags) runs a small `.mjs`
 * script: `bench/startup/weft-first-result.mjs` (imports the built `weft`,
 * `Client.local({ workers: 2 })`, submits `(x) => x + 1`, prints the result, closes) or
 * `bench/startup/tinypool-first-result.mjs` (`new Tinypool` with 2 threads, one `pool.run`,
 * prints, destroys). The clock runs from just before `spawn` to the moment the parent reads the
 * printed result; the time to the child's exit is recorded as well.
 *
 * The children get this process's environment without `NODE_OPTIONS` and without
 * `NODE_EXTRA_CA_CERTS`: Node loads that CA bundle at every process start, which costs 60-100 ms
 * on the machine these figures come from and has nothing to do with weft or tinypool. When the
 * variable is set, both scripts are also timed with it (info rows).
 *
 * No pool is open in this process meanwhile. One untimed run of each script first warms the
 * file-system cache only; then `max(5, reps)` runs of each, alternating. Target (issue 18): weft within
 * 20 ms of raw tinypool's median in the same run.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { compare, stats, type Side, type Stats } from "../measure.js"
import type { Scenario } from "../scenario.js"
import type { Row } from "../table.js"

/** Issue 18: at most this much behind raw tinypool's first result (medians of the same run). */
const targetBehindRawMs = 20
const root = fileURLToPath(new URL("..", new URL("..", import.meta.url)))
const scripts = {
  weft: fileURLToPath(new URL("../startup/weft-first-result.mjs", import.meta.url)),
  raw: fileURLToPath(new URL("../startup/tinypool-first-result.mjs", import.meta.url))
}
const caVariable = "NODE_EXTRA_CA_CERTS"

/** The environment of a child: ours, without loader flags (tsx may use NODE_OPTIONS) and, unless `keepCa`, without the CA bundle. */
const childEnv = (keepCa: boolean): NodeJS.ProcessEnv => {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  if (!keepCa) delete env[caVariable]
  return env
}

interface Timing {
  /** Spawn to the printed result. */
  readonly firstResultMs: number
  /** Spawn to the child's exit. */
  readonly exitMs: number
}

/** Spawns `node script`, resolves with its timings once it exits with code 0 after printing `result 2`. */
function runChild(script: string, env: NodeJS.ProcessEnv): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(process.execPath, [script], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    let firstResultMs: number | undefined
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000)
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => {
      out += chunk
      if (firstResultMs === undefined && /result \S+\n/.test(out)) firstResultMs = performance.now() - start
    })
    child.stderr.setEncoding("utf8")
    child.stderr.on("data", (chunk: string) => (err += chunk))
    child.on("error", (error) => {
      clearTimeout(killer)
      reject(error)
    })
    child.on("exit", (code, signal) => {
      clearTimeout(killer)
      const exitMs = performance.now() - start
      if (code !== 0 || firstResultMs === undefined || !/^result 2$/m.test(out)) {
        reject(
          new Error(`bench: ${script} exited with ${code ?? signal}; stdout: ${JSON.stringify(out)}; stderr: ${err}`)
        )
      } else resolve({ firstResultMs, exitMs })
    })
  })
}

type SideName = "weft" | "raw" | "weftCa" | "rawCa"

export const startupScenario: Scenario = {
  id: "startup",
  title: "3. process start to first result (fresh node)",
  async run({ reps }) {
    const withCa = process.env[caVariable] !== undefined
    const exits: Record<SideName, number[]> = { weft: [], raw: [], weftCa: [], rawCa: [] }
    const side =
      (name: SideName, script: string, keepCa: boolean): Side =>
      async () => {
        const timing = await runChild(script, childEnv(keepCa))
        exits[name].push(timing.exitMs)
        return timing.firstResultMs
      }
    const sides: Partial<Record<SideName, Side>> = {
      weft: side("weft", scripts.weft, false),
      raw: side("raw", scripts.raw, false)
    }
    if (withCa) {
      sides.weftCa = side("weftCa", scripts.weft, true)
      sides.rawCa = side("rawCa", scripts.raw, true)
    }
    // The one warm-up run per script only warms the file-system cache; its exit time is dropped.
    const first = await compare(Math.max(5, reps), sides as Record<SideName, Side>, { warmups: 1 })
    const exit = {} as Record<SideName, Stats>
    for (const name of Object.keys(sides) as SideName[]) exit[name] = stats(exits[name].slice(1))

    const rows: Row[] = [
      {
        scenario: "process start -> first result (fresh node, 2 workers)",
        weft: `${first.weft.median.toFixed(0)} ms`,
        raw: `${first.raw.median.toFixed(0)} ms`,
        ratio: first.raw.median / first.weft.median,
        target: `raw + ${targetBehindRawMs} ms`,
        met: first.weft.median - first.raw.median <= targetBehindRawMs,
        check: `raw + ${(first.weft.median - first.raw.median).toFixed(0)} ms`
      },
      {
        scenario: "process start -> exit (after close/destroy)",
        weft: `${exit.weft.median.toFixed(0)} ms`,
        raw: `${exit.raw.median.toFixed(0)} ms`,
        ratio: exit.raw.median / exit.weft.median,
        target: "-",
        met: undefined
      }
    ]
    if (withCa) {
      rows.push({
        scenario: `process start -> first result, with ${caVariable} set`,
        weft: `${first.weftCa.median.toFixed(0)} ms`,
        raw: `${first.rawCa.median.toFixed(0)} ms`,
        ratio: first.rawCa.median / first.weftCa.median,
        target: "-",
        met: undefined,
        check: "this machine's environment"
      })
    }
    return { rows, data: { targetBehindRawMs, caBundleTimedToo: withCa, firstResultMs: first, exitMs: exit } }
  }
}
