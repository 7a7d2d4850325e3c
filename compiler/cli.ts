#!/usr/bin/env node
/**
 * The `weft` command (spec section 10):
 *
 * ```
 * weft build [-p PATH] [--out-dir DIR] [-w] [--arbitraries]
 * weft check [-p PATH] [--arbitraries]   # diagnostics only, writes nothing
 * weft graph FILE#NAME [-f mermaid|dot|json] [-p PATH]
 * weft help | weft --help | weft --version
 * ```
 *
 * Diagnostics go to stderr as TypeScript prints them, then `Found N errors.`; the exit code is 1
 * when there are diagnostics (or the graph asked for is not there), 2 when the command line is
 * wrong (one line on stderr: what was wrong, a did-you-mean when a flag or command is misspelt),
 * 0 otherwise.
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
import { readFileSync, realpathSync } from "node:fs"
import { fileURLToPath } from "node:url"
// `compile.js` loads ts-morph and TypeScript (1-2 s from a fresh process) only when the build
// cache cannot answer, so a no-change `weft build`, `--help` and a usage error never load them.
import { compile, resolveTsconfig, type CompileResult } from "./compile.js"
import { renderGraph, type GraphFormat } from "./render.js"
import { plural, reportDiagnostics, reportWritten, runIfMain, type CliIo } from "./cli-io.js"
import { closest, commands, noPositionals, parse, usageExitCode, UsageError, type Command } from "./cli-args.js"

/** The text of `weft --help`. */
export const usage = `Usage:
  weft build [-p, --project PATH] [--out-dir DIR] [-w, --watch] [--arbitraries]
      Compile the project's @task and @graph functions: x.ts gives x.weft.ts beside it
      (or under --out-dir). With --watch, rebuild the modules that change. With
      --arbitraries, also emit a fast-check arbitrary of each @graph's parameters
      (for checkGraph from weft/testing), derived from their types.
  weft check [-p, --project PATH] [--arbitraries]
      Report diagnostics only; write nothing. With --arbitraries, also report the
      @graph parameters whose arbitrary cannot be derived.
  weft graph FILE#NAME [-f, --format mermaid|dot|json] [-p, --project PATH]
      Print one compiled @graph: its IR as JSON (the default), or a Mermaid or Graphviz drawing.
  weft help, weft --help, weft -h
      Print this text (also: weft COMMAND --help).
  weft --version, weft -v
      Print weft's version.

  -p, --project PATH   a tsconfig.json, or the folder that holds one (as tsc -p);
                       default: tsconfig.json in the current folder.

Exit code: 0 on success; 1 when there are diagnostics (or no such graph); 2 when the
command line is wrong.
`

export type { CliIo } from "./cli-io.js"
export { usageExitCode } from "./cli-args.js"

/** Runs the `weft` command line `argv` (without `node` and the script); resolves with the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io)
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message} (run 'weft --help' for usage)\n`)
      return usageExitCode
    }
    io.stderr.write(`weft: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    return 1
  }
}

/** Each command, run with the arguments after its name. */
const runners: Record<Exclude<Command, "help">, (args: string[], io: CliIo) => Promise<number>> = {
  build: runBuild,
  check: runCheck,
  graph: runGraph
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv
  if (first === undefined) throw new UsageError("weft: expected a command: build, check or graph")
  if (first === "--help" || first === "-h" || first === "help") return help(io)
  if (first === "--version" || first === "-v") {
    io.stdout.write(`${version()}\n`)
    return 0
  }
  if (!(commands as ReadonlyArray<string>).includes(first)) throw unknownCommand(first)
  return runners[first as Exclude<Command, "help">](rest, io)
}

/** The usage error of a first argument that is not a command: a did-you-mean when it is close to one. */
function unknownCommand(first: string): UsageError {
  if (first.startsWith("-")) {
    const guess = closest(first, ["--help", "--version"])
    return new UsageError(
      `weft: unknown option '${first}'${guess === undefined ? " (expected a command first: build, check or graph)" : `; did you mean '${guess}'?`}`
    )
  }
  const guess = closest(first, commands)
  return new UsageError(
    `weft: unknown command '${first}'${guess === undefined ? "; the commands are build, check, graph and help" : `; did you mean '${guess}'?`}`
  )
}

/** The tsconfig `--project` names (or the current folder's); a usage error naming what is missing. */
function projectOf(command: Command, value: string | undefined, io: CliIo): string {
  try {
    return resolveTsconfig(value, io.cwd)
  } catch (error) {
    const flag = value === undefined ? "; run weft in a project's folder, or pass --project PATH" : ""
    throw new UsageError(`weft ${command}: ${error instanceof Error ? error.message : String(error)}${flag}`)
  }
}

