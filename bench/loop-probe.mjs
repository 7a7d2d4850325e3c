// The event-loop probe shared by bench/scenarios/loop.ts (scenario 13) and bench/profile/loop-block.mjs:
// a 1 ms setInterval whose longest gap between ticks is the longest time the loop was blocked, and
// a PerformanceObserver of "gc" entries, so that a block can be told apart from V8's own pauses.
// On Linux it also reads the main thread's own CPU time at each tick (/proc/thread-self/schedstat,
// nanoseconds): the most CPU the thread spent between two ticks is the longest block as a quiet
// machine would see it, where the wall-clock gap on a loaded machine also counts the time the
// thread waited for a core. Plain JavaScript (typed by loop-probe.d.mts), so that
// `node --cpu-prof` runs the profile script without a TypeScript loader.
import { closeSync, openSync, readSync } from "node:fs"
import { PerformanceObserver } from "node:perf_hooks"

/** Reads the calling thread's CPU time (ms) from schedstat, or undefined where there is none. */
function threadCpuClock() {
  let fd
  try {
    fd = openSync("/proc/thread-self/schedstat", "r")
  } catch {
    return undefined
  }
  const buffer = Buffer.alloc(96)
  const read = () => {
    const n = readSync(fd, buffer, 0, buffer.length, 0)
    let ns = 0
    for (let i = 0; i < n; i++) {
      const c = buffer[i]
      if (c < 48 || c > 57) break
      ns = ns * 10 + (c - 48)
    }
    return ns / 1e6
  }
  return { read, close: () => closeSync(fd) }
}

/**
 * Runs `work` under the probe. Resolves with its value, the longest gap between ticks (ms), the
 * most main-thread CPU time between two ticks (ms, `longestCpu`, Linux only), the longest GC
 * pause (ms), the sum of GC pauses (ms), and every block longer than `listOver` ms with the GC
 * time and the CPU time inside it (`blocks`, only when `listOver` is given; by main-thread CPU time
 * where there is a per-thread clock, else by wall time).
 */
export async function probeLoop(work, listOver) {
  const gcs = []
  let gc = 0
  let gcTotal = 0
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc = Math.max(gc, entry.duration)
      gcTotal += entry.duration
      if (listOver !== undefined) gcs.push([entry.startTime, entry.duration, entry.detail?.kind ?? 0])
    }
  })
  observer.observe({ entryTypes: ["gc"] })
  const clock = threadCpuClock()
  const gaps = []
  // performance.now() (ms) -> the monotonic clock of process.hrtime and of V8's .cpuprofile (µs).
  const clockUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000
  let last = performance.now()
  let lastCpu = clock?.read() ?? 0
  let longest = 0
  let longestCpu = 0
  const tick = () => {
    const now = performance.now()
    const cpu = clock === undefined ? 0 : clock.read()
    const gap = now - last
    const used = cpu - lastCpu
    if (gap > longest) longest = gap
    if (used > longestCpu) longestCpu = used
    if (listOver !== undefined && (clock === undefined ? gap : used) > listOver) gaps.push([last, gap, used])
    last = now
    lastCpu = cpu
  }
  const timer = setInterval(tick, 1)
  try {
    last = performance.now()
    lastCpu = clock?.read() ?? 0
    const value = await work()
    tick()
    // Let the observer deliver the last entries.
    await new Promise((resolve) => setImmediate(resolve))
    const blocks =
      listOver === undefined
        ? undefined
        : gaps.map(([start, ms, cpu]) => {
            let inGc = 0
            let kinds = 0
            for (const [s, d, kind] of gcs) {
              const overlap = Math.min(s + d, start + ms) - Math.max(s, start)
              if (overlap > 0) {
                inGc += overlap
                kinds |= kind
              }
            }
            return { start, at: Math.round(start * 1000 + clockUs), ms, cpu, gc: inGc, gcKinds: kinds }
          })
    return { value, longest, longestCpu: clock === undefined ? undefined : longestCpu, gc, gcTotal, blocks }
  } finally {
    clearInterval(timer)
    observer.disconnect()
    clock?.close()
  }
}
