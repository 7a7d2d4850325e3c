/**
 * What `import "weft"` and a first result load (issue 18, "process start to first result"): the
 * built package in a fresh `node`, with a module hook that lists every module loaded, in the main
 * thread and in the worker threads. The heavy parts a local client never uses must stay out of
 * that list: they are loaded at their first use (the disk cache at `Client.local({ cache })`, the
 * cluster at `Client.connect`, the dashboard at `dashboard: true`, the compiler by the CLI).
 * Speed itself is measured by `npm run bench -- --only startup`; this pins what it depends on.
 *
 * Uses the built package (`dist`): run `npm run build` first, as `npm test` does.
 */
import { spawnSync } from "node:child_process"
import { describe, expect, test } from "vitest"

/** A module hook (Node's `module.register`) that prints each module's URL as it loads, in every thread. */
const listingHook = `
  import { writeSync } from "node:fs"
  export async function load(url, context, next) {
    writeSync(1, "loaded " + url + "\\n")
    return next(url, context)
  }
`

/** The URLs a fresh `node` loads while it runs `script` (an ES module that imports `weft`), and what it printed. */
function modulesLoadedBy(script: string): { loaded: string[]; printed: string[] } {
  const register = `import { register } from "node:module"; register(${JSON.stringify(
    `data:text/javascript,${encodeURIComponent(listingHook)}`
  )})`
  const run = spawnSync(
    process.execPath,
    ["--import", `data:text/javascript,${encodeURIComponent(register)}`, "--input-type=module", "-e", script],
    { cwd: process.cwd(), encoding: "utf8", timeout: 60_000, env: { ...process.env, NODE_OPTIONS: "" } }
  )
  expect(run.stderr).toBe("")
  expect(run.status).toBe(0)
  const lines = run.stdout.split("\n").filter((line) => line !== "")
  return {
    loaded: lines.filter((line) => line.startsWith("loaded ")).map((line) => line.slice("loaded ".length)),
    printed: lines.filter((line) => !line.startsWith("loaded "))
  }
}

/** Packages and parts of weft that a local client's first result must not load. */
const heavy = [
  /\/node_modules\/cacache\//,
  /\/node_modules\/ioredis\//,
  /\/node_modules\/bullmq\//,
  /\/node_modules\/effect\//,
  /\/node_modules\/ts-morph\//,
  /\/node_modules\/typescript\//,
  /\/node_modules\/tsx\//,
  /\/dist\/cache\/disk-store\.js$/,
  /\/dist\/executors\/cluster\//,
  /\/dist\/runtime\/dashboard\//,
  /\/dist\/compiler\//
]

const heavyIn = (loaded: ReadonlyArray<string>): string[] =>
  loaded.filter((url) => heavy.some((pattern) => pattern.test(url)))

describe("start-up: what a first result loads", () => {
  test("import weft, Client.local, one task: no cache, cluster, dashboard, compiler or Effect code", () => {
    const { loaded, printed } = modulesLoadedBy(`
      import { Client } from "weft"
      const client = await Client.local({ workers: 2 })
      console.log("result " + (await client.submit((x) => x + 1, 1).result()))
      await client.close()
    `)
    expect(printed).toEqual(["result 2"])
    // The hook saw the modules (in the main thread and in the workers), so the list below means something.
    expect(loaded.some((url) => url.endsWith("/dist/runtime/Client.js"))).toBe(true)
    expect(loaded.some((url) => url.endsWith("/dist/executors/worker/run-batch.js"))).toBe(true)
    expect(heavyIn(loaded)).toEqual([])
  })

  test("import weft alone loads none of it either", () => {
    const { loaded, printed } = modulesLoadedBy(`
      import { Client } from "weft"
      console.log("imported")
    `)
    expect(printed).toEqual(["imported"])
    expect(heavyIn(loaded)).toEqual([])
  })

  test("import weft loads neither the workers' batch runner nor the result cache", () => {
    // The in-process executor and the worker modules it runs batches with load at `Client.local({
    // workers: 0 })` or at the first `compute()` without a client; the result cache with a cache.
    const { loaded, printed } = modulesLoadedBy(`
      import { Client } from "weft"
      console.log("imported")
    `)
    expect(printed).toEqual(["imported"])
    const notYet = [
      /\/dist\/executors\/worker\//,
      /\/dist\/executors\/in-process\.js$/,
      /\/dist\/cache\/result-cache\.js$/
    ]
    expect(loaded.filter((url) => notYet.some((pattern) => pattern.test(url)))).toEqual([])
  })

  test("the disk cache is still there when asked for: Client.local({ cache }) loads it then", () => {
    const { loaded, printed } = modulesLoadedBy(`
      import { mkdtempSync, rmSync } from "node:fs"
      import { tmpdir } from "node:os"
      import { join } from "node:path"
      import { Client } from "weft"
      const dir = mkdtempSync(join(tmpdir(), "weft-startup-"))
      const client = await Client.local({ workers: 0, cache: { dir } })
      console.log("result " + (await client.submit((x) => x + 1, 1).result()))
      await client.close()
      rmSync(dir, { recursive: true, force: true })
    `)
    expect(printed).toEqual(["result 2"])
    expect(loaded.some((url) => /\/node_modules\/cacache\//.test(url))).toBe(true)
  })
})
