/**
 * A test executor whose results stay outside the engine (`Executor.remote`), as a cluster's stay
 * in Redis: it runs batches on another executor, keeps each successful result serialized (node:v8)
 * in a Map of its own under the task's key, and reports a `HeldResult`. What it counts (values
 * fetched, keys released) is what the engine moved, so tests can see that values travel only
 * when asked for.
 */
import { deserialize, serialize } from "node:v8"
import { HeldResult, type Executor, type RemoteResults } from "../../dist/executors/executor.js"
import { withInputs } from "../../dist/executors/held-inputs.js"
import type { PartialResults, WireBatch } from "../../dist/core/protocol.js"

export interface HeldExecutor extends Executor {
  readonly remote: RemoteResults
  /** The serialized results it holds, by key. */
  readonly store: Map<string, Buffer>
  /** Bytes handed to the engine by `remote.fetch`. */
  fetchedBytes: number
  /** Keys given to `remote.release`, in order. */
  readonly released: string[]
  /** A value as the engine would get it (for the conformance view). */
  peek(key: string): unknown
}

let anonymous = 0

/** Holds the results of `inner`'s batches. */
export function makeHeldExecutor(inner: Executor): HeldExecutor {
  const store = new Map<string, Buffer>()
  const load = (key: string): unknown => {
    const bytes = store.get(key)
    if (bytes === undefined) throw new Error(`The result ${key} is not held.`)
    return deserialize(bytes)
  }
  /** Stores the successful outcomes of tasks `from + k` (from `skip` on) and puts a HeldResult in their place. */
  const hold = (keys: ReadonlyArray<string>, part: PartialResults, skip = 0): unknown[] =>
    part.results.map((value, k) => {
      const i = part.from + k
      if (i < skip || part.failed.includes(i)) return value
      const bytes = serialize(value)
      store.set(keys[i], bytes)
      return new HeldResult(keys[i], bytes.length, typeof value === "object" ? "Object" : typeof value)
    })
  const executor: HeldExecutor = {
    kind: "held",
    workers: inner.workers,
    ...(inner.abortLeavesRunning === undefined ? {} : { abortLeavesRunning: inner.abortLeavesRunning }),
    store,
    fetchedBytes: 0,
    released: [],
    peek: load,
    run(batch: WireBatch, signal, onResults) {
      // The conformance suite builds batches by hand, without keys.
      const keys = batch.keys ?? batch.fn.map(() => `anonymous-${++anonymous}`)
      let values: Map<string, unknown>
      try {
        values = new Map((batch.inputs ?? []).map((key) => [key, load(key)]))
      } catch (error) {
        return Promise.reject(error)
      }
      const forward =
        onResults === undefined
          ? undefined
          : (part: PartialResults) => onResults({ ...part, results: hold(keys, part) })
      return inner.run(withInputs(batch, values), signal, forward).then((result) => {
        const rest = { from: 0, results: result.results, failed: result.failed }
        return { ...result, results: hold(keys, rest, result.streamed ?? 0) }
      })
    },
    remote: {
      async fetch(keys) {
        return keys.map((key) => {
          executor.fetchedBytes += store.get(key)?.length ?? 0
          return load(key)
        })
      },
      release(keys) {
        for (const key of keys) {
          store.delete(key)
          executor.released.push(key)
        }
      }
    },
    close: () => inner.close()
  }
  if (inner.interrupt !== undefined) Object.assign(executor, { interrupt: inner.interrupt.bind(inner) })
  return executor
}

/** The executor as the conformance suite sees it: held results replaced by their values. */
export function valuesView(held: HeldExecutor): Executor {
  const value = (v: unknown) => (v instanceof HeldResult ? held.peek(v.key) : v)
  const view: Executor = {
    kind: held.kind,
    workers: held.workers,
    run: (batch, signal, onResults) =>
      held
        .run(batch, signal, onResults && ((part) => onResults({ ...part, results: part.results.map(value) })))
        .then((result) => ({ ...result, results: result.results.map(value) })),
    close: () => held.close()
  }
  if (held.interrupt !== undefined) Object.assign(view, { interrupt: held.interrupt.bind(held) })
  return view
}

/**
 * Any executor with `remote`, as the conformance suite sees it: each held result fetched through
 * `remote.fetch` before it is handed on (streamed parts in order, the reply after them).
 */
export function fetchingView(executor: Executor & { remote: RemoteResults }): Executor {
  const fetchAll = async (results: ReadonlyArray<unknown>): Promise<unknown[]> => {
    const held = results.flatMap((v) => (v instanceof HeldResult ? [v.key] : []))
    const values = held.length === 0 ? [] : await executor.remote.fetch(held)
    let k = 0
    return results.map((v) => (v instanceof HeldResult ? values[k++] : v))
  }
  return {
    kind: executor.kind,
    workers: executor.workers,
    run(batch, signal, onResults) {
      let chain: Promise<void> = Promise.resolve()
      const forward =
        onResults &&
        ((part: PartialResults) => {
          chain = chain.then(async () => onResults({ ...part, results: await fetchAll(part.results) }))
        })
      return executor.run(batch, signal, forward).then(
        async (result) => {
          await chain
          return { ...result, results: await fetchAll(result.results) }
        },
        async (error: unknown) => {
          await chain
          throw error
        }
      )
    },
    close: () => executor.close()
  }
}
