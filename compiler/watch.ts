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
  const session = new WatchSession(options)
  session.watchAll()
  return { close: () => session.close(), closed: session.closed }
}

/** One `--watch`: the watched folders, the changes not yet built, the rebuild running. */
class WatchSession {
  readonly closed: Promise<void>
  private readonly project: string
  private readonly debounceMs: number
  private readonly io: CliIo
  private files: Set<string>
  private readonly watchers = new Map<string, FSWatcher>()
  private readonly pending = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> = Promise.resolve()
  private stopped = false
  private configChanged = false
  private resolveClosed!: () => void

  constructor(private readonly options: WatchOptions) {
    this.project = path.resolve(options.cwd, options.project)
    this.debounceMs = options.debounceMs ?? 50
    this.io = { stdout: options.stdout, stderr: options.stderr, cwd: options.cwd }
    this.files = new Set(projectFiles(this.project))
    this.closed = new Promise<void>((resolve) => (this.resolveClosed = resolve))
  }

  /** Watches the folder of every source file, and the tsconfig's. */
  watchAll(): void {
    const dirs = new Set([...this.files].map((f) => path.dirname(f)))
    dirs.add(path.dirname(this.project))
    for (const dir of dirs) this.watchDirectory(dir)
  }

  /** Stops watching; resolves once a rebuild in progress has finished. */
  async close(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true
      if (this.timer !== undefined) clearTimeout(this.timer)
      for (const w of this.watchers.values()) w.close()
      this.watchers.clear()
    }
    await this.running
    this.resolveClosed()
  }

  private watchDirectory(dir: string): void {
    if (this.watchers.has(dir)) return
    const w = fsWatch(dir, { persistent: true }, (_event, name) => {
      if (name === null || this.stopped) return
      const file = path.join(dir, name.toString())
      if (file === this.project) {
        this.configChanged = true
        this.schedule()
        return
      }
      if (isGenerated(file) || !/\.[cm]?tsx?$/.test(file)) return
      this.pending.add(file)
      this.schedule()
    })
    w.on("error", () => {
      // The directory went away; forget it (it is watched again if it comes back in the file list).
      w.close()
      this.watchers.delete(dir)
    })
    this.watchers.set(dir, w)
  }

  /** A rebuild after `debounceMs` of quiet, queued after the one running. */
  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.running = this.running.then(() => this.rebuild())
    }, this.debounceMs)
  }

  private async rebuild(): Promise<void> {
    if (this.stopped) return
    if (this.configChanged) {
      this.configChanged = false
      try {
        this.refreshFiles()
      } catch (error) {
        this.io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
        return
      }
    }
    const changed = [...this.pending].filter((f) => this.files.has(f))
    this.pending.clear()
    if (changed.length === 0) {
      // A file that is not (yet) in the project: a new file may have joined it.
      this.refreshFiles()
      return
    }
    await this.build(changed)
  }

  /** Reads the project's file list again and watches any new folder. */
  private refreshFiles(): void {
    this.files = new Set(projectFiles(this.project))
    this.watchAll()
  }

  /** Rebuilds the modules of `changed` and reports what was written, or the diagnostics. */
  private async build(changed: string[]): Promise<void> {
    const { io, options } = this
    try {
      io.stdout.write(`change in ${changed.map((f) => path.relative(io.cwd, f)).join(", ")}: rebuilding\n`)
      const result = await compile({
        project: this.project,
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
}
