/**
 * A real `redis-server` for tests and the bench: on a free loopback port, in its own temp dir,
 * answering PING before `startRedis` resolves. No mocks: the cluster's tests run against this.
 *
 * Nothing leaks: `stop()` kills the server and removes its dir; a server still running when this
 * process exits is killed by an exit hook; and under vitest the global teardown kills any server
 * of the run left by a test process that died (test/support/global-setup.ts reads their pid files).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Redis } from "ioredis"
import { redisServer, requireProgram } from "./programs.js"

/** How to start the server. */
export interface RedisOptions {
  /** AOF persistence (`--appendonly yes`): data survives a restart. Default false: a restart empties it. */
  readonly appendonly?: boolean
  /** `--appendfsync`: `always` keeps every write across a SIGKILL; Redis's default `everysec` may lose the last second. */
  readonly appendfsync?: "always" | "everysec" | "no"
  /** The `redis-server` to run; default: found on this machine (see programs.ts). */
  readonly executable?: string
  /** How long to wait for the first PONG, in ms (default 10,000). */
  readonly startTimeoutMs?: number
}

/** A running `redis-server`. `await using` stops it. */
export interface RedisServer extends AsyncDisposable {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string
  readonly port: number
  /** The server's pid; a restart changes it. */
  readonly pid: number
  /** Its working dir (AOF files, pid file), removed by `stop()`. */
  readonly dir: string
  /** Kills the server (SIGTERM, then SIGKILL after 5 s) and removes its dir. Idempotent. */
  stop(): Promise<void>
  /**
   * Stops the server (`SIGTERM` by default: Redis flushes its AOF; `SIGKILL`: a crash) and starts it
   * again on the same port and dir; resolves once it answers PING (after loading its AOF).
   */
  restart(options?: { signal?: "SIGTERM" | "SIGKILL" }): Promise<void>
  /** The server's log since its last (re)start (its stdout and stderr, last 64 KB). */
  log(): string
}

/** Servers started by this process and not stopped yet: killed by the exit hook. */
const live = new Map<ChildProcess, string>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on("exit", () => {
    for (const [child, dir] of live) {
      child.kill("SIGKILL")
      rmSync(dir, { recursive: true, force: true })
    }
  })
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))
      )
    })
  })
}

/** Sends one PING; true on PONG, false on any failure (refused, still loading its AOF, ...). */
async function pings(port: number): Promise<boolean> {
  const client = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 1000
  })
  client.on("error", () => {}) // a refused connection is expected while the server starts
  try {
    await client.connect()
    return (await client.ping()) === "PONG"
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

const argsFor = (port: number, dir: string, options: RedisOptions): string[] => [
  "--port",
  String(port),
  "--bind",
  "127.0.0.1",
  "--protected-mode",
  "yes",
  "--dir",
  dir,
  "--save",
  "",
  "--appendonly",
  options.appendonly === true ? "yes" : "no",
  "--appendfsync",
  options.appendfsync ?? "everysec",
  "--maxmemory-policy",
  "noeviction",
  "--daemonize",
  "no",
  "--pidfile",
  join(dir, "redis.pid"),
  "--logfile",
  ""
]

/** The processes of one server dir: spawning, waiting for PING, killing. */
class Process {
  #child: ChildProcess | undefined
  #output = ""
  #exited: Promise<void> = Promise.resolve()

  constructor(
    readonly executable: string,
    readonly port: number,
    readonly dir: string,
    readonly options: RedisOptions
  ) {}

  get pid(): number {
    return this.#child?.pid ?? -1
  }

  log(): string {
    return this.#output
  }

  /** Spawns the server and resolves once it answers PING; rejects with its log when it exits or stays silent. */
  async start(): Promise<void> {
    const child = spawn(this.executable, argsFor(this.port, this.dir, this.options), {
      stdio: ["ignore", "pipe", "pipe"]
    })
    this.#child = child
    live.set(child, this.dir)
    let exitCode: string | undefined
    this.#exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        exitCode = signal ?? String(code)
        live.delete(child)
        resolve()
      })
      // A spawn that fails (no such file, not executable) emits `error` and no `exit`.
      child.once("error", (error) => {
        exitCode ??= error.message
        live.delete(child)
        resolve()
      })
    })
    const append = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString("utf8")).slice(-65536)
    }
    child.stdout?.on("data", append)
    child.stderr?.on("data", append)
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 10_000)
    for (;;) {
      if (exitCode !== undefined)
        throw new Error(
          `redis-server on port ${this.port} exited (${exitCode}) before answering PING:\n${this.#output.trim()}`
        )
      if (await pings(this.port)) return
      if (Date.now() > deadline) {
        await this.kill("SIGKILL")
        throw new Error(
          `redis-server on port ${this.port} did not answer PING within ${this.options.startTimeoutMs ?? 10_000} ms:\n${this.#output.trim()}`
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  /** Sends `signal` and waits for the exit; escalates to SIGKILL after 5 s. */
  async kill(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    const child = this.#child
    if (child === undefined || !live.has(child)) return this.#exited
    child.kill(signal)
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000)
    await this.#exited
    clearTimeout(timer)
  }
}

/** The parent of the servers' temp dirs: the vitest run's dir when there is one (its teardown sweeps it), else the OS temp dir. */
const parentDir = (): string => {
  const runDir = process.env.WEFT_TEST_RUN_DIR
  if (runDir === undefined || runDir === "") return tmpdir()
  mkdirSync(runDir, { recursive: true })
  return runDir
}

/** Starts a `redis-server` on a free loopback port in a new temp dir; resolves once it answers PING. */
export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const executable = options.executable ?? requireProgram(redisServer)
  installExitHook()
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(parentDir(), "weft-redis-"))
    const port = await freePort()
    const server = new Process(executable, port, dir, options)
    try {
      await server.start()
      return handle(server)
    } catch (error) {
      rmSync(dir, { recursive: true, force: true })
      // Another process may take the port between freePort() and the server's bind: try another one.
      if (attempt < 5 && server.log().includes("Address already in use")) continue
      throw error
    }
  }
}

function handle(first: Process): RedisServer {
  let current = first
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await current.kill("SIGTERM")
    rmSync(current.dir, { recursive: true, force: true })
  }
  return {
    url: `redis://127.0.0.1:${first.port}`,
    port: first.port,
    dir: first.dir,
    get pid() {
      return current.pid
    },
    stop,
    async restart({ signal = "SIGTERM" } = {}) {
      if (stopped)
        throw new Error(
          `restart: the redis-server on port ${first.port} was stopped; start a new one with startRedis()`
        )
      await current.kill(signal)
      current = new Process(first.executable, first.port, first.dir, first.options)
      await current.start()
    },
    log: () => current.log(),
    [Symbol.asyncDispose]: stop
  }
}
