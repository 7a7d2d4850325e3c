import { describe, expect, test } from "vitest"
import fc from "fast-check"
import { Project, SyntaxKind, ts } from "ts-morph"
import { compileGraph } from "./compile-graph.js"
import type { GraphIr } from "../../core/ir.js"
import { evaluateIr, graphModule } from "../../dsl/graph-module.js"
import { isDelayed } from "../../dsl/delayed.js"
import "../../runtime/compute.js"

const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { strict: true } })
let fileCount = 0

/** Compiles the first function of `source` (or the one named `name`), with `tasks` as @task names. */
function compile(
  source: string,
  taskNames: ReadonlyArray<string> = ["load", "clean", "aggregate", "add", "mul", "neg", "inc"],
  name?: string
) {
  const file = project.createSourceFile(`case${fileCount++}.ts`, source)
  const fn = name === undefined ? file.getFunctions()[0] : file.getFunctionOrThrow(name)
  const tasks = new Map(taskNames.map((t) => [t, `pipeline.ts#${t}`]))
  return compileGraph(fn, tasks, "pipeline.ts")
}

/** Each construct the DSL does not have, with the code and line it reports. */
const cases: Array<[string, number, number, string]> = [
  // [what, code, line, source]
  ["if on a lazy value", 1001, 3, `function g(x: number) {\n  const a = inc(x)\n  if (a) { return a }\n  return x\n}`],
  ["?: on a lazy value", 1001, 3, `function g(x: number) {\n  const a = inc(x)\n  const b = a ? 1 : 2\n  return b\n}`],
  ["&& on a lazy value", 1001, 3, `function g(x: number) {\n  const a = inc(x)\n  const b = a && x\n  return b\n}`],
  ["|| on a lazy value", 1001, 3, `function g(x: number) {\n  const a = inc(x)\n  const b = a || x\n  return b\n}`],
  ["?? on a lazy value", 1001, 3, `function g(x: number) {\n  const a = inc(x)\n  return a ?? x\n}`],
  ["! on a lazy value", 1001, 3, `function g(x: number) {\n  const a = inc(x)\n  return !a\n}`],
  [
    "switch on a lazy value",
    1001,
    3,
    `function g(x: number) {\n  const a = inc(x)\n  switch (a) { case 1: return 1 }\n  return a\n}`
  ],
  [
    "for-of over a lazy value",
    1001,
    3,
    `function g(x: number) {\n  const a = load(x)\n  for (const y of a) {}\n  return a\n}`
  ],
  ["while on a lazy value", 1001, 3, `function g(x: number) {\n  const a = inc(x)\n  while (a) {}\n  return a\n}`],
  ["optional chaining on a lazy value", 1001, 3, `function g(x: number) {\n  const a = load(x)\n  return a?.rows\n}`],
  [
    "a comparison in an if reports the comparison",
    1002,
    3,
    `function g(x: number) {\n  const a = inc(x)\n  if (a > 0) { return a }\n  return x\n}`
  ],
  ["an unused task call", 1004, 2, `function g(x: number) {\n  inc(x)\n  return x\n}`],
  ["a statement after return", 1004, 3, `function g(x: number) {\n  return inc(x)\n  const b = 1\n}`],
  ["a body without return", 1004, 1, `function g(x: number) {\n  const a = inc(x)\n}`],
  ["a destructured parameter", 1004, 1, `function g({ x }: { x: number }) {\n  return inc(x)\n}`],
  ["a computed index", 1004, 3, `function g(xs: number[], i: number) {\n  const a = inc(i)\n  return xs[i]\n}`],
  [
    "arithmetic on a lazy value",
    1002,
    3,
    `function g(x: number) {\n  const a = inc(x)\n  const b = a + 1\n  return b\n}`
  ],
  ["comparison on a lazy value", 1002, 3, `function g(x: number) {\n  const a = inc(x)\n  return a > 1\n}`],
  ["unary minus on a lazy value", 1002, 3, `function g(x: number) {\n  const a = inc(x)\n  return -a\n}`],
  ["a template literal on a lazy value", 1002, 3, "function g(x: number) {\n  const a = inc(x)\n  return `n=${a}`\n}"],
  ["Math.max of a lazy value", 1003, 3, `function g(x: number) {\n  const a = inc(x)\n  return Math.max(a, 1)\n}`],
  [
    "console.log of a lazy value",
    1003,
    3,
    `function g(x: number) {\n  const a = inc(x)\n  console.log(a)\n  return a\n}`
  ],
  ["let", 1004, 2, `function g(x: number) {\n  let a = inc(x)\n  return a\n}`],
  ["assignment", 1004, 3, `function g(x: number) {\n  const a = inc(x)\n  x = 2\n  return a\n}`],
  [
    "await of a call that is not a task",
    1009,
    2,
    `async function g(x: string) {\n  const a = await fetch(x)\n  return a\n}`
  ],
  ["new", 1004, 2, `function g(x: number) {\n  const a = new Date()\n  return a\n}`],
  ["a closure", 1004, 2, `function g(x: number) {\n  const f = () => inc(x)\n  return x\n}`],
  ["a class", 1004, 2, `function g(x: number) {\n  class A {}\n  return x\n}`],
  ["arithmetic on a parameter", 1004, 2, `function g(x: number) {\n  return inc(x + 1)\n}`],
  ["an unknown name", 1004, 2, `function g(x: number) {\n  return inc(y)\n}`],
  ["a call that is not a task", 1006, 2, `function g(x: number) {\n  const a = Math.max(x, 1)\n  return inc(a)\n}`],
  ["a method call", 1006, 2, `function g(xs: number[]) {\n  return xs.slice(1)\n}`],
  [
    "a branch inside a .map body",
    1001,
    3,
    `function g(xs: number[]) {\n  return xs.map((x) => {\n    const a = inc(x); if (a) { return a }\n    return a\n  })\n}`
  ],
  [
    "arithmetic on a captured lazy value",
    1002,
    3,
    `function g(xs: number[], y: number) {\n  const a = inc(y)\n  return xs.map((x) => add(x, a * 2))\n}`
  ]
]

