/**
 * Holds back what this process writes to stderr, for tests whose child processes die of V8's
 * heap limit: V8 prints "FATAL ERROR ... JavaScript heap out of memory" with its last GCs as it
 * aborts, and tinypool pipes a child's stderr into ours (`child.stderr.pipe(process.stderr)`,
 * which calls `process.stderr.write` per chunk). Captured, a passing run stays quiet and the test
 * can assert on the text.
 */
export interface CapturedStderr {
  /** Everything written since the capture started. */
  text(): string
  /** Writes go to the real stderr again. */
  restore(): void
}

/** Starts capturing `process.stderr.write`; call `restore()` in a `finally`. */
export function captureStderr(): CapturedStderr {
  const chunks: string[] = []
  const original = process.stderr.write
  process.stderr.write = function (chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"))
    const done = rest.find((r): r is (error?: Error | null) => void => typeof r === "function")
    if (done !== undefined) queueMicrotask(() => done(null))
    return true
  } as typeof process.stderr.write
  return {
    text: () => chunks.join(""),
    restore: () => {
      process.stderr.write = original
    }
  }
}

/** How many of V8's out-of-memory reports `text` holds. */
export const outOfMemoryReports = (text: string): number =>
  text.split("FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory").length - 1
