/**
 * The harness (weft/testing, spec section 11), with positive and negative controls: it passes on
 * correct tasks and graphs, and fails with a shrunk counterexample and a replayable seed on a pure
 * task that uses Math.random, on a result that loses its prototype, on a graph whose result
 * depends on completion order, and on side effects that retries duplicate.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import fc from "fast-check"
import { afterAll, describe, expect, test } from "vitest"
import { Client, delayed, graphModule } from "weft"
import { arbitraries, checkGraph, checkTask, CheckFailed, type RandomGraph } from "weft/testing"
import { inc } from "../fixtures/client-tasks.js"
import { jitter, logOrder, makePoint, payAll, stamp, tally, wordCounts } from "../fixtures/harness-tasks.js"
import { sqrt } from "../fixtures/harness-effect-tasks.js"

const scratch = mkdtempSync(join(tmpdir(), "weft-harness-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** The CheckFailed a check rejects with (fails the test when it resolves). */
async function failure(check: Promise<void>): Promise<CheckFailed> {
  const error = await check.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(CheckFailed)
  return error as CheckFailed
}

describe("checkTask: positive controls", () => {
  test("a registered pure task passes", async () => {
    await checkTask(inc, fc.tuple(fc.integer()), { numRuns: 30 })
  })

  test("Maps, Dates, Sets, typed arrays and async results pass", async () => {
    await checkTask(wordCounts, fc.tuple(fc.string()), { numRuns: 30 })
    await checkTask(stamp, fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.array(fc.integer({ min: 0, max: 255 }))), {
      numRuns: 20
    })
  })

  test("an Effect task with a typed failure is deterministic both ways", async () => {
    await checkTask(sqrt, fc.tuple(fc.integer({ min: -50, max: 50 })), { numRuns: 30 })
  })

  test("an inline function passes, and the harness's clients never become the default", async () => {
    await checkTask((xs: number[]) => [...xs].sort((a, b) => a - b), fc.tuple(fc.array(fc.integer())), { numRuns: 20 })
    expect(Client.current()).toBeUndefined()
  })

  test("runs on a client the user gives, and leaves it open", async () => {
    await using client = await Client.local({ workers: 1 })
    await checkTask(inc, fc.tuple(fc.integer()), { client, numRuns: 10 })
    expect(await client.submit(inc, 1).result()).toBe(2)
  })
})

describe("checkTask: negative controls", () => {
  test("a pure task that uses Math.random fails with a counterexample and a seed that replays it", async () => {
    const error = await failure(checkTask(jitter, fc.tuple(fc.integer()), { numRuns: 20 }))
    expect(error.message).toMatch(/^checkTask\(jitter\d*\) failed after/)
    expect(error.reason).toMatch(
      /determinism: jitter\d* is declared pure, but two runs with equal arguments on different workers disagree/
    )
    expect(error.message).toMatch(/Counterexample: \[-?\d+\]/)
    expect(error.message).toContain(`seed: ${error.seed}`)
    // Shrunk: any integer shows the defect, so fast-check goes down to 0.
    expect(error.counterexample).toEqual([0])
    const replay = await failure(checkTask(jitter, fc.tuple(fc.integer()), { seed: error.seed, path: error.path }))
    expect(replay.counterexample).toEqual([0])
  })

  test("an inline function that uses Math.random fails too", async () => {
    const error = await failure(checkTask((x: number) => x + Math.random(), fc.tuple(fc.integer()), { numRuns: 5 }))
    expect(error.reason).toMatch(/determinism/)
  })

  test("a result that loses its prototype fails clone safety and names the class", async () => {
    const error = await failure(checkTask(makePoint, fc.tuple(fc.integer(), fc.integer()), { numRuns: 5 }))
    expect(error.reason).toMatch(
      /clone safety: the result changes on its way back from a worker, at result: .*it was a Point, it is an Object/
    )
    expect(error.counterexample).toEqual([0, 0])
  })

  test("a result that cannot be cloned at all fails clone safety", async () => {
    const error = await failure(
      checkTask((x: number) => ({ x, double: () => x * 2 }), fc.tuple(fc.integer()), { numRuns: 5 })
    )
    expect(error.reason).toMatch(/clone safety: result\.double is a function/)
  })

  test("a pure task that counts its calls in module state fails, though every thread counts in step", async () => {
    const error = await failure(checkTask(tally, fc.tuple(fc.integer({ min: 0, max: 9 })), { numRuns: 5 }))
    expect(error.reason).toMatch(
      /determinism: tally\d* is declared pure, but two runs with equal arguments on different workers disagree/
    )
  })
})

