/**
 * End to end, against the built package: a program started with Node flags that workers refuse,
 * or under tsx, still runs its tasks on worker threads. (How the flags are chosen is unit-tested
 * beside the code: executors/tinypool/pool-options.test.ts, core/tsx-flags.test.ts.)
 */
import { spawnSync } from "node:child_process"
import { describe, expect, test } from "vitest"
import { Client } from "weft"
import { inc } from "../fixtures/client-tasks.js"
import { tripleByRequire } from "../fixtures/cjs-tasks.js"

describe("flags passed on to worker threads", () => {
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
