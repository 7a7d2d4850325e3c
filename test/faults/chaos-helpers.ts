/**
 * Helpers of the chaos property test: counting worker threads and child processes (to see that
 * nothing leaks), bounding every wait (so that a hang fails the test instead of stalling it), and
 * recording what escapes to the process (`unhandledRejection`, `uncaughtException`).
 */
import { readdirSync, readFileSync } from "node:fs"
import type { Worker } from "node:worker_threads"

/** OS threads of this process (Linux: `/proc/self/task`); every worker thread is one of them. */
export function osThreads(): number {
  return readdirSync("/proc/self/task").length
}

/** Pids of this process's children (Linux: `/proc/self/task/<tid>/children`). */
export function childPids(): string[] {
  const out: string[] = []
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      for (const pid of readFileSync(`/proc/self/task/${tid}/children`, "utf8").split(/\s+/)) if (pid !== "") out.push(pid)
    } catch {
      // the thread exited meanwhile
    }
  }
  return out
}

/**
 * Worker threads created in this process and not exited yet, counted exactly: Node emits
 * `process.on("worker")` for every `new Worker`, and each one emits `exit` once it is gone.
 */
export class WorkerThreadWatch {
  readonly #live = new Set<Worker>()
  #created = 0
  readonly #onWorker = (worker: Worker) => {
    this.#created++
    this.#live.add(worker)
    worker.once("exit", () => this.#live.delete(worker))
  }
  constructor() {
    process.on("worker", this.#onWorker)
  }
  /** Worker threads alive now. */
  get live(): number {
    return this.#live.size
  }
  /** Worker threads created since the watch started. */
  get created(): number {
    return this.#created
  }
  stop(): void {
    process.off("worker", this.#onWorker)
  }
}

/** Everything that reached `unhandledRejection` or `uncaughtException` while recording. */
export class EscapeRecorder {
  readonly escaped: string[] = []
  readonly #onRejection = (reason: unknown) => {
    this.escaped.push(`unhandledRejection: ${describe(reason)}`)
  }
  readonly #onException = (error: unknown) => {
    this.escaped.push(`uncaughtException: ${describe(error)}`)
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

const describe = (value: unknown): string => (value instanceof Error ? `${value.name}: ${value.message}\n${value.stack ?? ""}` : String(value))

/** `promise`, or a rejection naming `what()` when it has not settled after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms / 1000} s: ${what()}`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
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
