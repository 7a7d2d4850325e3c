/**
 * Run-time fan-out (issue 16 part 1): `.map` over a task's result (or a property or element of
 * one) compiles to a `fanout` node, which the compiled graph expands once the list is computed.
 * Run in this process (the in-process client of `compute()`), and checked against `evaluateIr`.
 */
import { describe, expect, test } from "vitest"
import { Project } from "ts-morph"
import { compileGraph } from "./compile-graph.js"
import { evaluateIr, graphModule, type GraphTasks } from "../../dsl/graph-module.js"
import { isDelayed, type Delayed } from "../../dsl/delayed.js"
import { compute, persist } from "../../runtime/compute.js"
import { Client } from "../../runtime/Client.js"
import { expandFanOuts } from "../../runtime/internal/fan-out.js"
import { renderGraph } from "../render.js"

const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { strict: true } })
let fileCount = 0

const taskNames = ["listFiles", "parse", "clean", "summarize", "inc", "add", "split", "fail"]

function compile(source: string) {
  const file = project.createSourceFile(`fan${fileCount++}.ts`, source)
  const tasks = new Map(taskNames.map((t) => [t, `p.ts#${t}`]))
  const { ir, diagnostics } = compileGraph(file.getFunctions()[0], tasks, "p.ts")
  expect(diagnostics).toEqual([])
  return ir!
}

// Self-contained tasks (they travel as source text); runs are counted on globalThis, which the
// in-process client shares with this test.
const tasks: GraphTasks = {
  "p.ts#listFiles": (dir: string) => (dir === "" ? [] : dir.split(",")),
  "p.ts#parse": (f: string) => {
    const g = globalThis as { parseRuns?: string[] }
    ;(g.parseRuns ??= []).push(f)
    return f.length
  },
  "p.ts#clean": (n: number) => n * 10,
  "p.ts#summarize": (rows: unknown[]) => ({ count: rows.length, rows }),
  "p.ts#inc": (n: number) => n + 1,
  "p.ts#add": (a: number, b: number) => a + b,
  "p.ts#split": (s: string) => ({ parts: s.split(""), first: [s.length, s.length * 2] }),
  "p.ts#fail": (dir: string): string[] => {
    throw new RangeError(`cannot list ${dir}`)
  }
}

const runs = () => (globalThis as { parseRuns?: string[] }).parseRuns ?? []
const resetRuns = () => void ((globalThis as { parseRuns?: string[] }).parseRuns = [])

/** The graph computed (fan-outs expanded on the in-process client) and evaluated directly: both must agree. */
async function both(source: string, params: unknown[]) {
  const ir = compile(source)
  const d = graphModule<unknown[], unknown>(ir, tasks)(...params)
  expect(isDelayed(d)).toBe(true)
  const computed = await d.compute()
  expect(await evaluateIr(ir, tasks, params)).toEqual(computed)
  return computed
}

const report = `function report(dir: string) {\n  const files = listFiles(dir)\n  const rows = files.map((f) => parse(f))\n  return summarize(rows)\n}`