describe("diagnostics: each construct gives its code at its line", () => {
  test.each(cases)("%s: WEFT%i at line %i", (_what, code, line, source) => {
    const { ir, diagnostics } = compile(source)
    expect(ir).toBeUndefined()
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([[code, line]])
    const [d] = diagnostics
    expect(d.file).toBe("pipeline.ts")
    expect(d.column).toBeGreaterThanOrEqual(1)
    expect(d.message).not.toContain("\n")
    expect(d.hint).not.toContain("\n")
    expect(d.hint.length).toBeGreaterThan(0)
  })

  test("the column is that of the offending node", () => {
    const { diagnostics } = compile(`function g(x: number) {\n  const a = inc(x)\n  const b = 1 + a\n  return b\n}`)
    expect(diagnostics).toMatchObject([{ code: 1002, line: 3, column: 13 }])
  })

  test("parameters and literals are not lazy: reading a parameter's property and .map over a parameter compile", () => {
    const { ir, diagnostics } = compile(
      `function g(cfg: { files: string[] }, n: number) {\n  const files = cfg.files\n  const parts = files.map((f) => clean(load(f)))\n  return { total: aggregate(parts), n, first: [1, -2, "x", null, true][0] }\n}`
    )
    expect(diagnostics).toEqual([])
    expect(ir).toBeDefined()
  })

  test("an error does not cascade to later uses of the binding", () => {
    const { diagnostics } = compile(
      `function g(x: number) {\n  const a = inc(x)\n  const b = a * 2\n  const c = inc(b)\n  return add(b, c)\n}`
    )
    expect(diagnostics.map((d) => d.code)).toEqual([1002])
  })
})

/** A load/clean/aggregate pipeline with a .map, property reads and an index read. */
const goldenSource = [
  "/** @graph */",
  "export function pipeline(files: string[], options: { threshold: number }) {",
  "  const cleaned = files.map((file) => {",
  "    const raw = load(file)",
  "    return clean(raw, options.threshold)",
  "  })",
  "  const summary = aggregate(cleaned)",
  "  return { summary, count: summary.count, first: cleaned[0] }",
  "}"
].join("\n")

/** Its IR. */
const goldenIr: GraphIr = {
  version: 1,
  name: "pipeline",
  params: ["files", "options"],
  nodes: [
    { kind: "param", name: "files", index: 0 },
    { kind: "param", name: "options", index: 1 },
    {
      kind: "map",
      over: 0,
      body: {
        version: 1,
        name: "pipeline.map",
        params: ["file"],
        nodes: [
          { kind: "param", name: "file", index: 0 },
          { kind: "call", task: "pipeline.ts#load", args: [{ $node: 0 }] },
          { kind: "literal", value: { $node: -2 } },
          { kind: "get", from: 2, key: "threshold" },
          { kind: "call", task: "pipeline.ts#clean", args: [{ $node: 1 }, { $node: 3 }] }
        ],
        output: 4
      }
    },
    { kind: "call", task: "pipeline.ts#aggregate", args: [{ $node: 2 }] },
    { kind: "get", from: 3, key: "count" },
    { kind: "get", from: 2, key: 0 },
    { kind: "literal", value: { summary: { $node: 3 }, count: { $node: 4 }, first: { $node: 5 } } }
  ],
  output: 6
}

