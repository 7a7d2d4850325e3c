/**
 * Clean tracebacks (issue 12): the stack of a task's error, as the user receives it (`result()`'s
 * rejection, `exception()`, `traceback()`, and the `cause` chain), holds no frame of weft's own
 * files or tinypool's, and the user's frames keep their positions in the user's files. On every
 * executor, for a registered task in a .ts module and for an inline function.
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, test } from "vitest"
import type { ClientOptions, Future } from "weft"
import { overLimit, overLimitLater, wrapsFailure } from "../fixtures/traceback-tasks.js"
import { useClient } from "./helpers.js"

const executors: ReadonlyArray<readonly [string, ClientOptions]> = [
  ["threads", { workers: 1 }],
  ["processes", { workers: 1, isolation: "process" }],
  ["in-process", { workers: 0 }]
]

const root = fileURLToPath(new URL("../../", import.meta.url))
/** Where weft's own code and tinypool's live, in the sources and in the build. */
const foreign = ["runtime/", "dsl/", "compiler/", "testing/", "dist/"]
  .map((dir) => root + dir)
  .concat(["node_modules/tinypool/"])

const fixture = fileURLToPath(new URL("../fixtures/traceback-tasks.ts", import.meta.url))
/** The 1-based line of the fixture whose comment is `// marker`. */
const lineOf = (marker: string): number =>
  readFileSync(fixture, "utf8")
    .split("\n")
    .findIndex((l) => l.endsWith(`// ${marker}`)) + 1
const at = (fn: string, marker: string) =>
  new RegExp(`at ${fn}\\d* \\(${fixture.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:${lineOf(marker)}:\\d+\\)`)

const frames = (stack: string | undefined): string[] => (stack ?? "").split("\n").filter((line) => /^\s+at /.test(line))

/** No frame of weft or tinypool, and no mention of them anywhere in the stack. */
const expectClean = (stack: string | undefined) => {
  expect(stack).toBeTypeOf("string")
  for (const place of foreign) expect(stack, `the stack names ${place}`).not.toContain(place)
  expect(stack).not.toMatch(/node:internal\/(process\/task_queues|timers)/)
}

/** The three ways a user reads the stack of a failed Future, which must agree. */
const stacksOf = async (future: Future<unknown, unknown>): Promise<string[]> => {
  const rejection = await future.result().then(
    () => undefined,
    (error: Error) => error
  )
  return [rejection?.stack, (await future.exception())?.stack, await future.traceback()].map((s) => s ?? "")
}

describe.each(executors)("tracebacks (%s)", (_name, options) => {
  const client = useClient(options)

  test("a registered task: only the user's frames, at their lines in the task's .ts file", async () => {
    for (const stack of await stacksOf(client().submit(overLimit, 5))) {
      expectClean(stack)
      expect(stack).toMatch(/^RangeError: limit exceeded: 5\n/)
      const [first, second] = frames(stack)
      expect(first).toMatch(at("checkLimit", "throws here"))
      expect(second).toMatch(at("overLimit", "calls here"))
    }
  })

  test("an async registered task failing after an await", async () => {
    for (const stack of await stacksOf(client().submit(overLimitLater, 6))) {
      expectClean(stack)
      expect(frames(stack)[0]).toMatch(at("checkLimit", "throws here"))
      expect(stack).toMatch(at("overLimitLater", "calls here, after an await"))
    }
  })

  test("the cause of a task's error is cleaned too", async () => {
    const error = (await client().submit(wrapsFailure, 7).exception()) as Error
    expectClean(error.stack)
    expect(frames(error.stack)[0]).toMatch(at("wrapsFailure", "wraps here"))
    const cause = error.cause as Error
    expectClean(cause.stack)
    expect(frames(cause.stack)[0]).toMatch(at("checkLimit", "throws here"))
  })

  test("an inline function: its frame names it, at the line of its own source text", async () => {
    function divide(x: number): number {
      if (x === 0) throw new RangeError("division by zero")
      return 1 / x
    }
    const line =
      divide
        .toString()
        .split("\n")
        .findIndex((l) => l.includes("throw")) + 1
    for (const stack of await stacksOf(client().submit(divide, 0))) {
      expectClean(stack)
      expect(stack).not.toMatch(/eval at/)
      expect(frames(stack)).toHaveLength(1)
      expect(frames(stack)[0]).toMatch(new RegExp(`^\\s+at divide\\d* \\(inline:divide\\d*:${line}:\\d+\\)$`))
    }
  })

  test("an inline arrow function: its frame carries its name too, not `eval`", async () => {
    const halve = (x: number): number => {
      if (x % 2 === 1) throw new RangeError(`${x} is odd`)
      return x / 2
    }
    const line =
      halve
        .toString()
        .split("\n")
        .findIndex((l) => l.includes("throw")) + 1
    const stack = await client().submit(halve, 3).traceback()
    expectClean(stack)
    expect(frames(stack)).toEqual([expect.stringMatching(new RegExp(`^\\s+at halve \\(inline:halve:${line}:\\d+\\)$`))])
  })
})
