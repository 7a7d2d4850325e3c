/**
 * The client's reader of its completion stream (`{prefix}:c:{client}`): one blocking XREAD loop on
 * a connection of its own, handing each entry to `onEntry` in order, and trimming what it has read
 * so the stream stays small. A Stream (not pub/sub) because it survives a reconnect: after a Redis
 * blip the loop reads on from the last id it saw.
 *
 * @internal
 */
import type { Redis } from "ioredis"
import { decodeEntry, type StreamEntry } from "./protocol.js"

/** Reads `stream` until `stop()`. */
export class CompletionReader {
  #last = "0"
  #stopped = false
  #reads = 0
  readonly done: Promise<void>

  constructor(
    readonly redis: Redis,
    /** The command connection, for the trims (the reader's own is blocked). */
    readonly trimmer: Redis,
    readonly stream: string,
    readonly onEntry: (entry: StreamEntry) => void
  ) {
    this.done = this.#loop()
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      let reply: Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null
      try {
        reply = (await this.redis.xreadBuffer(
          "COUNT",
          1000,
          "BLOCK",
          1000,
          "STREAMS",
          this.stream,
          this.#last
        )) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null
      } catch {
        if (this.#stopped) return
        // The connection dropped (a Redis restart): ioredis reconnects; read on from the same id.
        await new Promise((resolve) => setTimeout(resolve, 100))
        continue
      }
      if (reply === null || this.#stopped) continue
      for (const [, entries] of reply) {
        for (const [id, fields] of entries) {
          this.#last = id.toString()
          const data = fields[1]
          if (data !== undefined) this.onEntry(decodeEntry(data))
        }
      }
      // Trim what was read, now and then: the stream is a mailbox, not a log.
      if (++this.#reads % 16 === 0) this.trimmer.xtrim(this.stream, "MINID", this.#last).catch(() => {})
    }
  }

  /** Stops reading (disconnects the reader's connection). */
  stop(): void {
    this.#stopped = true
    this.redis.disconnect()
  }
}
