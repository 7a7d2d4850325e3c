import { describe, expect, test } from "vitest"
import { workerExecArgv } from "./pool-options.js"

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
})
