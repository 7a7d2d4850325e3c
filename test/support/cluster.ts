/**
 * Real `weft worker` processes for the cluster's tests, bench and example: each is started through
 * the command a user runs (`node dist/cli/weft.js worker <url> ...`, so `npm run build` first), and
 * is ready once it printed its status line. Nothing leaks: a worker still running when this process
 * exits is killed by an exit hook; `stop()` sends SIGTERM (the worker finishes or hands back its
 * work) and SIGKILL after 10 s.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

/** The built CLI (`npm run build`). */
export const weftCli = fileURLToPath(new URL("../../dist/cli/weft.js", import.meta.url))

/** How to start a worker. */
export interface WorkerProcessOptions {
  /** `--name` (default `w<pid-of-test>-<n>`). */
  readonly name?: string
  /** `--threads` (default 1). */
  readonly threads?: number
  /** More arguments (`--queue q`, `--isolation process`, ...). */
  readonly args?: readonly string[]
  /** Extra environment. */
  readonly env?: NodeJS.ProcessEnv
  /** Run it through this launcher instead of directly, e.g. `["ip", "netns", "exec", ns]` (root only). */
  readonly launcher?: readonly string[]
  /** How long to wait for the status line, in ms (default 20,000). */
  readonly readyTimeoutMs?: number
}

/** A running `weft worker`. `await using` stops it. */
export interface WorkerProcess extends AsyncDisposable {
  readonly name: string
  /** The process id (of the launcher, when there is one: `ip netns exec` execs, so the same). */
  readonly pid: number
  readonly child: ChildProcess
  /** The first line it printed. */
  readonly statusLine: string
  /** Everything it printed so far (stdout and stderr, last 256 KB). */
  output(): string
  /** Sends a signal; `"SIGKILL"` is a crash. */
  kill(signal: NodeJS.Signals): void
  /** Resolves when it has exited, with its exit code or signal. */
  readonly exited: Promise<string>
  /** SIGTERM, then SIGKILL after 10 s; resolves once it has exited. Idempotent. */
  stop(): Promise<void>
}

const live = new Set<ChildProcess>()
let hooked = false
let counter = 0

/** Starts `weft worker <url>` and resolves once it printed its status line. */
export async function startWorkerProcess(url: string, options: WorkerProcessOptions = {}): Promise<WorkerProcess> {
  if (!hooked) {
    hooked = true
    process.on("exit", () => live.forEach((child) => child.kill("SIGKILL")))
  }
  const name = options.name ?? `w${process.pid}-${++counter}`
  const args = [
    weftCli,
    "worker",
    url,
    "--threads",
    String(options.threads ?? 1),
    "--name",
    name,
    ...(options.args ?? [])
  ]
  const launcher = options.launcher ?? []
  const command = launcher.length > 0 ? launcher[0]! : process.execPath
  const child = spawn(command, launcher.length > 0 ? [...launcher.slice(1), process.execPath, ...args] : args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env }
  })
  live.add(child)
  let output = ""
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-262_144)
  }
  child.stdout!.on("data", append)
  child.stderr!.on("data", append)
  const exited = new Promise<string>((resolve) =>
    child.once("exit", (code, signal) => {
      live.delete(child)
      resolve(signal ?? String(code))
    })
  )
  const statusLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(
        new Error(
          `weft worker ${name} printed no status line within ${options.readyTimeoutMs ?? 20_000} ms:\n${output}`
        )
      )
    }, options.readyTimeoutMs ?? 20_000)
    const onData = () => {
      const newline = output.indexOf("\n")
      if (newline < 0) return
      clearTimeout(timer)
      child.stdout!.off("data", onData)
      resolve(output.slice(0, newline))
    }
    child.stdout!.on("data", onData)
    void exited.then((how) => {
      clearTimeout(timer)
      reject(new Error(`weft worker ${name} exited (${how}) before it was ready:\n${output}`))
    })
  })
  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
      await exited
      clearTimeout(timer)
    })())
  return {
    name,
    pid: child.pid!,
    child,
    statusLine,
    output: () => output,
    kill: (signal) => void child.kill(signal),
    exited,
    stop,
    [Symbol.asyncDispose]: stop
  }
}