describe("checkTask and checkGraph: bad input", () => {
  test("throws TypeError naming what is wrong, and starts nothing", async () => {
    await expect(checkTask(42 as never, fc.tuple(fc.integer()) as never)).rejects.toThrow(
      /checkTask: the first argument must be a task function, got number/
    )
    await expect(checkTask(inc, [1] as never)).rejects.toThrow(/must be a fast-check arbitrary/)
    await expect(checkGraph(42 as never, fc.tuple())).rejects.toThrow(/checkGraph: the first argument must be a graph/)
    await expect(checkGraph((x: number) => delayed(inc)(x))).rejects.toThrow(
      /no arbitrary for its parameters.*weft build --arbitraries/
    )
    await expect(
      checkGraph((x: number) => delayed(inc)(x), fc.tuple(fc.integer()), { faults: { rate: 2 } })
    ).rejects.toThrow(/rate must be a number from 0 to 1/)
    await expect(checkTask(inc, fc.tuple(fc.integer()), { timeout: "soon" })).rejects.toThrow(TypeError)
    await expect(checkTask(inc, fc.tuple(fc.integer()), { numRun: 5 } as never)).rejects.toThrow(
      'checkTask: unknown option "numRun" (did you mean "numRuns"?). Valid options are: client, timeout, numRuns, seed, path.'
    )
    await expect(checkTask(inc, fc.tuple(fc.integer()), { numRuns: -1 })).rejects.toThrow(
      "checkTask: numRuns must be a whole number >= 1, got -1."
    )
    await expect(checkTask(inc, fc.tuple(fc.integer()), { client: {} as never })).rejects.toThrow(
      "checkTask: client must be a Client (from Client.local)."
    )
    await expect(checkTask(inc, fc.tuple(fc.integer()), { path: "0:1" })).rejects.toThrow(
      /path replays a failure only with its seed/
    )
    await expect(
      checkGraph((x: number) => delayed(inc)(x), fc.tuple(fc.integer()), { before: 3 as never })
    ).rejects.toThrow(/before must be a function/)
    expect(() => arbitraries.graph({ maxNode: 3 } as never)).toThrow(
      'arbitraries.graph: unknown option "maxNode" (did you mean "maxNodes"?). Valid options are: maxNodes, maxDeps, failureRate.'
    )
    expect(() => arbitraries.faultPlan({ maxRate: 2 })).toThrow(
      "arbitraries.faultPlan: maxRate must be from 0 to 1, got 2."
    )
    await expect(
      checkGraph((x: number) => delayed(inc)(x), fc.tuple(fc.integer()), { fault: { rate: 0.5 } } as never)
    ).rejects.toThrow(
      /checkGraph\(.*\): unknown option "fault" \(did you mean "faults"\?\)\. Valid options are: client, faults,/
    )
  })

  test("an arbitrary that does not give argument lists is a failure that says so", async () => {
    const error = await failure(checkTask(inc, fc.integer() as never, { numRuns: 3 }))
    expect(error.reason).toMatch(/not an argument list: wrap the arguments in fc.tuple/)
  })
})

