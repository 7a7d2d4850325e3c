/**
 * Scenario 3: time from process start to the first result.
 *
 * A fresh `node` child process (plain node: `spawn` passes no tsx flags, and NODE_OPTIONS is dropped) runs a small `.mjs`
 * script: `bench/startup/weft-first-result.mjs` (imports the built `weft`, `Client.local({ workers: 2 })`,
 * submits `(x) => x + 1`, prints the result, closes) or `bench/startup/tinypool-first-result.mjs`
 * (`new Tinypool` with 2 threads, one `pool.run`, prints, destroys). The clock runs from just
 * before `spawn` to the moment the parent reads the printed result; the time to the child's exit
 * is recorded as well.
 *
 * No pool is open in this process meanwhile. One untimed run of each script first warms the
 * file-system cache only; then `max(5, reps)` runs of each, alternating. Target: weft under 150 ms.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { compare, stats, type Side, type Stats } from "../measure.js"
import type { Scenario } from "../scenario.js"

const targetMs = 150
const root = fileURLToPath(new URL("..", new URL("..", import.meta.url)))
const scripts = {
  weft: fileURLToPath(new URL("../startup/weft-first-result.mjs", import.meta.url)),
  raw: fileURLToPath(new URL("../startup/tinypool-first-result.mjs", import.meta.url))
}

/** The environment of the child: ours, without loader flags that tsx may pass through NODE_OPTIONS. */
const childEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  return env
}

interface Timing {
  /** Spawn to the printed result. */
  readonly firstResultMs: number
  /** Spawn to the child's exit. */
  readonly exitMs: number
}

/** Spawns `node script`, resolves with its timings once it exits with code 0 after printing `result 2`. */
function runChild(script: string): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(process.execPath, [script], { cwd: root, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] })
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
        reject(new Error(`bench: ${script} exited with ${code ?? signal}; stdout: ${JSON.stringify(out)}; stderr: ${err}`))
      } else resolve({ firstResultMs, exitMs })
    })
  })
}

export const startupScenario: Scenario = {
  id: "startup",
  title: "3. process start to first result (fresh node)",
  async run({ reps }) {
    const exits: Record<"weft" | "raw", number[]> = { weft: [], raw: [] }
    const side =
      (name: "weft" | "raw"): Side =>
      async () => {
        const timing = await runChild(scripts[name])
        exits[name].push(timing.exitMs)
        return timing.firstResultMs
      }
    // compare's warm-up run is the untimed file-cache warm-up; its exit time is dropped below.
    const results = await compare(Math.max(5, reps), { weft: side("weft"), raw: side("raw") })
    const exit: Record<"weft" | "raw", Stats> = { weft: stats(exits.weft.slice(1)), raw: stats(exits.raw.slice(1)) }
    return {
      rows: [
        {
          scenario: "process start -> first result (fresh node, 2 workers)",
          weft: `${results.weft.median.toFixed(0)} ms`,
          raw: `${results.raw.median.toFixed(0)} ms`,
          ratio: results.raw.median / results.weft.median,
          target: `< ${targetMs} ms`,
          met: results.weft.median < targetMs,
          check: `median ${results.weft.median.toFixed(0)} ms`
        },
        {
          scenario: "process start -> exit (after close/destroy)",
          weft: `${exit.weft.median.toFixed(0)} ms`,
          raw: `${exit.raw.median.toFixed(0)} ms`,
          ratio: exit.raw.median / exit.weft.median,
          target: "-",
          met: undefined
        }
      ],
      data: { targetMs, firstResultMs: results, exitMs: exit }
    }
  }
}
