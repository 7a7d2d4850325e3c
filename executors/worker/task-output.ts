/**
 * Task console output prefixed with the task's key (issue 14, logs): in a cluster worker's threads
 * (`WEFT_TASK_OUTPUT=key`, set by executors/cluster/worker.ts before it starts them), every line a
 * task writes to stdout or stderr (`console.log`, `process.stdout.write`) starts with `[key] `, so
 * the worker's output says which task printed what, and the worker can forward the lines to the
 * task's client (executors/cluster/task-logs.ts reads them back by that prefix).
 *
 * A thread runs one batch at a time and its tasks one after another (run-batch.ts), so "the task
 * running now" is one variable; output of a task's stray timer after it finished carries the key
 * of whatever runs then, or none.
 *
 * @internal
 */

/** The key of the task running in this thread now (undefined between tasks). */
export const taskOutput: { key: string | undefined } = { key: undefined }

/** Whether this thread prefixes task output (read once, at load). */
export const prefixingTaskOutput = process.env.WEFT_TASK_OUTPUT === "key"

type Write = (chunk: unknown, encoding?: unknown, callback?: unknown) => boolean

/** Wraps a stream's `write` so that each line written while a task runs starts with `[key] `. */
function prefixLines(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as Write
  let atLineStart = true
  stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const key = taskOutput.key
    const plain = typeof chunk === "string" && (typeof encoding !== "string" || /^utf-?8$/i.test(encoding))
    if (key === undefined || !(plain || chunk instanceof Uint8Array)) return write(chunk, encoding, callback)
    const text =
      typeof chunk === "string" ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString()
    let out = ""
    for (const piece of text.split(/(?<=\n)/)) {
      if (atLineStart) out += `[${key}] `
      out += piece
      atLineStart = piece.endsWith("\n")
    }
    return typeof encoding === "function" ? write(out, encoding) : write(out, "utf8", callback)
  }) as typeof stream.write
}

if (prefixingTaskOutput) {
  prefixLines(process.stdout)
  prefixLines(process.stderr)
}