describe("fan-out at run time", () => {
  test(".map over a task's result compiles to a fanout node (not WEFT1005); weft graph draws it as a fan-out", () => {
    const ir = compile(report)
    expect(ir.nodes.map((n) => n.kind)).toEqual(["param", "call", "fanout", "call"])
    expect(ir.nodes[2]).toMatchObject({ kind: "fanout", over: 1, body: { params: ["f"] } })
    expect(renderGraph(ir, "mermaid")).toMatch(/n2\[\/"fan-out \(at run time\)"\\\]/)
    expect(renderGraph(ir, "mermaid")).toContain('subgraph n2_body["fan-out body of n2, one per element at run time"]')
    expect(renderGraph(ir, "dot")).toMatch(/n2 \[label="fan-out \(at run time\)", shape=box3d, style=bold\]/)
    // A property or an element of a task's result fans out too.
    const prop = compile(`function g(s: string) {\n  return split(s).parts.map((p) => parse(p))\n}`)
    expect(prop.nodes.map((n) => n.kind)).toEqual(["param", "call", "get", "fanout"])
    const elem = compile(`function g(s: string) {\n  return split(s).first.map((n) => inc(n))\n}`)
    expect(elem.nodes.map((n) => n.kind)).toEqual(["param", "call", "get", "fanout"])
  })

  test("one task per element, decided when the list is known; the downstream task gets every result", async () => {
    resetRuns()
    expect(await both(report, ["a,bb,ccc"])).toEqual({ count: 3, rows: [1, 2, 3] })
    expect(runs().sort()).toEqual(["a", "bb", "ccc", "a", "bb", "ccc"].sort()) // compute once, evaluateIr once
  })

  test("over a property and an element of a task's result", async () => {
    expect(await both(`function g(s: string) {\n  return split(s).parts.map((p) => parse(p))\n}`, ["xyz"])).toEqual([
      1, 1, 1
    ])
    expect(await both(`function g(s: string) {\n  return split(s).first.map((n) => inc(n))\n}`, ["xyz"])).toEqual([
      4, 7
    ])
  })

  test("a callback that calls several tasks, and captures a lazy value of the graph", async () => {
    const source = `function g(dir: string, z: number) {\n  const w = inc(z)\n  const rows = listFiles(dir).map((f) => {\n    const n = parse(f)\n    return add(clean(n), w)\n  })\n  return summarize(rows)\n}`
    expect(await both(source, ["a,bb", 4])).toEqual({ count: 2, rows: [15, 25] })
  })

  test("nested maps: a fan-out inside a fan-out, and a static map inside one", async () => {
    const nested = `function g(dir: string) {\n  return listFiles(dir).map((f) => split(f).parts.map((p) => parse(p)))\n}`
    expect(await both(nested, ["ab,c"])).toEqual([[1, 1], [1]])
    const inner = `function g(dir: string, ks: number[]) {\n  return listFiles(dir).map((f) => ks.map((k) => add(parse(f), k)))\n}`
    expect(await both(inner, ["ab,c", [10, 20]])).toEqual([
      [12, 22],
      [11, 21]
    ])
    const outer = `function g(dirs: string[]) {\n  return summarize(dirs.map((d) => listFiles(d).map((f) => parse(f))))\n}`
    expect(await both(outer, [["a,bb", "", "ccc"]])).toEqual({ count: 3, rows: [[1, 2], [], [3]] })
  })

  test("an empty list: no element task runs, the downstream task gets []", async () => {
    resetRuns()
    expect(await both(report, [""])).toEqual({ count: 0, rows: [] })
    expect(runs()).toEqual([])
  })

  test("equal elements share work, and a rerun gets the same keys", async () => {
    resetRuns()
    expect(await both(report, ["a,a,bb"])).toEqual({ count: 3, rows: [1, 1, 2] })
    expect(runs().filter((f) => f === "a")).toHaveLength(3) // once computed, twice directly (evaluateIr has no keys)
    const g = graphModule<[string], unknown>(compile(report), tasks)
    expect(g("a,a,bb").key).toBe(g("a,a,bb").key)
    expect(g("a,a,bb").key).not.toBe(g("a,bb").key)
    const client = await Client.local({ workers: 0 })
    try {
      const keysOf = async (d: Delayed<unknown>) => {
        const expanded = await expandFanOuts(client, [d], false)
        expanded.release()
        return Object.keys(expanded.value[0].graph())
      }
      const first = await keysOf(g("a,a,bb"))
      expect(first.filter((k) => k.includes("#parse-"))).toHaveLength(2)
      expect(await keysOf(g("a,a,bb"))).toEqual(first)
    } finally {
      await client.close()
    }
  })

  test("an error in the list task: every dependent gets the root's error", async () => {
    const source = `function g(dir: string) {\n  const files = fail(dir)\n  const rows = files.map((f) => parse(f))\n  return { summary: summarize(rows), first: rows[0], n: inc(1) }\n}`
    const ir = compile(source)
    const d = graphModule<[string], unknown>(ir, tasks)("data")
    await expect(d.compute()).rejects.toThrow(RangeError)
    await expect(d.compute()).rejects.toThrow("cannot list data")
    const rows = graphModule<[string], unknown>(
      compile(`function g(dir: string) {\n  return fail(dir).map((f) => parse(f))\n}`),
      tasks
    )
    await expect(compute(rows("x"), rows("y"))).rejects.toThrow(/cannot list (x|y)/)
    await expect(evaluateIr(ir, tasks, ["data"])).rejects.toThrow("cannot list data")
  })

  test("on a local cluster with worker threads", async () => {
    const client = await Client.local({ workers: 2 })
    try {
      const d = graphModule<[string], unknown>(compile(report), tasks)("a,bb,ccc,dddd")
      expect(await compute(d)).toEqual([{ count: 4, rows: [1, 2, 3, 4] }])
      // The expansion lets go of what it started (the list, the elements' tasks) once the result is read.
      expect(client.heldKeys().filter((k) => !k.includes("#summarize-"))).toEqual([])
    } finally {
      await client.close()
    }
  })

  test("persist and client.compute refuse a fan-out with a message that says to use compute()", async () => {
    const d = graphModule<[string], unknown>(compile(report), tasks)("a")
    expect(() => persist(d)).toThrow(/run-time fan-out.*compute\(\.\.\.\) or \.compute\(\)/)
  })
})
