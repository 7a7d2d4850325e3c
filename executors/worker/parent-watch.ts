/**
 * A child process worker (`isolation: "process"`) ends when the client process that started it is
 * gone (killed by `SIGKILL`, `SIGTERM`, `SIGINT`, or exited without `close()`): without this it
 * would run on, orphaned, whatever it was running (a busy loop kept its core at 100%).
 *
 * Two watches, because a task may hold the main thread in synchronous code for ever:
 * - the IPC channel's `disconnect` (the parent is gone) exits at once when the main thread is
 *   free, running the usual `exit` handlers;
 * - a tiny watchdog thread checks every `checkEveryMs` whether this process was given another
 *   parent (`process.ppid` changes once the parent has died; a zombie parent counts as gone) and
 *   then kills this process with `SIGKILL`, which no busy loop or `SIGTERM` handler can delay.
 * The thread starts with no flags (`execArgv: []`: no tsx, no heap flags), runs a few lines of
 * CommonJS, allocates nothing, and is `unref`'d: it never keeps the process alive.
 *
 * @internal
 */
import { isMainThread, Worker } from "node:worker_threads"

/** How often the watchdog thread looks at `process.ppid`: a lost parent is noticed within this. */
export const checkEveryMs = 250

/** The watchdog thread's code (CommonJS, run with `eval`). */
const watchdog = `
const { workerData } = require("node:worker_threads")
setInterval(() => {
  if (process.ppid !== workerData.parent) process.kill(process.pid, "SIGKILL")
}, workerData.everyMs)
`

let watching = false

/**
 * Starts both watches, once per process; does nothing outside a child process with an IPC
 * channel (a worker thread, or the main process).
 */
export function watchParent(): void {
  if (watching || !isMainThread || typeof process.send !== "function") return
  watching = true
  const parent = process.ppid
  // The parent died before the watch started: nothing will come on the channel.
  if (!process.connected) process.exit(1)
  process.once("disconnect", () => process.exit(1))
  const thread = new Worker(watchdog, {
    eval: true,
    execArgv: [],
    argv: [],
    env: {},
    workerData: { parent, everyMs: checkEveryMs },
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
    stdout: false,
    stderr: false
  })
  thread.unref()
  // A watchdog that fails (it cannot, short of a broken Node) must not crash the worker; the
  // `disconnect` watch remains.
  thread.on("error", () => {})
}
