/** One block of the event loop longer than the probe's `listOver` (by the main thread's CPU time on Linux, else by wall time): when (performance.now()), how long, and the GC time inside it. */
export interface LoopBlock {
  readonly start: number
  /** The same instant on the monotonic clock of `process.hrtime` and of a V8 `.cpuprofile` (µs). */
  readonly at: number
  readonly ms: number
  /** Milliseconds of the main thread's own CPU time within it (0 where the platform has no per-thread clock). */
  readonly cpu: number
  /** Milliseconds of GC pauses within the block. */
  readonly gc: number
  /** The GC kinds seen in it, or-ed (`perf_hooks.constants.NODE_PERFORMANCE_GC_*`: 1 minor, 4 major, 8 incremental). */
  readonly gcKinds: number
}

/** What `probeLoop` saw while its work ran. */
export interface LoopProbe<T> {
  readonly value: T
  /** The longest gap between ticks of a 1 ms interval (ms): the longest block of the event loop. */
  readonly longest: number
  /**
   * The most CPU time the main thread spent between two ticks (ms; Linux, /proc/thread-self/schedstat;
   * undefined elsewhere): the longest block as a quiet machine would see it.
   */
  readonly longestCpu: number | undefined
  /** The longest GC pause (ms). */
  readonly gc: number
  /** All GC pauses added up (ms). */
  readonly gcTotal: number
  /** Each block longer than `listOver` ms (only when `listOver` is given). */
  readonly blocks: ReadonlyArray<LoopBlock> | undefined
}

/** Runs `work` under a 1 ms interval probe and a GC observer. */
export function probeLoop<T>(work: () => Promise<T>, listOver?: number): Promise<LoopProbe<T>>
