/**
 * `weft build --watch`: rebuilds the modules that change.
 *
 * The project's source files are read from its tsconfig (TypeScript's own config parser, no
 * ts-morph project), and each directory holding one is watched with `fs.watch` (not recursive:
 * Linux has no recursive `fs.watch` before Node 20.13, and one watcher per directory costs
 * little). Events are debounced (~50 ms, editors write a file in several steps); then
 * `compile({ project, outDir, only: [changed files] })` re-emits only those modules, and what was
 * written, or the diagnostics, are printed. Generated `.weft.ts` files are never a trigger. The
 * tsconfig itself is watched too: a change to it (or a file added to the project) re-reads the file
 * list on the next event.
 *
 * A rebuild started while another runs waits for it; changes that arrive meanwhile are batched
 * into the next one. `close()` stops watching, waits for a running rebuild and resolves `closed`.
 *
 * @module
 */
import { watch as fsWatch, type FSWatcher } from "node:fs"
import * as path from "node:path"
import { ts } from "ts-morph"
import { reportDiagnostics, reportWritten, type CliIo, type Watcher } from "./cli-io.js"
import { compile, type CompileResult } from "./compile.js"

export interface WatchOptions {
  /** Path of the tsconfig (absolute, or relative to `cwd`). */
  readonly project: string
  readonly outDir?: string
  /** Emit arbitraries of the graphs' parameters, as `weft build --arbitraries` (default false). */
  readonly arbitraries?: boolean
  readonly stdout: CliIo["stdout"]
  readonly stderr: CliIo["stderr"]
  /** Paths printed relative to it. */
  readonly cwd: string
  /** Quiet time after the last event before a rebuild (default 50 ms). */
  readonly debounceMs?: number
  /** Called after each rebuild (tests). */
  readonly onRebuild?: (result: CompileResult, changed: ReadonlyArray<string>) => void
}

export type { Watcher } from "./cli-io.js"

const isGenerated = (file: string): boolean => /\.weft\.[cm]?tsx?$/.test(file)

/** The project's source files (absolute), as tsc would compile them, without generated modules. */
export function projectFiles(project: string): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    project,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(`weft --watch: cannot read ${project}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`)
      }
    }
  )
  if (parsed === undefined) throw new Error(`weft --watch: cannot read ${project}`)
  return parsed.fileNames.map((f) => path.resolve(f)).filter((f) => !isGenerated(f) && !f.endsWith(".d.ts"))
}

/** Starts watching `options.project`'s sources; the initial build is the caller's. */
export async function watch(options: WatchOptions): Promise<Watcher> {
  const project = path.resolve(options.cwd, options.project)
  const debounceMs = options.debounceMs ?? 50
  const io: CliIo = { stdout: options.stdout, stderr: options.stderr, cwd: options.cwd }
  let files = new Set(projectFiles(project))
  const watchers = new Map<string, FSWatcher>()
  const pending = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()
  let stopped = false
  let configChanged = false
  let resolveClosed!: () => void
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve))

  const watchDirectory = (dir: string): void => {
    if (watchers.has(dir)) return
    const w = fsWatch(dir, { persistent: true }, (_event, name) => {
      if (name === null || stopped) return
      const file = path.join(dir, name.toString())
      if (file === project) {
        configChanged = true
        schedule()
        return
      }
      if (isGenerated(file) || !/\.[cm]?tsx?$/.test(file)) return
      pending.add(file)
      schedule()
    })
    w.on("error", () => {
      // The directory went away; forget it (it is watched again if it comes back in the file list).
      w.close()
      watchers.delete(dir)
    })
    watchers.set(dir, w)
  }
  const watchAll = (): void => {
    const dirs = new Set([...files].map((f) => path.dirname(f)))
    dirs.add(path.dirname(project))
    for (const dir of dirs) watchDirectory(dir)
  }

  const schedule = (): void => {
    if (timer !== undefined) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = undefined
      running = running.then(rebuild)
    }, debounceMs)
  }

  const rebuild = async (): Promise<void> => {
    if (stopped) return
    if (configChanged) {
      configChanged = false
      try {
        files = new Set(projectFiles(project))
        watchAll()
      } catch (error) {
        io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
        return
      }
    }
    const changed = [...pending].filter((f) => files.has(f))
    pending.clear()
    if (changed.length === 0) {
      // A file that is not (yet) in the project: a new file may have joined it.
      files = new Set(projectFiles(project))
      watchAll()
      return
    }
    try {
      io.stdout.write(`change in ${changed.map((f) => path.relative(io.cwd, f)).join(", ")}: rebuilding\n`)
      const result = await compile({
        project,
        outDir: options.outDir,
        write: true,
        only: changed,
        arbitraries: options.arbitraries
      })
      reportWritten(result, io)
      reportDiagnostics(result.diagnostics, io.stderr)
      options.onRebuild?.(result, changed)
    } catch (error) {
      io.stderr.write(`weft --watch: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    }
  }

  watchAll()

  const close = async (): Promise<void> => {
    if (!stopped) {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      for (const w of watchers.values()) w.close()
      watchers.clear()
    }
    await running
    resolveClosed()
  }
  return { close, closed }
}
