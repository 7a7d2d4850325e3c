/**
 * What the `weft` command and its watcher share: where they write (`CliIo`), the watcher's
 * handle, and how a build's diagnostics and written files are reported. Its own module so that
 * `cli.ts` and `watch.ts` both import it and neither imports the other's back.
 *
 * @module
 */
import * as path from "node:path"
import { realpathSync } from "node:fs"
import { fileURLToPath } from "node:url"
import type { CompileResult } from "./types.js"
import { formatDiagnostic, type WeftDiagnostic } from "./diagnostics.js"

/** A running `weft build --watch`. */
export interface Watcher {
  /** Stops watching; resolves once a rebuild in progress has finished. */
  close(): Promise<void>
  /** Resolves when the watcher is closed. */
  readonly closed: Promise<void>
}

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

/** `1 error`, `2 errors`. */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`

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

/**
 * Runs `main` when the module at `moduleUrl` is the program node was started with (a bin), not an
 * import: the exit code is set, not forced, so that a watcher keeps the process alive.
 */
export function runIfMain(moduleUrl: string, main: (argv: string[], io: CliIo) => Promise<number>): void {
  const script = process.argv[1]
  if (script === undefined) return
  let isMain: boolean
  try {
    isMain = realpathSync(script) === realpathSync(fileURLToPath(moduleUrl))
  } catch {
    isMain = false
  }
  if (!isMain) return
  void main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }).then(
    (code) => {
      process.exitCode = code
    }
  )
}
