/**
 * Helpers of the fault tests (memory deaths, close, thrown values): counting worker threads and
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

/** Pids of the live children of this process, read from `/proc/<pid>/stat` (field 4 is the parent). */
export function childPids(): number[] {
  const out: number[] = []
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      if (Number(ppid) === process.pid && state !== "Z") out.push(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }
  return out
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

/** `promise`'s outcome, or a rejection naming `what` when it has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/** Every outcome of `promises`, each bounded by `ms` (a hang is reported, not waited for). */
export function allSettledWithin(promises: ReadonlyArray<Promise<unknown>>, ms: number, what: string): Promise<PromiseSettledResult<unknown>[]> {
  return within(Promise.allSettled(promises), ms, what)
}

/**
 * Records every `unhandledRejection` and `uncaughtException` of this process during each test of
 * the file, and fails the test that saw one. A rejection is reported a tick after it happens, so
 * each test ends with a short wait before the check.
 */
export function noStrayErrors(): void {
  const seen: string[] = []
  const onRejection = (reason: unknown) => seen.push(`unhandledRejection: ${show(reason)}`)
  const onException = (error: unknown) => seen.push(`uncaughtException: ${show(error)}`)
  beforeEach(() => {
    seen.length = 0
    process.on("unhandledRejection", onRejection)
    process.on("uncaughtException", onException)
  })
  afterEach(async () => {
    await new Promise((resolve) => setTimeout(resolve, 50))
    process.off("unhandledRejection", onRejection)
    process.off("uncaughtException", onException)
    expect(seen, "nothing may escape weft as an unhandled rejection or an uncaught exception").toEqual([])
  })
}

const show = (value: unknown): string => (value instanceof Error ? `${value.name}: ${value.message}` : String(value))