describe("checkGraph: positive controls", () => {
  const collect = (xs: number[]) => xs
  const wholeGraph = (g: RandomGraph) => delayed(collect)(arbitraries.delayeds(g, { retries: 2 }))

  test("random graphs with failing nodes give on the cluster what they give here, also under faults", async () => {
    await checkGraph(wholeGraph, fc.tuple(arbitraries.graph({ maxNodes: 15, failureRate: 0.1 })), {
      numRuns: 15,
      faults: { seed: 3, rate: 0.5 }
    })
  })

  test("a compiled graph's own arbitrary is used when none is given", async () => {
    const ir = {
      version: 1,
      name: "double",
      params: ["x"],
      nodes: [
        { kind: "param", name: "x", index: 0 },
        { kind: "call", task: "inc", args: [{ $node: 0 }] }
      ],
      output: 1
    }
    const graph = graphModule<[number], number>(ir as never, { inc }, { arbitrary: (f) => f.tuple(f.integer()) })
    await checkGraph(graph, undefined, { numRuns: 10 })
  })

  test("the side-effect graph passes without faults: the control below fails because of retries", async () => {
    const ledger = join(scratch, "ledger-clean")
    await checkGraph(
      payAll,
      fc.tuple(fc.constant(ledger), fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 6 })),
      {
        numRuns: 10,
        faults: { rate: 0 },
        before: (file) => rmSync(file, { force: true })
      }
    )
  })

  test("a call that appears twice (equal keys) runs once in the reference too, as on the cluster", async () => {
    const file = join(scratch, "twice")
    const twice = (f: string, x: number) => logOrder(f, [x, x])
    await checkGraph(twice, fc.tuple(fc.constant(file), fc.integer({ min: 0, max: 99 })), {
      numRuns: 5,
      faults: { rate: 0 },
      before: (f) => rmSync(f, { force: true })
    })
  })
})

describe("checkGraph: negative controls", () => {
  test("a graph whose result depends on completion order fails, shrunk to two records", async () => {
    const file = join(scratch, "log")
    const error = await failure(
      checkGraph(
        logOrder,
        fc.tuple(fc.constant(file), fc.uniqueArray(fc.integer({ min: 0, max: 99 }), { minLength: 1, maxLength: 8 })),
        {
          numRuns: 40,
          faults: { rate: 0 },
          before: (f) => rmSync(f, { force: true })
        }
      )
    )
    expect(error.reason).toMatch(/the cluster's result differs from running the graph in this process, at result\[0\]/)
    expect(error.reason).toMatch(/reference order: record\d*, record\d*, readLog\d*/)
    const { params } = error.counterexample as { params: [string, number[]] }
    expect(params[1]).toHaveLength(2)
  })

  test("side effects that retries duplicate fail under injected faults", async () => {
    const ledger = join(scratch, "ledger-faults")
    const error = await failure(
      checkGraph(
        payAll,
        fc.tuple(fc.constant(ledger), fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 6 })),
        {
          numRuns: 20,
          faults: { seed: 5, rate: 0.6 },
          before: (file) => rmSync(file, { force: true })
        }
      )
    )
    expect(error.reason).toMatch(
      /with injected transient failures \(fault plan seed 5, rate 0.6\) the result changes, at result: expected \d+, got \d+; a retried task ran again/
    )
    expect(error.message).toMatch(/Replay: pass \{ seed: -?\d+/)
  })

  test("unstable keys fail: a graph that puts a fresh object identity into a key", async () => {
    let calls = 0
    const unstable = (x: number) => delayed(inc)(x + calls++)
    const error = await failure(checkGraph(unstable, fc.tuple(fc.integer()), { numRuns: 3, faults: { rate: 0 } }))
    expect(error.reason).toMatch(
      /keys are not stable: the pure task inc\d* got the key inc\d*-[0-9a-f]{32} once and inc\d*-[0-9a-f]{32} the second time/
    )
  })
})

describe("arbitraries", () => {
  test("rates and failure chances are spread evenly, not piled up near 0", () => {
    // fc.double favours its bounds: nine plans in ten had a rate below 0.01 before.
    const rates = fc.sample(arbitraries.faultPlan(), { seed: 42, numRuns: 2_000 }).map((p) => p.rate)
    expect(Math.max(...rates)).toBeLessThanOrEqual(0.5)
    expect(rates.filter((r) => r < 0.01).length).toBeLessThan(100)
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length
    expect(mean).toBeGreaterThan(0.2)
    expect(mean).toBeLessThan(0.3)
    const nodes = fc
      .sample(arbitraries.graph({ maxNodes: 20, failureRate: 0.1 }), { seed: 42, numRuns: 500 })
      .flatMap((g) => g.nodes)
    const failing = nodes.filter((n) => n.fails).length / nodes.length
    expect(failing).toBeGreaterThan(0.07)
    expect(failing).toBeLessThan(0.13)
  })
})