/** `weft build [-p PATH] [--out-dir DIR] [-w] [--arbitraries]`. */
async function runBuild(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse("build", args)
  if (values.help === true) return help(io)
  noPositionals("build", positionals)
  const project = projectOf("build", values.project, io)
  const outDir = values["out-dir"] === undefined ? undefined : path.resolve(io.cwd, values["out-dir"])
  const arbitraries = values.arbitraries === true
  const result = await compile({ project, outDir, write: true, arbitraries })
  reportWritten(result, io)
  const errors = reportDiagnostics(result.diagnostics, io.stderr)
  if (values.watch !== true) return errors > 0 ? 1 : 0
  return watchUntilClosed(project, outDir, arbitraries, io)
}

/** `weft check [-p PATH] [--arbitraries]`: diagnostics only. */
async function runCheck(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse("check", args)
  if (values.help === true) return help(io)
  noPositionals("check", positionals)
  const result = await compile({
    project: projectOf("check", values.project, io),
    write: false,
    arbitraries: values.arbitraries === true
  })
  const errors = reportDiagnostics(result.diagnostics, io.stderr)
  if (errors === 0)
    io.stdout.write(`No errors: ${plural(result.tasks.length, "task")}, ${plural(result.graphs.length, "graph")}.\n`)
  return errors > 0 ? 1 : 0
}

/** `weft graph FILE#NAME [-f mermaid|dot|json] [-p PATH]`. */
async function runGraph(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse("graph", args)
  if (values.help === true) return help(io)
  if (positionals.length !== 1)
    throw new UsageError(
      `weft graph: expected one FILE#NAME, got ${positionals.length === 0 ? "none" : positionals.join(" ")}`
    )
  const format = values.format ?? "json"
  if (format !== "json" && format !== "mermaid" && format !== "dot") {
    throw new UsageError(`weft graph: --format must be mermaid, dot or json, got '${format}'`)
  }
  const target = positionals[0]
  const hash = target.lastIndexOf("#")
  if (hash <= 0 || hash === target.length - 1)
    throw new UsageError(`weft graph: expected FILE#NAME (e.g. src/pipeline.ts#pipeline), got '${target}'`)
  const project = projectOf("graph", values.project, io)
  const result = await compile({ project, write: false })
  const file = target.slice(0, hash)
  const name = target.slice(hash + 1)
  const graph = findGraph(result, file, name, io.cwd, path.dirname(project))
  if (graph === undefined) {
    const errors = reportDiagnostics(result.diagnostics, io.stderr)
    const known = result.graphs.map((g) => `${g.file}#${g.name}`)
    io.stderr.write(
      `weft graph: no @graph '${name}' in ${file}${errors > 0 ? " (see the errors above)" : ""}; ${known.length === 0 ? "the project has no graphs" : `the graphs are: ${known.join(", ")}`}\n`
    )
    return 1
  }
  io.stdout.write(renderGraph(graph.ir, format as GraphFormat))
  return 0
}

/** weft's version, from its package.json (found above this module, in the sources or in `dist/`). */
function version(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
        name?: string
        version?: string
      }
      if (pkg.name === "weft" && pkg.version !== undefined) return pkg.version
    } catch {
      // no package.json here: look further up
    }
    if (path.dirname(dir) === dir) return "unknown"
  }
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
 * or the graph's own `file` or id as the compiler reports them. Also used by `weft run`.
 */
export function findGraph(result: CompileResult, file: string, name: string, cwd: string, projectDir: string) {
  const wanted = new Set([canonical(path.resolve(cwd, file)), canonical(path.resolve(projectDir, file))])
  return result.graphs.find(
    (g) =>
      g.name === name &&
      (g.file === file ||
        g.id === `${file}#${name}` ||
        wanted.has(canonical(path.resolve(projectDir, g.file))) ||
        wanted.has(canonical(path.resolve(cwd, g.file))))
  )
}

/** `build --watch`: watches until the watcher is closed (by `io.onWatch`'s caller or SIGINT). */
async function watchUntilClosed(
  project: string,
  outDir: string | undefined,
  arbitraries: boolean,
  io: CliIo
): Promise<number> {
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

// Run as a program (`node dist/compiler/cli.js`; the `weft` bin is cli/weft.ts).
runIfMain(import.meta.url, main)
