// Preload of bench/profile/startup-timeline.mjs (`node --import`): runs in the main thread and, as
// workers inherit `--import`, in every worker thread. Writes one line per event to stderr:
//   @probe <threadId> <epoch ms> <this thread's CPU ms> <label>
// Events: the first `new Worker` in the main thread ("pool made"), a thread's creation (its performance.timeOrigin, CPU 0), this preload running, every
// `postMessage` a worker makes (tinypool's "ready", then one per batch reply), and in the main
// thread the marks of the script (`globalThis.__probe(label)`) and the printed result (with the
// whole process's CPU, all threads).
import { readFileSync, writeSync } from "node:fs"
import { createRequire, syncBuiltinESMExports } from "node:module"
import { isMainThread, threadId, MessagePort } from "node:worker_threads"

/** CPU time of this thread so far, from the kernel's scheduler statistics (ns on CPU). */
const threadCpuMs = () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6
const now = () => performance.timeOrigin + performance.now()
const emit = (label, at = now(), cpu = threadCpuMs()) =>
  writeSync(2, `@probe ${threadId} ${at.toFixed(2)} ${cpu.toFixed(2)} ${label}\n`)

emit("created", performance.timeOrigin, 0)
emit("preload")
if (isMainThread) {
  globalThis.__probe = (label) => emit(label)
  // The first `new Worker` (tinypool's pool starting): "pool made".
  const threads = createRequire(import.meta.url)("node:worker_threads")
  const Worker = threads.Worker
  let made = false
  threads.Worker = class extends Worker {
    constructor(...args) {
      if (!made) emit("pool made")
      made = true
      super(...args)
    }
  }
  syncBuiltinESMExports()
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = (chunk, ...rest) => {
    if (String(chunk).startsWith("result")) {
      const { user, system } = process.cpuUsage()
      emit(`result process-cpu=${((user + system) / 1000).toFixed(1)}`)
    }
    return write(chunk, ...rest)
  }
} else {
  const post = MessagePort.prototype.postMessage
  let posts = 0
  MessagePort.prototype.postMessage = function (...args) {
    emit(`post${++posts}`)
    return post.apply(this, args)
  }
}
