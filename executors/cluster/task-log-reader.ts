/**
 * Log forwarding, the client's side (`Client.connect(url, { forwardLogs })`): one blocking XREAD
 * loop on a connection of its own over the client's log stream `{prefix}:log:{client}` (written by
 * task-logs.ts on the workers), handing each line to the sink and trimming what it read.
 *
 * @internal
 */
import type { Redis } from "ioredis"
import type { LogEntry } from "./protocol.js"

/** One console line of a task, forwarded from the worker that ran it. */
export interface TaskLogLine {
  /** The task's key. */
  readonly key: string
  /** The worker's name. */
  readonly worker: string
  /** Where the task wrote it. */
  readonly stream: "stdout" | "stderr"
  /** The line, without its newline (cut at 8,192 characters). */
  readonly text: string
}

/** Reads the log stream until `stop()`. */
export class TaskLogReader {
  #last = "0"
  #stopped = false

  constructor(
    readonly redis: Redis,
    /** The command connection, for the trims (the reader's own is blocked). */
    readonly trimmer: Redis,
    readonly stream: string,
    readonly sink: (line: TaskLogLine) => void
  ) {
    void this.#loop()
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      let reply: Array<[string, Array<[string, string[]]>]> | null
      try {
        reply = (await this.redis.xread(
          "COUNT",
          100,
          "BLOCK",
          1000,
          "STREAMS",
          this.stream,
          this.#last
        )) as typeof reply
      } catch {
        if (this.#stopped) return
        await new Promise((resolve) => setTimeout(resolve, 200)) // reconnecting: read on from the same id
        continue
      }
      if (reply === null || this.#stopped) continue
      for (const [, entries] of reply)
        for (const [id, fields] of entries) {
          this.#last = id
          this.#deliver(fields[1])
        }
      this.trimmer.xtrim(this.stream, "MINID", this.#last).catch(() => {})
    }
  }

  #deliver(data: string | undefined): void {
    let entry: LogEntry
    try {
      entry = JSON.parse(data ?? "") as LogEntry
    } catch {
      return
    }
    for (const [key, stream, text] of entry.lines) {
      try {
        this.sink({ key, worker: entry.worker, stream: stream === 0 ? "stdout" : "stderr", text })
      } catch {
        // A sink that throws loses its line, not the forwarding.
      }
    }
  }

  /** Stops reading (disconnects the reader's connection). */
  stop(): void {
    this.#stopped = true
    this.redis.disconnect()
  }
}
