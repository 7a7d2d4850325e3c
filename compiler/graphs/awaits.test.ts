import { describe, expect, test } from "vitest"
import { Project } from "ts-morph"
import { compileGraph } from "./compile-graph.js"

const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { strict: true } })
let fileCount = 0

/** Compiles the first function of `source`, with `load`, `clean`, `aggregate`, `inc` as @task names. */
function compile(source: string) {
  const file = project.createSourceFile(`await${fileCount++}.ts`, source)
  const tasks = new Map(["load", "clean", "aggregate", "inc"].map((t) => [t, `pipeline.ts#${t}`]))
  return compileGraph(file.getFunctions()[0], tasks, "pipeline.ts")
}

/** Sync body, then the same body written with the awaiting forms of an async graph. */
const sameIr: Array<[string, string, string]> = [
  [
    "const x = await task(...)",
    `function g(p: string) {\n  const doc = load(p)\n  return clean(doc)\n}`,
    `async function g(p: string) {\n  const doc = await load(p)\n  return clean(doc)\n}`
  ],
  [
    "await Promise.all(xs.map(...))",
    `function g(paths: string[]) {\n  const docs = paths.map((p) => load(p))\n  return aggregate(docs)\n}`,
    `async function g(paths: string[]) {\n  const docs = await Promise.all(paths.map((p) => load(p)))\n  return aggregate(docs)\n}`
  ],
  [
    "an async .map callback under Promise.all",
    `function g(paths: string[]) {\n  return paths.map((p) => clean(load(p)))\n}`,
    `async function g(paths: string[]) {\n  return Promise.all(paths.map(async (p) => clean(await load(p))))\n}`
  ],
  [
    "await of a binding that holds a task's result, and return await",
    `function g(p: string) {\n  const a = load(p)\n  return clean(a)\n}`,
    `async function g(p: string) {\n  const a = load(p)\n  const b = await a\n  return await clean((b))\n}`
  ],
  [
    "Promise.all over an array literal of task calls",
    `function g(a: string, b: string) {\n  return aggregate([load(a), load(b)])\n}`,
    `async function g(a: string, b: string) {\n  const both = await Promise.all([load(a), load(b)])\n  return aggregate(both)\n}`
  ]
]

describe("async graphs: the awaiting forms compile to the IR of the same body without await", () => {
  test.each(sameIr)("%s", (_what, plain, awaiting) => {
    const sync = compile(plain)
    const async = compile(awaiting)
    expect(async.diagnostics).toEqual([])
    expect(sync.diagnostics).toEqual([])
    expect(async.ir).toEqual(sync.ir)
  })
})

/** Awaits of something that is not a task call: WEFT1009 at the await, with a hint. */
const refused: Array<[string, number, number, string]> = [
  ["await of a plain call", 2, 13, `async function g(u: string) {\n  const r = await fetch(u)\n  return clean(r)\n}`],
  ["await of a parameter", 2, 13, `async function g(p: Promise<string>) {\n  const r = await p\n  return clean(r)\n}`],
  [
    "await of a .map (an array of promises)",
    2,
    16,
    `async function g(ps: string[]) {\n  const docs = await ps.map((p) => load(p))\n  return aggregate(docs)\n}`
  ],
  [
    "Promise.all over a parameter (reported at Promise.all)",
    2,
    22,
    `async function g(ps: Promise<string>[]) {\n  const docs = await Promise.all(ps)\n  return aggregate(docs)\n}`
  ],
  ["await of a literal", 2, 13, `async function g(p: string) {\n  const r = await 3\n  return inc(r)\n}`]
]

describe("WEFT1009: awaiting something that is not a task call", () => {
  test.each(refused)("%s", (_what, line, column, source) => {
    const { ir, diagnostics } = compile(source)
    expect(ir).toBeUndefined()
    expect(diagnostics).toMatchObject([{ code: 1009, line, column }])
    expect(diagnostics[0].hint).toContain("await Promise.all(paths.map((p) => load(p)))")
  })

  test("a lazy value passed to the awaited plain call reports WEFT1003 only", () => {
    const { diagnostics } = compile(`async function g(p: string) {\n  const a = load(p)\n  return await fetch(a)\n}`)
    expect(diagnostics.map((d) => d.code)).toEqual([1003])
  })
})
