/**
 * Log forwarding, the worker's side (issue 14, as Dask's `forward_logging`): a task's console
 * lines reach this process prefixed with its key (executors/worker/task-output.ts, in the
 * threads, whose stdout and stderr Node and tinypool pipe into this process's); a tap on this
 * process's `stdout.write` and `stderr.write` lets them through unchanged and picks out the lines
 * of tasks whose client asked for its logs (`Client.connect(url, { forwardLogs: true })`), which
 * go, every 100 ms, to the client's log stream `{prefix}:log:{client}` (task-log-reader.ts).
 *
 * Bounded: a line is cut at `maxLineChars`, a client gets at most `maxLinesPerFlush` lines per
 * flush (the rest are counted in one "lines dropped" line) and its stream keeps about
 * `maxEntries` entries (XADD MAXLEN ~); lines are written only while the client's lease exists.
 *
 * @internal
 */
import type { Redis } from "ioredis"
import { keys, type LogEntry } from "./protocol.js"

const maxLineChars = 8_192
const maxLinesPerFlush = 1_000
const maxEntries = 1_000
const flushMs = 100
/** A job's keys stay known this long after it ended: its last lines may come after its results. */
const lingerMs = 2_000

type Line = (stream: 0 | 1, line: string) => void

const listeners = new Set<Line>()
const partial: [string, string] = ["", ""]

/** Taps this process's stdout and stderr once; `listener` gets each complete line. Returns the untap. */
export function tapOutput(listener: Line): () => void {
  if (listeners.size === 0 && !tapped) {
    tap(process.stdout, 0)
    tap(process.stderr, 1)
    tapped = true
  }
  listeners.add(listener)
  return () => listeners.delete(listener)
}

let tapped = false

function tap(stream: NodeJS.WriteStream, which: 0 | 1): void {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean
  stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    if (listeners.size > 0 && (typeof chunk === "string" || chunk instanceof Uint8Array)) {
      const text = partial[which] + (typeof chunk === "string" ? chunk : Buffer.from(chunk).toString())
      const lines = text.split("\n")
      partial[which] = lines.pop()!.slice(-maxLineChars)
      for (const line of lines) if (line.startsWith("[")) for (const listener of listeners) listener(which, line)
    }
    return write(chunk, ...rest)
  }) as typeof stream.write
}

/** Lua: append a log entry only while the client's lease exists. KEYS: lease, stream; ARGV: maxlen, entry. */
const appendScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'd', ARGV[2])
return 1
`

/** One worker's forwarding: which running keys belong to clients that want their logs, and their buffers. */
export class LogForwarder {
  /** key -> clients running it now with forwarding on (a count per client: the same key may run twice). */
  readonly #owners = new Map<string, Map<string, number>>()
  readonly #buffers = new Map<string, { lines: LogEntry["lines"][number][]; dropped: number }>()
  readonly #untap: () => void
  #timer: NodeJS.Timeout | undefined

  constructor(
    readonly redis: Redis,
    readonly prefix: string,
    readonly worker: string
  ) {
    if (typeof (redis as unknown as { weftLog?: unknown }).weftLog !== "function")
      redis.defineCommand("weftLog", { lua: appendScript, numberOfKeys: 2 })
    this.#untap = tapOutput((stream, line) => this.#line(stream, line))
  }

  /** A job of `client` with forwarding on starts running `taskKeys`; returns what to call when it ends. */
  running(client: string, taskKeys: ReadonlyArray<string>): () => void {
    for (const key of taskKeys) {
      let owners = this.#owners.get(key)
      if (owners === undefined) this.#owners.set(key, (owners = new Map()))
      owners.set(client, (owners.get(client) ?? 0) + 1)
    }
    return () => void setTimeout(() => this.#ended(client, taskKeys), lingerMs).unref()
  }

  #ended(client: string, taskKeys: ReadonlyArray<string>): void {
    for (const key of taskKeys) {
      const owners = this.#owners.get(key)
      const n = owners?.get(client) ?? 0
      if (n > 1) owners!.set(client, n - 1)
      else owners?.delete(client)
      if (owners?.size === 0) this.#owners.delete(key)
    }
  }

  #line(stream: 0 | 1, line: string): void {
    if (this.#owners.size === 0) return
    // `[key] text`: the key is the first running key that ends at a "] " (a key may itself hold "] ").
    for (let end = line.indexOf("] "); end > 0; end = line.indexOf("] ", end + 1)) {
      const owners = this.#owners.get(line.slice(1, end))
      if (owners === undefined) continue
      const text = line.slice(end + 2, end + 2 + maxLineChars)
      for (const client of owners.keys()) this.#add(client, [line.slice(1, end), stream, text])
      return
    }
  }

  #add(client: string, line: LogEntry["lines"][number]): void {
    let buffer = this.#buffers.get(client)
    if (buffer === undefined) this.#buffers.set(client, (buffer = { lines: [], dropped: 0 }))
    if (buffer.lines.length < maxLinesPerFlush) buffer.lines.push(line)
    else buffer.dropped++
    this.#timer ??= setTimeout(() => void this.flush(), flushMs)
  }

  /** Writes the buffered lines to their clients' streams. */
  async flush(): Promise<void> {
    this.#timer = undefined
    const buffers = [...this.#buffers]
    this.#buffers.clear()
    await Promise.all(
      buffers.map(([client, { lines, dropped }]) => {
        if (dropped > 0) lines.push(["weft", 1, `${dropped} more lines of this worker's tasks were dropped (too many)`])
        const entry: LogEntry = { worker: this.worker, lines }
        const append = (this.redis as unknown as { weftLog: (...args: string[]) => Promise<number> }).weftLog
        return append
          .call(
            this.redis,
            keys.lease(this.prefix, client),
            keys.logs(this.prefix, client),
            String(maxEntries),
            JSON.stringify(entry)
          )
          .catch(() => 0)
      })
    )
  }

  /** Stops tapping and writes what is buffered. */
  async close(): Promise<void> {
    this.#untap()
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    await this.flush()
  }
}
