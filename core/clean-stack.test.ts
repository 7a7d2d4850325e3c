import { fileURLToPath, pathToFileURL } from "node:url"
import { describe, expect, it } from "vitest"
import { cleanStack } from "./clean-stack.js"

const root = fileURLToPath(new URL("../", import.meta.url))
const user = `${root}test/fixtures/app.ts`

describe("cleanStack", () => {
  it("drops weft's frames (sources and build, paths and file URLs) and tinypool's, keeping the user's in order", () => {
    const stack = [
      "RangeError: boom",
      `    at inner (${user}:3:9)`,
      `    at run (${pathToFileURL(`${root}dist/executors/worker/run-batch.js`).href}:102:21)`,
      `    at outer (${user}:7:3)`,
      `    at runBatch (${root}executors/worker/run-batch.ts:49:12)`,
      `    at async ${pathToFileURL(`${root}node_modules/tinypool/dist/entry/worker.js`).href}:48:17`,
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)"
    ].join("\n")
    expect(cleanStack(stack)).toBe(
      ["RangeError: boom", `    at inner (${user}:3:9)`, `    at outer (${user}:7:3)`].join("\n")
    )
  })

  it("keeps node frames between two user frames, and a message line that looks like a frame", () => {
    const stack = [
      "Error: first line",
      "    at the start of the second line of the message",
      "and a third",
      `    at cb (${user}:3:9)`,
      "    at Array.map (<anonymous>)",
      "    at next (node:internal/streams/x:1:1)",
      `    at task (${user}:7:3)`,
      `    at run (${root}dsl/task.ts:1:1)`,
      "    at processImmediate (node:internal/timers:483:21)"
    ].join("\n")
    const lines = stack.split("\n")
    expect(cleanStack(stack)).toBe([...lines.slice(0, 7)].join("\n"))
  })

  it("leaves a stack without weft's frames as it is", () => {
    const stack = `Error: x\n    at f (${user}:1:1)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`
    expect(cleanStack(stack)).toBe(stack)
    expect(cleanStack("no frames at all")).toBe("no frames at all")
  })
})
