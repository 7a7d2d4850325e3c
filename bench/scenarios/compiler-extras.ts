/**
 * The compiler scenario's rows of issue 16 (called by `compiler.ts`):
 *
 * - **fan-out expansion per element**: a compiled graph `summarize(listItems(n).map((x) => inc(x)))`
 *   (a run-time fan-out) against the same graph over a parameter holding the same n items (a
 *   static map, expanded when the graph is built), both computed with `compute()` on an
 *   in-process client (`workers: 0`, so that thread hops do not hide the client's work); the
 *   difference divided by n is what the run-time expansion costs per element (the list task, the
 *   persist of each sub-graph, the collect task). n = 2000, median of `runs`.
 * - **ts-plugin added check time**: `getSemanticDiagnostics` of one file after an edit, through a
 *   LanguageService decorated by the built `weft/ts-plugin` and through a plain one, on the same
 *   500-task project (median of `runs` edits each).
 *
 * @module
 */
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import type { GraphIr } from "../../core/ir.js"
import { graphModule } from "../../dsl/graph-module.js"
import { Client } from "../../runtime/Client.js"
import { compute } from "../../runtime/compute.js"
import { stats, type Stats } from "../measure.js"

const n = 2000

const call = (task: string, from: number) => ({ kind: "call" as const, task, args: [{ $node: from }] })
const body: GraphIr = {
  version: 1,
  name: "g.map",
  params: ["x"],
  nodes: [{ kind: "param", name: "x", index: 0 }, call("b#inc", 0)],
  output: 1
}
/** `summarize(listItems(count).map((x) => inc(x)))`: a run-time fan-out. */
const fanOutIr: GraphIr = {
  version: 1,
  name: "g",
  params: ["count"],
  nodes: [
    { kind: "param", name: "count", index: 0 },
    call("b#listItems", 0),
    { kind: "fanout", over: 1, body },
    call("b#summarize", 2)
  ],
  output: 3
}
/** `summarize(items.map((x) => inc(x)))`: the same over a parameter (a static map). */
const staticIr: GraphIr = {
  version: 1,
  name: "g",
  params: ["items"],
  nodes: [{ kind: "param", name: "items", index: 0 }, { kind: "map", over: 0, body }, call("b#summarize", 1)],
  output: 2
}
const tasks = {
  "b#listItems": (count: number) => Array.from({ length: count }, (_, i) => i),
  "b#inc": (x: number) => x + 1,
  "b#summarize": (xs: number[]) => xs.length
}

/** Milliseconds of the run-time fan-out and of the static map over n elements. */
export async function measureFanOut(runs: number): Promise<{ n: number; fanOut: Stats; static: Stats }> {
  const fanOut = graphModule<[number], number>(fanOutIr, tasks)
  const fixed = graphModule<[number[]], number>(staticIr, tasks)
  const items = Array.from({ length: n }, (_, i) => i)
  const client = await Client.local({ workers: 0 })
  try {
    const time = async (build: () => unknown): Promise<number> => {
      const start = performance.now()
      const [value] = await compute(build())
      if (value !== n) throw new Error(`the fan-out bench graph gave ${String(value)}, expected ${n}`)
      return performance.now() - start
    }
    const samples = { fanOut: [] as number[], static: [] as number[] }
    for (let i = 0; i < runs + 1; i++) {
      const a = await time(() => fanOut(n))
      const b = await time(() => fixed(items))
      if (i > 0) (samples.fanOut.push(a), samples.static.push(b)) // the first round warms up
    }
    return { n, fanOut: stats(samples.fanOut), static: stats(samples.static) }
  } finally {
    await client.close()
  }
}

/** Milliseconds of one file's semantic diagnostics after an edit, with and without the plugin. */
export function measurePlugin(
  dir: string,
  tsconfig: string,
  file: string,
  edit: (i: number) => string,
  runs: number
): { plugin: Stats; plain: Stats } {
  const require = createRequire(import.meta.url)
  const factory = require(fileURLToPath(new URL("../../dist/compiler/ts-plugin.cjs", import.meta.url))) as (m: {
    typescript: typeof ts
  }) => { create: (info: unknown) => ts.LanguageService }
  const config = ts.getParsedCommandLineOfConfigFile(
    tsconfig,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} }
  )!
  const service = (decorate: boolean) => {
    const texts = new Map<string, { text: string; version: number }>()
    const host: ts.LanguageServiceHost = {
      getScriptFileNames: () => config.fileNames,
      getScriptVersion: (f) => String(texts.get(f)?.version ?? 0),
      getScriptSnapshot: (f) => {
        const text = texts.get(f)?.text ?? ts.sys.readFile(f)
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text)
      },
      getCurrentDirectory: () => dir,
      getCompilationSettings: () => config.options,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: ts.sys.fileExists,
      readFile: ts.sys.readFile,
      readDirectory: ts.sys.readDirectory
    }
    const ls = ts.createLanguageService(host)
    const info = {
      languageService: ls,
      languageServiceHost: host,
      project: {
        getProjectName: () => tsconfig,
        refreshDiagnostics: () => {},
        projectService: { logger: { info: () => {} } }
      },
      config: {}
    }
    const used = decorate ? factory({ typescript: ts }).create(info) : ls
    let version = 0
    return (i: number): number => {
      texts.set(file, { text: edit(i), version: ++version })
      const start = performance.now()
      used.getSemanticDiagnostics(file)
      return performance.now() - start
    }
  }
  const withPlugin = service(true)
  const plain = service(false)
  withPlugin(0) // cold: the project loaded once by each
  plain(0)
  const samples = { plugin: [] as number[], plain: [] as number[] }
  for (let i = 1; i <= runs; i++) {
    samples.plugin.push(withPlugin(i))
    samples.plain.push(plain(i))
  }
  return { plugin: stats(samples.plugin), plain: stats(samples.plain) }
}
