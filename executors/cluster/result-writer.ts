/**
 * A worker's writes for one job: each finished task's result (`encodeValue`: V8's bytes) under its key and
 * one completion entry per flush on the client's stream, in one Lua call that writes only while
 * the client's lease exists (`storeScript`). Writes of a job go in order (a promise chain), so
 * the client sees its parts in order and the last one last.
 *
 * @internal
 */
import type { Redis } from "ioredis"
import { encodeError } from "../../core/error-codec.js"
import { ClusterMemoryError } from "../../core/errors.js"
import { maxValueBytes, ValueTooLargeError } from "../../core/value-size.js"
import type { BatchTiming, EncodedError, PartialResults } from "../../core/protocol.js"
import { encodeEntry, keys, storeScript, typeOf, type Completion, type StreamEntry } from "./protocol.js"
import { encodeValue } from "./value-codec.js"

type StoreCommand = (numKeys: number, ...args: Array<string | Buffer>) => Promise<number>

/**
 * Most result bytes sent in one script call: the rest go in earlier calls (without the stream
 * entry), so that a part of several big results stays under Redis's 1 GB query buffer.
 */
const callBytes = 64 * 1024 * 1024

/** Registers the Lua script on a connection (EVALSHA, loaded once). */
export function defineStore(redis: Redis): void {
  if (typeof (redis as unknown as { weftStore?: unknown }).weftStore !== "function")
    redis.defineCommand("weftStore", { lua: storeScript })
}

/** Writes one job's results and completions. */
export class ResultWriter {
  #chain: Promise<void> = Promise.resolve()
  /** The client's lease was gone at a write: nothing more is written (the job is dropped). */
  clientGone = false

  constructor(
    readonly redis: Redis,
    readonly prefix: string,
    readonly client: string,
    readonly job: string,
    readonly taskKeys: ReadonlyArray<string>
  ) {}

  /** Queues the write of a part; `done` on the job's last. Resolves once written (or refused). */
  part(part: PartialResults, done: boolean, elapsedMs?: number, timing?: BatchTiming): Promise<void> {
    this.#chain = this.#chain.then(() => this.#write(part, done, elapsedMs, timing))
    return this.#chain
  }

  /** Queues a whole-job entry (refused, missing inputs). */
  entry(entry: StreamEntry): Promise<void> {
    this.#chain = this.#chain.then(() => this.#store([], [], encodeEntry(entry)).then(() => undefined))
    return this.#chain
  }

  async #write(part: PartialResults, done: boolean, elapsedMs?: number, timing?: BatchTiming): Promise<void> {
    if (this.clientGone) return
    const n = part.results.length
    const resultKeys: string[] = []
    const values: Buffer[] = []
    const sizes = new Uint32Array(n)
    const types = new Uint16Array(n)
    const typeNames: string[] = []
    const failed: number[] = []
    const errors: EncodedError[] = []
    const limit = maxValueBytes()
    const { prefix, client, taskKeys } = this
    let f = 0
    let lastType = ""
    let lastIndex = -1
    for (let k = 0; k < n; k++) {
      const i = part.from + k
      while (f < part.failed.length && part.failed[f] < i) f++
      const value = part.results[k]
      if (part.failed[f] === i) {
        failed.push(i)
        errors.push(value as EncodedError)
        continue
      }
      const bytes = encodeValue(value)
      if (bytes.length > limit) {
        // Redis would refuse it (proto-max-bulk-len): say so, by key, size and limit, and write nothing.
        failed.push(i)
        errors.push(encodeError(new ValueTooLargeError(taskKeys[i], bytes.length, limit, "result")))
        continue
      }
      resultKeys.push(keys.result(prefix, client, taskKeys[i]))
      values.push(bytes)
      sizes[k] = bytes.length
      const type = typeOf(value)
      if (type !== lastType) {
        lastType = type
        lastIndex = typeNames.indexOf(type)
        if (lastIndex < 0) lastIndex = typeNames.push(type) - 1
      }
      types[k] = lastIndex
    }
    const completion: Completion = { from: part.from, sizes, types, typeNames, failed, errors, elapsedMs, timing }
    try {
      if (!(await this.#storeBig(resultKeys, values))) return
      await this.#store(resultKeys, values, encodeEntry({ job: this.job, kind: "part", part: completion, done }))
    } catch (error) {
      // Redis refused the results (full: OOM, or a value over its 512 MB limit): the tasks fail
      // with a clear error instead of hanging, and the report itself is small.
      await this.#store([], [], encodeEntry({ job: this.job, kind: "part", part: this.#failed(part, error), done }))
    }
  }

  /** The part with every task that had a result failed with a `ClusterMemoryError`. */
  #failed(part: PartialResults, error: unknown): Completion {
    const detail = error instanceof Error ? error.message : String(error)
    const n = part.results.length
    const failed: number[] = []
    const errors = part.results.map((value, k) => {
      const i = part.from + k
      failed.push(i)
      return part.failed.includes(i)
        ? (value as EncodedError)
        : encodeError(new ClusterMemoryError(this.taskKeys[i], detail))
    })
    return { from: part.from, sizes: new Uint32Array(n), types: new Uint16Array(n), typeNames: [], failed, errors }
  }

  /**
   * Stores leading results in calls of at most `callBytes` each until the rest fit in one
   * (removing them from the lists); false when the client's lease was gone.
   */
  async #storeBig(resultKeys: string[], values: Buffer[]): Promise<boolean> {
    let total = 0
    for (const value of values) total += value.length
    while (total > callBytes && values.length > 1) {
      let n = 0
      let bytes = 0
      while (n < values.length - 1 && (n === 0 || bytes + values[n].length <= callBytes)) bytes += values[n++].length
      if ((await this.#store(resultKeys.splice(0, n), values.splice(0, n), Buffer.alloc(0))) === 0) return false
      total -= bytes
    }
    return true
  }

  async #store(resultKeys: string[], values: Buffer[], entry: Buffer): Promise<number> {
    const store = (this.redis as unknown as { weftStore: StoreCommand }).weftStore
    const written = await store.call(
      this.redis,
      2 + resultKeys.length,
      keys.lease(this.prefix, this.client),
      keys.completions(this.prefix, this.client),
      ...resultKeys,
      entry,
      ...values
    )
    if (written === 0) this.clientGone = true
    return written
  }
}
