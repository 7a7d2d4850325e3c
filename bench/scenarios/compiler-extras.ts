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
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import type { GraphIr } from "../../core/ir.js"
import { graphModule } from "../../dsl/graph-module.js"
import { Client } from "../../runtime/Client.js"
import { compute } from "../../runtime/compute.js"
import { stats, type Stats } from "../measure.js"
import { editorService } from "../../test/support/editor-service.js"

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

/** One side of the plugin measurement: milliseconds (wall and CPU) of `getSemanticDiagnostics`. */
export interface PluginSide {
  /** The first check of a fresh language service (the project loaded and checked once): wall and CPU. */
  readonly cold: { readonly wall: number; readonly cpu: number }
  /** One file's check after an edit of that file. */
  readonly edit: Stats
  /** The same in CPU time of this process (the check is synchronous: load on the machine hardly moves it). */
  readonly editCpu: Stats
}

/** The plugin measurement: the same edits through a decorated and a plain language service. */
export interface PluginFigures {
  readonly plugin: PluginSide
  readonly plain: PluginSide
}

/** Wall and CPU milliseconds of `fn`. */
function timed(fn: () => unknown): { wall: number; cpu: number } {
  const cpu = process.cpuUsage()
  const start = performance.now()
  fn()
  const wall = performance.now() - start
  const used = process.cpuUsage(cpu)
  return { wall, cpu: (used.user + used.system) / 1000 }
}

/** The built plugin (`dist/compiler/ts-plugin.cjs`). */
export const builtPlugin = fileURLToPath(new URL("../../dist/compiler/ts-plugin.cjs", import.meta.url))

/**
 * Milliseconds of one file's semantic diagnostics, with and without the plugin (`pluginPath`, the
 * built one by default): the first check of a fresh language service (the plugin's first, which
 * loads the checks' project, is timed before the plain one, so the plain one finds the files in
 * the OS cache: the difference overstates the plugin's cold cost rather than hiding it), then
 * `runs` edits of `file`, the two sides alternating.
 */
export function measurePlugin(
  tsconfig: string,
  file: string,
  edit: (i: number) => string,
  runs: number,
  pluginPath: string = builtPlugin
): PluginFigures {
  const withPlugin = editorService(tsconfig, pluginPath)
  const plain = editorService(tsconfig, undefined)
  const coldPlugin = timed(() => withPlugin.getSemanticDiagnostics(file))
  const cold = { plugin: coldPlugin, plain: timed(() => plain.getSemanticDiagnostics(file)) }
  const samples = { plugin: [] as number[], plain: [] as number[], pluginCpu: [] as number[], plainCpu: [] as number[] }
  const once = (service: typeof plain, i: number) => {
    service.edit(file, edit(i))
    return timed(() => service.getSemanticDiagnostics(file))
  }
  once(withPlugin, 0) // the first edit warms both (JIT)
  once(plain, 0)
  for (let i = 1; i <= runs; i++) {
    const order = i % 2 === 1 ? ([withPlugin, plain] as const) : ([plain, withPlugin] as const)
    for (const service of order) {
      const t = once(service, i)
      const side = service === withPlugin ? "plugin" : "plain"
      samples[side].push(t.wall)
      samples[`${side}Cpu`].push(t.cpu)
    }
  }
  return {
    plugin: { cold: cold.plugin, edit: stats(samples.plugin), editCpu: stats(samples.pluginCpu) },
    plain: { cold: cold.plain, edit: stats(samples.plain), editCpu: stats(samples.plainCpu) }
  }
}

/** examples/pipeline as the plugin bench edits it: a comment line added to pipeline.ts, another each time. */
export const examplePipeline = (() => {
  const tsconfig = fileURLToPath(new URL("../../examples/pipeline/tsconfig.json", import.meta.url))
  const file = path.join(path.dirname(tsconfig), "pipeline.ts")
  let text: string | undefined
  return { tsconfig, file, edit: (i: number) => `${(text ??= ts.sys.readFile(file) ?? "")}\n// edit ${i}\n` }
})()