/** The tasks of the golden pipeline. */
const pipelineTasks = {
  "pipeline.ts#load": (file: string) => ({ name: file, rows: [1, 2, 3, file.length] }),
  "pipeline.ts#clean": (raw: { name: string; rows: number[] }, threshold: number) =>
    raw.rows.filter((r) => r >= threshold),
  "pipeline.ts#aggregate": (parts: number[][]) => ({ count: parts.reduce((n, p) => n + p.length, 0), parts })
}

describe("IR", () => {
  test("golden IR of a load/clean/aggregate pipeline", () => {
    const { ir, diagnostics } = compile(goldenSource)
    expect(diagnostics).toEqual([])
    const expected = goldenIr
    expect(ir).toEqual(expected)
    expect(JSON.parse(JSON.stringify(ir))).toEqual(expected)
  })

  test("graphModule builds Delayeds without running tasks; compute equals evaluateIr", async () => {
    const { ir } = compile(
      `function pipeline(files: string[], options: { threshold: number }) {\n  const cleaned = files.map((file) => clean(load(file), options.threshold))\n  const summary = aggregate(cleaned)\n  return { summary, count: summary.count, first: cleaned[0] }\n}`
    )
    let runs = 0
    const counted = Object.fromEntries(
      Object.entries(pipelineTasks).map(([id, f]) => [
        id,
        (...args: any[]) => (runs++, (f as (...a: any[]) => unknown)(...args))
      ])
    )
    const g = graphModule<[string[], { threshold: number }], unknown>(ir!, pipelineTasks)
    expect(g.ir).toBe(ir)
    const params: [string[], { threshold: number }] = [["a.csv", "bb.csv", "cccc.csv"], { threshold: 2 }]
    graphModule(ir!, counted)(...params)
    expect(runs).toBe(0)
    const d = g(...params)
    expect(isDelayed(d)).toBe(true)
    expect(g(...params).key).toBe(d.key)
    const direct = await evaluateIr(ir!, counted, params)
    expect(runs).toBe(7)
    expect(await d.compute()).toEqual(direct)
    expect(direct).toEqual({
      summary: {
        count: 9,
        parts: [
          [2, 3, 5],
          [2, 3, 6],
          [2, 3, 8]
        ]
      },
      count: 9,
      first: [2, 3, 5]
    })
  })

  test("a graph that returns a parameter or literal still gives a Delayed", async () => {
    const { ir } = compile(`function g(x: number) {\n  return [x, 1]\n}`)
    const d = graphModule<[number], number[]>(ir!, {})(5)
    expect(isDelayed(d)).toBe(true)
    expect(await d.compute()).toEqual([5, 1])
  })

  test("nested .map bodies capture values two levels out (negative references, one level at a time)", async () => {
    const { ir, diagnostics } = compile(
      `function g(xs: number[], ys: number[], z: number) {\n  const w = inc(z)\n  return xs.map((x) => ys.map((y) => add(x, add(y, w))))\n}`
    )
    expect(diagnostics).toEqual([])
    const tasks = { "pipeline.ts#inc": (a: number) => a + 1, "pipeline.ts#add": (a: number, b: number) => a + b }
    const expected = [
      [1 + 10 + 101, 1 + 20 + 101],
      [2 + 10 + 101, 2 + 20 + 101]
    ]
    expect(
      await graphModule<[number[], number[], number], number[][]>(ir!, tasks)([1, 2], [10, 20], 100).compute()
    ).toEqual(expected)
    expect(await evaluateIr(ir!, tasks, [[1, 2], [10, 20], 100])).toEqual(expected)
  })

  test("graphModule refuses an IR whose tasks are missing", () => {
    const { ir } = compile(`function g(x: number) {\n  return inc(x)\n}`)
    expect(() => graphModule(ir!, {})).toThrow(/pipeline\.ts#inc/)
  })
})

const taskFns = {
  add: (a: number, b: number) => a + b,
  mul: (a: number, b: number) => a * b,
  neg: (a: number) => -a,
  // A task whose result is a list: a .map over it is a run-time fan-out.
  spread: (a: number, b: number) => [a, b, a + b]
}
const ids = new Map(Object.keys(taskFns).map((t) => [t, `prop.ts#${t}`]))
const byId = Object.fromEntries(Object.entries(taskFns).map(([t, f]) => [`prop.ts#${t}`, f]))
const XS_LENGTH = 3

/** Builds a random graph body from a stream of choices: numbers in scope, arrays in scope with their lengths. */
const body = fc.array(fc.nat(1_000), { minLength: 30, maxLength: 120 }).map((choices) => {
  let i = 0
  const pick = (n: number) => choices[i++ % choices.length] % n
  const nums: string[] = ["p0", "p1"]
  const arrays: Array<[string, number]> = [["xs", XS_LENGTH]]
  const numExpr = (scope: string[], depth: number): string => {
    const k = pick(depth > 2 ? 3 : 7)
    if (k === 0) return scope[pick(scope.length)]
    if (k === 1) return String(pick(10))
    if (k === 2) {
      const [a, n] = arrays[pick(arrays.length)]
      return `${a}[${pick(n)}]`
    }
    if (k === 3 || k === 6) return `add(${numExpr(scope, depth + 1)}, ${numExpr(scope, depth + 1)})`
    if (k === 4) return `mul(${numExpr(scope, depth + 1)}, ${numExpr(scope, depth + 1)})`
    return `neg(${numExpr(scope, depth + 1)})`
  }
  const lines: string[] = []
  const statements = 1 + pick(6)
  for (let s = 0; s < statements; s++) {
    const kind = pick(5)
    if (kind <= 1) {
      const name = `v${s}`
      lines.push(`  const ${name} = ${numExpr(nums, 0)}`)
      nums.push(name)
    } else if (kind === 2) {
      const name = `a${s}`
      const n = 1 + pick(3)
      lines.push(`  const ${name} = [${Array.from({ length: n }, () => numExpr(nums, 1)).join(", ")}]`)
      arrays.push([name, n])
    } else if (kind === 4) {
      const name = `t${s}`
      lines.push(`  const ${name} = spread(${numExpr(nums, 1)}, ${numExpr(nums, 1)})`)
      arrays.push([name, 3])
    } else {
      const name = `m${s}`
      const [over, n] = arrays[pick(arrays.length)]
      const x = `x${s}`
      lines.push(`  const ${name} = ${over}.map((${x}) => ${numExpr([...nums, x, x], 1)})`)
      arrays.push([name, n])
    }
  }
  const r = pick(3)
  const result =
    r === 0
      ? numExpr(nums, 0)
      : r === 1
        ? arrays[pick(arrays.length)][0]
        : `{ a: ${numExpr(nums, 1)}, b: ${arrays[pick(arrays.length)][0]} }`
  return `/** @graph */\nfunction g(p0: number, p1: number, xs: number[]) {\n${lines.join("\n")}\n  return ${result}\n}\n`
})

describe("property: a compiled graph computes what its body computes", () => {
  // The bodies drawn include .map over a task's result (spread), a run-time fan-out.
  test("graphModule(ir)(...params).compute() equals the original body run directly", async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.integer({ min: -20, max: 20 }),
        fc.integer({ min: -20, max: 20 }),
        fc.array(fc.integer({ min: -9, max: 9 }), { minLength: XS_LENGTH, maxLength: XS_LENGTH }),
        async (source, p0, p1, xs) => {
          const file = project.createSourceFile(`prop${fileCount++}.ts`, source)
          const fn = file.getFirstDescendantByKindOrThrow(SyntaxKind.FunctionDeclaration)
          const { ir, diagnostics } = compileGraph(fn, ids, "prop.ts")
          project.removeSourceFile(file)
          expect(diagnostics).toEqual([])
          const js = ts.transpile(source, { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None })
          const original = new Function("add", "mul", "neg", "spread", `${js}\nreturn g`)(
            taskFns.add,
            taskFns.mul,
            taskFns.neg,
            taskFns.spread
          ) as (...a: unknown[]) => unknown
          const expected = original(p0, p1, xs)
          const compiled = await graphModule<[number, number, number[]], unknown>(ir!, byId)(p0, p1, xs).compute()
          expect(compiled).toEqual(expected)
          expect(await evaluateIr(ir!, byId, [p0, p1, xs])).toEqual(expected)
        }
      ),
      { numRuns: 60 }
    )
  })
})
