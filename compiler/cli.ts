#!/usr/bin/env node
/**
 * The `weft` command (spec section 10):
 *
 * ```
 * weft build [--project tsconfig.json] [--out-dir DIR] [--watch] [--arbitraries]
 * weft check [--project tsconfig.json] [--arbitraries] # diagnostics only, writes nothing
 * weft graph FILE#NAME [--format mermaid|dot|json] [--project tsconfig.json]
 * weft help | weft --help
 * ```
 *
 * Diagnostics go to stderr as TypeScript prints them, then `Found N errors.`; the exit code is 1
 * when there are diagnostics or the command line is wrong, 0 otherwise.
 *
 * Arguments are parsed with `node:util`'s `parseArgs` (Node's own parser) rather than
 * `@effect/cli`: nothing more to install, and nothing more to load at start-up for a command that
 * should answer fast (`weft check` in an editor hook or a pre-commit).
 *
 * `main` is exported so that tests call it in-process; run as a program, this module calls it
 * with `process.argv.slice(2)` and sets `process.exitCode`.
 *
 * @module
 */
import * as path from "node:path"
import { realpathSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import type { CompileOptions, CompileResult } from "./compile.js"
import { formatDiagnostic, type WeftDiagnostic } from "./diagnostics.js"
import { renderGraph, type GraphFormat } from "./render.js"
import type { Watcher } from "./watch.js"

/**
 * `compile()`, imported on first use: it loads ts-morph and TypeScript (~0.4 s), which `--help` and
 * a usage error do not need.
 */
const compile = async (options: CompileOptions): Promise<CompileResult> => (await import("./compile.js")).compile(options)

/** Where `main` writes, and the directory relative paths are resolved against. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown }
  readonly stderr: { write(text: string): unknown }
  readonly cwd: string
  /**
   * With `build --watch`: called with the watcher once it watches, so that the caller can `close()`
   * it (tests). Run as a program, SIGINT closes it.
   */
  readonly onWatch?: (watcher: Watcher) => void
}

export const usage = `Usage:
  weft build [--project tsconfig.json] [--out-dir DIR] [--watch] [--arbitraries]
      Compile the project's @task and @graph functions: x.ts gives x.weft.ts beside it
      (or under --out-dir). With --watch, rebuild the modules that change. With
      --arbitraries, also emit a fast-check arbitrary of each @graph's parameters
      (for checkGraph from weft/testing), derived from their types.
  weft check [--project tsconfig.json] [--arbitraries]
      Report diagnostics only; write nothing. With --arbitraries, also report the
      @graph parameters whose arbitrary cannot be derived.
  weft graph FILE#NAME [--format mermaid|dot|json] [--project tsconfig.json]
      Print one compiled @graph: its IR as JSON (the default), or a Mermaid or Graphviz drawing.
  weft help, weft --help
      Print this text.

Exit code: 1 when there are diagnostics or the command line is wrong, 0 otherwise.
`

const commands = ["build", "check", "graph", "help"] as const
type Command = (typeof commands)[number]

