import { spawnSync } from "node:child_process"
import { describe, expect, test } from "vitest"
import { workerExecArgv } from "../../dist/executors/tinypool/tinypool.js"
import { splitTsxLoaders } from "../../dist/core/tsx-flags.js"
import { Client } from "weft"
import { inc } from "../fixtures/client-tasks.js"
import { tripleByRequire } from "../fixtures/cjs-tasks.js"

describe("flags passed on to worker threads", () => {
  test("keeps loaders and conditions, drops what Node refuses in workers", () => {
    expect(
      workerExecArgv([
        "--import",
        "tsx",
        "--input-type=module",
        "--expose-gc",
        "-e",
        "code",
        "--conditions=dev",
        "--enable-source-maps",
        "--max-old-space-size=100",
        "--require",
        "x.cjs"
      ])
    ).toEqual(["--import", "tsx", "--conditions=dev", "--enable-source-maps", "--require", "x.cjs"])
  })

  test.each([["--expose-gc"], ["--input-type=module"], ["--max-old-space-size=200"]])(
    "a program started with %s can start a cluster",
    (flag) => {
      const script = `import { Client } from "weft"; const c = await Client.local({ workers: 1 }); console.log(await c.submit((x) => x * 2, 21).result()); await c.close()`
      const args = flag === "--input-type=module" ? [flag, "-e", script] : [flag, "--input-type=module", "-e", script]
      const run = spawnSync(process.execPath, args, { cwd: process.cwd(), encoding: "utf8", timeout: 15_000 })
      expect(run.stderr).toBe("")
      expect(run.stdout.trim()).toBe("42")
    }
  )
})

describe("tsx in worker threads", () => {
  test("tsx's loader flags are taken off a worker thread's flags and passed on by name", () => {
    const loader = "file:///app/node_modules/tsx/dist/loader.mjs"
    expect(
      splitTsxLoaders([
        "--import",
        "tsx",
        "--conditions=dev",
        `--import=${loader}`,
        "--require",
        "x.cjs",
        "--loader",
        "tsx",
        "--import",
        "./mine.mjs"
      ])
    ).toEqual({
      kept: ["--conditions=dev", "--require", "x.cjs", "--import", "./mine.mjs"],
      tsx: ["tsx", loader, "tsx"]
    })
  })

  // These tests run under `--import tsx`: the worker threads start without it and register it
  // themselves before importing a .ts task module, for import (ESM) and for require (CommonJS).
  test(
    "a worker thread started without tsx runs registered tasks from .ts modules, and a .cts module they require",
    { timeout: 20_000 },
    async () => {
      await using client = await Client.local({ workers: 1 })
      expect(process.execArgv.join(" ")).toMatch(/--import[ =]\S*tsx/)
      expect(await client.submit(inc, 41).result()).toBe(42)
      expect(await client.submit(tripleByRequire, 4).result()).toBe(12)
    }
  )
})
