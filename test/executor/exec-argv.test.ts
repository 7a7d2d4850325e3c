import { spawnSync } from "node:child_process"
import { describe, expect, test } from "vitest"
import { workerExecArgv } from "../../dist/runtime/internal/executor/tinypool.js"

describe("flags passed on to worker threads", () => {
  test("keeps loaders and conditions, drops what Node refuses in workers", () => {
    expect(
      workerExecArgv(["--import", "tsx", "--input-type=module", "--expose-gc", "-e", "code", "--conditions=dev", "--enable-source-maps", "--max-old-space-size=100", "--require", "x.cjs"])
    ).toEqual(["--import", "tsx", "--conditions=dev", "--enable-source-maps", "--require", "x.cjs"])
  })

  test.each([["--expose-gc"], ["--input-type=module"], ["--max-old-space-size=200"]])("a program started with %s can start a cluster", (flag) => {
    const script = `import { Client } from "weft"; const c = await Client.local({ workers: 1 }); console.log(await c.submit((x) => x * 2, 21).result()); await c.close()`
    const args = flag === "--input-type=module" ? [flag, "-e", script] : [flag, "--input-type=module", "-e", script]
    const run = spawnSync(process.execPath, args, { cwd: process.cwd(), encoding: "utf8", timeout: 15_000 })
    expect(run.stderr).toBe("")
    expect(run.stdout.trim()).toBe("42")
  })
})