/** The flags each command accepts (parseArgs `strict` mode rejects the others). */
const flagsOf = {
  build: {
    project: { type: "string", short: "p" },
    "out-dir": { type: "string" },
    watch: { type: "boolean", short: "w" },
    arbitraries: { type: "boolean" },
    help: { type: "boolean", short: "h" }
  },
  check: { project: { type: "string", short: "p" }, arbitraries: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  graph: { project: { type: "string", short: "p" }, format: { type: "string", short: "f" }, help: { type: "boolean", short: "h" } },
  help: { help: { type: "boolean", short: "h" } }
} as const

class UsageError extends Error {}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`

/** Prints the diagnostics and `Found N errors.` to stderr; returns how many there were. */
export function reportDiagnostics(diagnostics: ReadonlyArray<WeftDiagnostic>, stderr: CliIo["stderr"]): number {
  if (diagnostics.length === 0) return 0
  for (const d of diagnostics) stderr.write(`${formatDiagnostic(d)}\n\n`)
  const files = new Set(diagnostics.map((d) => d.file))
  stderr.write(`Found ${plural(diagnostics.length, "error")}${files.size > 1 ? ` in ${files.size} files` : ""}.\n`)
  return diagnostics.length
}

/**
 * Prints what a build wrote (paths relative to `cwd`), or `nothing changed`; nothing when there are
 * diagnostics (then `compile` writes nothing, and the diagnostics say why).
 */
export function reportWritten(result: CompileResult, io: CliIo): void {
  if (result.diagnostics.length > 0) return
  const written = result.files.filter((f) => f.changed)
  if (written.length === 0) {
    io.stdout.write("nothing changed\n")
    return
  }
  for (const f of written) io.stdout.write(`wrote ${path.relative(io.cwd, path.resolve(io.cwd, f.path)) || f.path}\n`)
}

/** Parses `argv` after the command; throws `UsageError` naming the bad flag. */
function parse<C extends Command>(command: C, args: string[]) {
  try {
    return parseArgs({ args, options: flagsOf[command], strict: true, allowPositionals: true })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new UsageError(`weft ${command}: ${message.replace(/\. To specify a positional argument.*$/s, ".")}`)
  }
}

const noPositionals = (command: Command, positionals: string[]): void => {
  if (positionals.length > 0) throw new UsageError(`weft ${command}: unexpected argument '${positionals[0]}'`)
}

/** Runs the `weft` command line `argv` (without `node` and the script); resolves with the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io)
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\nRun 'weft --help' for usage.\n`)
      return 1
    }
    io.stderr.write(`weft: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    return 1
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv
  if (first === undefined) {
    io.stderr.write(usage)
    return 1
  }
  if (first === "--help" || first === "-h" || first === "help") {
    io.stdout.write(usage)
    return 0
  }
  if (!(commands as ReadonlyArray<string>).includes(first)) {
    throw new UsageError(first.startsWith("-") ? `weft: unknown option '${first}' (expected a command first)` : `weft: unknown command '${first}'; the commands are build, check, graph and help`)
  }
  const command = first as Exclude<Command, "help">
  const projectOf = (value: string | undefined): string => path.resolve(io.cwd, value ?? "tsconfig.json")

  if (command === "build") {
    const { values, positionals } = parse("build", rest)
    if (values.help === true) return help(io)
    noPositionals("build", positionals)
    const project = projectOf(values.project)
    const outDir = values["out-dir"] === undefined ? undefined : path.resolve(io.cwd, values["out-dir"])
    const arbitraries = values.arbitraries === true
    const result = await compile({ project, outDir, write: true, arbitraries })
    reportWritten(result, io)
    const errors = reportDiagnostics(result.diagnostics, io.stderr)
    if (values.watch !== true) return errors > 0 ? 1 : 0
    return watchUntilClosed(project, outDir, arbitraries, io)
  }

  if (command === "check") {
    const { values, positionals } = parse("check", rest)
    if (values.help === true) return help(io)
    noPositionals("check", positionals)
    const result = await compile({ project: projectOf(values.project), write: false, arbitraries: values.arbitraries === true })
    const errors = reportDiagnostics(result.diagnostics, io.stderr)
    if (errors === 0) io.stdout.write(`No errors: ${plural(result.tasks.length, "task")}, ${plural(result.graphs.length, "graph")}.\n`)
    return errors > 0 ? 1 : 0
  }

  // graph
  const { values, positionals } = parse("graph", rest)
  if (values.help === true) return help(io)
  if (positionals.length !== 1) throw new UsageError(`weft graph: expected one FILE#NAME, got ${positionals.length === 0 ? "none" : positionals.join(" ")}`)
  const format = values.format ?? "json"
  if (format !== "json" && format !== "mermaid" && format !== "dot") {
    throw new UsageError(`weft graph: --format must be mermaid, dot or json, got '${format}'`)
  }
  const target = positionals[0]
  const hash = target.lastIndexOf("#")
  if (hash <= 0 || hash === target.length - 1) throw new UsageError(`weft graph: expected FILE#NAME (e.g. src/pipeline.ts#pipeline), got '${target}'`)
  const project = projectOf(values.project)
  const result = await compile({ project, write: false })
  const file = target.slice(0, hash)
  const name = target.slice(hash + 1)
  const graph = findGraph(result, file, name, io.cwd, path.dirname(project))
  if (graph === undefined) {
    const errors = reportDiagnostics(result.diagnostics, io.stderr)
    const known = result.graphs.map((g) => `${g.file}#${g.name}`)
    io.stderr.write(`weft graph: no @graph '${name}' in ${file}${errors > 0 ? " (see the errors above)" : ""}; ${known.length === 0 ? "the project has no graphs" : `the graphs are: ${known.join(", ")}`}\n`)
    return 1
  }
  io.stdout.write(renderGraph(graph.ir, format as GraphFormat))
  return 0
}

const help = (io: CliIo): number => {
  io.stdout.write(usage)
  return 0
}

/** Normalised absolute path, through symlinks when it exists (macOS /tmp, /var). */
const canonical = (p: string): string => {
  try {
    return realpathSync(p)
  } catch {
    return path.resolve(p)
  }
}

/**
 * The graph `file#name`: `file` relative to the current directory or to the project's directory,
 * or the graph's own `file` or id as the compiler reports them.
 */
function findGraph(result: CompileResult, file: string, name: string, cwd: string, projectDir: string) {
  const wanted = new Set([canonical(path.resolve(cwd, file)), canonical(path.resolve(projectDir, file))])
  return result.graphs.find(
    (g) =>
      g.name === name &&
      (g.file === file || g.id === `${file}#${name}` || wanted.has(canonical(path.resolve(projectDir, g.file))) || wanted.has(canonical(path.resolve(cwd, g.file))))
  )
}

/** `build --watch`: watches until the watcher is closed (by `io.onWatch`'s caller or SIGINT). */
async function watchUntilClosed(project: string, outDir: string | undefined, arbitraries: boolean, io: CliIo): Promise<number> {
  const { watch } = await import("./watch.js")
  const watcher = await watch({ project, outDir, arbitraries, stdout: io.stdout, stderr: io.stderr, cwd: io.cwd })
  const onSigint = () => void watcher.close()
  process.once("SIGINT", onSigint)
  io.stdout.write("watching for changes (Ctrl-C to stop)\n")
  io.onWatch?.(watcher)
  await watcher.closed
  process.removeListener("SIGINT", onSigint)
  return 0
}

/** True when this module is the program node runs (the `weft` bin), not an import. */
const isMain = (): boolean => {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return canonical(script) === canonical(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

// Not a top-level `await`: `watch.ts` imports this module's reporters, and a dynamic import of it
// would wait for this module to finish evaluating, which would wait for the import: a deadlock
// that node ends by exiting (code 13) as soon as `--watch` starts.
if (isMain()) {
  void main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }).then((code) => {
    process.exitCode = code
  })
}
