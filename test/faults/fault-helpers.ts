/**
 * Helpers of the fault tests (memory deaths, close, thrown values, chaos): counting worker threads and
 * child processes, bounding every wait so that a hang fails the test instead of stalling it, and
 * recording what escapes to the process (`unhandledRejection`, `uncaughtException`).
 */
import { readdirSync, readFileSync } from "node:fs"
import type { Worker } from "node:worker_threads"
import { afterEach, beforeEach, expect } from "vitest"

/** OS threads of this process (Linux: `/proc/self/task`); every worker thread is one of them. */
export function osThreads(): number {
  return readdirSync("/proc/self/task").length
}

/**
 * Pids of the live children of process `parent` (default: this one), read from `/proc/<pid>/stat`
 * (field 4 is the parent), leaving out tsx's esbuild service: tsx starts it the first time a
 * process or thread transforms a `.ts` file that its disk cache does not hold, so it comes and
 * goes with that cache and is no worker of weft's (it made counts flaky after a source change).
 */
export function childPids(parent = process.pid): number[] {
  const out: number[] = []
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      if (Number(ppid) !== parent || state === "Z") continue
      if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) === "esbuild") continue
      out.push(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }
  return out
}

/** True while process `pid` runs: it exists and is not a zombie (an exited process not yet reaped). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return false
  }
}

/**
 * Worker threads created in this process and not exited yet, counted exactly: Node emits
 * `process.on("worker")` for every `new Worker` (tinypool's included), and each emits `exit` once
 * it is gone. Start one before the clients it should see.
 */
export function watchWorkerThreads(): { live(): number; created(): number; stop(): void } {
  const live = new Set<Worker>()
  let created = 0
  const onWorker = (worker: Worker) => {
    created++
    live.add(worker)
    worker.once("exit", () => live.delete(worker))
  }
  process.on("worker", onWorker)
  return { live: () => live.size, created: () => created, stop: () => process.off("worker", onWorker) }
}

/** Resolves once `check()` is true, or rejects after `ms` with `what` and the last value seen. */
export async function eventually<T>(read: () => T, check: (value: T) => boolean, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms
  let value = read()
  while (!check(value)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
    value = read()
  }
  return value
}

/** Polls `check` every 10 ms until it is true (resolves true) or `ms` passed (resolves false). */
export async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms
  for (;;) {
    if (check()) return true
    if (performance.now() > end) return false
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/**
 * `promise`'s outcome, or a rejection naming `what` when it has not settled within `ms` (`what`
 * may be a function, called then: say what is still pending).
 */
export function within<T>(promise: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${typeof what === "function" ? what() : what} did not settle within ${ms} ms`)),
      ms
    )
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/** Every outcome of `promises`, each bounded by `ms` (a hang is reported, not waited for). */
export function allSettledWithin(
  promises: ReadonlyArray<Promise<unknown>>,
  ms: number,
  what: string
): Promise<PromiseSettledResult<unknown>[]> {
  return within(Promise.allSettled(promises), ms, what)
}

/** Everything that reaches `unhandledRejection` or `uncaughtException` from its start to `stop()`. */
export class EscapeRecorder {
  readonly escaped: string[] = []
  readonly #onRejection = (reason: unknown) => {
    this.escaped.push(`unhandledRejection: ${show(reason)}`)
  }
  readonly #onException = (error: unknown) => {
    this.escaped.push(`uncaughtException: ${show(error)}`)
  }
  constructor() {
    process.on("unhandledRejection", this.#onRejection)
    process.on("uncaughtException", this.#onException)
  }
  stop(): void {
    process.off("unhandledRejection", this.#onRejection)
    process.off("uncaughtException", this.#onException)
  }
}

/**
 * Records every `unhandledRejection` and `uncaughtException` of this process during each test of
 * the file, and fails the test that saw one. A rejection is reported a tick after it happens, so
 * each test ends with a short wait before the check.
 */
export function noStrayErrors(): void {
  let recorder: EscapeRecorder | undefined
  beforeEach(() => {
    recorder = new EscapeRecorder()
  })
  afterEach(async () => {
    await new Promise((resolve) => setTimeout(resolve, 50))
    recorder!.stop()
    expect(recorder!.escaped, "nothing may escape weft as an unhandled rejection or an uncaught exception").toEqual([])
  })
}

const show = (value: unknown): string =>
  value instanceof Error ? `${value.name}: ${value.message}\n${value.stack ?? ""}` : String(value)
