/**
 * `weft run FILE#NAME [--args JSON] [-p PATH] [--workers N | --cluster URL] [--progress] [--out FILE]`:
 * builds the project if needed (as `weft build`), runs one `@graph` with the arguments of `--args`
 * and prints its result as JSON on the last line of stdout (or writes it to `--out`). A failed
 * task exits with 1 and its error and traceback on stderr; a wrong command line with 2.
 *
 * The emitted module is TypeScript; `run-load.ts` says how plain `node` loads it.
 *
 * @module
 */
import * as path from "node:path"
import { parseArgs } from "node:util"
import type { CliIo } from "../compiler/cli-io.js"
import { closest, UsageError } from "../compiler/cli-args.js"
import { findGraph } from "../compiler/cli.js"
import { reportDiagnostics } from "../compiler/cli-io.js"
import { compile, resolveTsconfig } from "../compiler/compile.js"
import type { GraphIr } from "../core/ir.js"
import { transpileForRun } from "./run-load.js"
import type { RunRequest } from "./run-execute.js"

export type { RunRequest } from "./run-execute.js"

/** The command's lines for `weft --help`. */
export const usage = `  weft run FILE#NAME [--args JSON] [-p PATH] [--workers N | --cluster URL] [--progress] [--out FILE]
      Build if needed, run one @graph with the arguments of --args (a JSON array, default [])
      and print its result as JSON on the last line of stdout, or write it to --out FILE.
      Runs on a local cluster of N worker threads (default: one per core; 0: in this thread)
      or on the cluster at URL (redis://...). --progress draws progress bars on stderr.
      Exits with 1, the task's error and traceback on stderr, when a task fails.
`

const flags = {
  args: { type: "string" },
  project: { type: "string", short: "p" },
  workers: { type: "string" },
  cluster: { type: "string" },
  progress: { type: "boolean" },
  out: { type: "string" },
  help: { type: "boolean", short: "h" }
} as const

/** Runs `weft run ...`; resolves with the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let request: RunRequest | "help"
  try {
    request = parseRunArgs(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    io.stderr.write(`${error.message} (run 'weft run --help' for usage)\n`)
    return 2
  }
  if (request === "help") {
    io.stdout.write(usage)
    return 0
  }
  return runGraph(request, io)
}

/** Parses the words after `run`; throws `UsageError` naming the flag that is wrong. */
export function parseRunArgs(argv: string[]): RunRequest | "help" {
  for (const arg of argv) {
    if (!arg.startsWith("--") || arg === "--") continue
    const name = arg.replace(/=.*$/s, "")
    if (!Object.hasOwn(flags, name.slice(2))) {
      const guess = closest(
        name,
        Object.keys(flags).map((f) => `--${f}`)
      )
      throw new UsageError(
        `weft run: unknown option '${name}'${guess === undefined ? "" : `; did you mean '${guess}'?`}`
      )
    }
  }
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: flags, strict: true, allowPositionals: true })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const missing = /^Option '(.+) <value>' argument missing/.exec(message)
    throw new UsageError(`weft run: ${missing !== null ? `${missing[1]} needs a value` : message.replace(/\s+/g, " ")}`)
  }
  const { values, positionals } = parsed
  if (values.help === true) return "help"
  if (positionals.length !== 1)
    throw new UsageError(
      `weft run: expected one FILE#NAME (e.g. src/pipeline.ts#report), got ${positionals.length === 0 ? "none" : positionals.join(" ")}`
    )
  const target = positionals[0]
  const hash = target.lastIndexOf("#")
  if (hash <= 0 || hash === target.length - 1)
    throw new UsageError(`weft run: expected FILE#NAME (e.g. src/pipeline.ts#report), got '${target}'`)
  if (values.workers !== undefined && values.cluster !== undefined)
    throw new UsageError("weft run: --workers and --cluster exclude each other (workers of a cluster are its own)")
  return {
    file: target.slice(0, hash),
    name: target.slice(hash + 1),
    args: parseJsonArgs(values.args),
    project: values.project,
    workers: values.workers === undefined ? undefined : parseWorkers(values.workers),
    cluster: values.cluster,
    progress: values.progress === true,
    out: values.out
  }
}

function parseJsonArgs(text: string | undefined): unknown[] {
  if (text === undefined) return []
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new UsageError(
      `weft run: --args must be a JSON array of the graph's arguments, e.g. --args '["data"]'; ${JSON.stringify(text)} is not JSON (${error instanceof Error ? error.message : String(error)})`
    )
  }
  if (!Array.isArray(value))
    throw new UsageError(
      `weft run: --args must be a JSON array of the graph's arguments, e.g. --args '["data"]' (for one argument "data"); got ${JSON.stringify(text)}`
    )
  return value
}

function parseWorkers(text: string): number {
  const n = Number(text)
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n))
    throw new UsageError(
      `weft run: --workers must be a whole number >= 0 (0 runs the tasks in this thread), got '${text}'`
    )
  return n
}

/** Builds, loads the graph's emitted module, runs the graph; prints the result or the failure. */
async function runGraph(request: RunRequest, io: CliIo): Promise<number> {
  let tsconfig: string
  try {
    tsconfig = resolveTsconfig(request.project, io.cwd)
  } catch (error) {
    const hint = request.project === undefined ? "; run weft in a project's folder, or pass --project PATH" : ""
    io.stderr.write(`weft run: ${error instanceof Error ? error.message : String(error)}${hint}\n`)
    return 2
  }
  const projectDir = path.dirname(tsconfig)
  const result = await compile({ project: tsconfig, write: true })
  if (reportDiagnostics(result.diagnostics, io.stderr) > 0) return 1
  const graph = findGraph(result, request.file, request.name, io.cwd, projectDir)
  if (graph === undefined) {
    const known = result.graphs.map((g) => `${g.file}#${g.name}`)
    io.stderr.write(
      `weft run: no @graph '${request.name}' in ${request.file}; ${known.length === 0 ? "the project has no graphs" : `the graphs are: ${known.join(", ")}`}\n`
    )
    return 1
  }
  const arity = checkArity(graph.ir, request.args)
  if (arity !== undefined) {
    io.stderr.write(`${arity}\n`)
    return 2
  }
  const emitted = result.files.find((f) => path.resolve(f.source) === path.resolve(projectDir, graph.file))
  if (emitted === undefined) throw new Error(`weft run: internal error: no emitted module for ${graph.file}`)
  const url = await transpileForRun(emitted.path, projectDir, (s) => import.meta.resolve(s))
  const module = (await import(url)) as Record<string, unknown>
  const { execute } = await import("./run-execute.js")
  return execute(module[graph.name], request, io)
}

/** Why `args` does not fit the graph's parameters, if it does not. */
function checkArity(ir: GraphIr, args: unknown[]): string | undefined {
  if (args.length === ir.params.length) return undefined
  const names =
    ir.params.length === 0
      ? "no arguments"
      : `${ir.params.length} argument${ir.params.length === 1 ? "" : "s"} (${ir.params.join(", ")})`
  return `weft run: the graph ${ir.name} takes ${names}, but --args gives ${args.length}: pass --args '${JSON.stringify(ir.params.map((p) => `<${p}>`))}'`
}
