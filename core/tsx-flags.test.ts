import { describe, expect, test } from "vitest"
import { splitTsxLoaders } from "./tsx-flags.js"

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
})
