/**
 * Graph submission: the Delayeds reachable from some outputs become task records in one pass, in
 * one call into the engine (no fiber, Promise or message per task).
 *
 * Records are added in depth-first post-order from the outputs. The ready queue breaks priority
 * ties by the order of addition, so when many tasks are ready the ones that finish a branch run
 * first (the idea of `dask.order`) and intermediate results can be released early. Only what the
 * outputs need is visited, so only that runs (culling).
 *
 * @internal
 */
import { recordIn } from "./client-engine.js"
import { walk, type Delayed } from "../../dsl/delayed.js"
import type { NormalizedTaskOptions } from "../../dsl/options.js"
import type { FutureOf } from "../../dsl/types.js"
import { futureBrand, type Branded } from "../../core/brand.js"
import type { Engine } from "./engine.js"
import type { TaskRecordOf } from "./task-record.js"

/** The records of some outputs, and a function that lets go of the intermediates once the outputs are held. */
export interface Materialized {
  readonly outputs: TaskRecordOf[]
  /** Call once the outputs are held by Futures: the intermediates are then kept only while needed. */
  readonly release: () => void
}

/** Adds the graphs of `outputs` to the engine. Throws when a Future in them belongs to another client. */
export function materialize(
  engine: Engine,
  outputs: ReadonlyArray<Delayed<unknown>>,
  options?: (own: NormalizedTaskOptions) => NormalizedTaskOptions
): Materialized {
  const records = new Map<Delayed<unknown>, TaskRecordOf>()
  const held: TaskRecordOf[] = []
  const recordOfInput = (input: Branded): TaskRecordOf => {
    if (futureBrand in input) return recordOfFuture(engine, input as FutureOf<unknown>)
    return records.get(input as Delayed<unknown>)!
  }
  for (const d of walk(outputs)) {
    const node = d.node
    if (node.kind === "fanout") {
      throw new TypeError(
        `weft: ${d.key} is a run-time fan-out (a compiled graph's ${node.name} over a task's result): ` +
          `its tasks are known only once that result is. Compute it with compute(...) or .compute(), ` +
          `which expand it first; client.compute, persist and submit need every task up front.`
      )
    }
    if (node.kind === "future") {
      records.set(d, recordOfFuture(engine, node.future)) // held by its Future already
      continue
    }
    const inputs = node.inputs.length === 0 ? [] : node.inputs.map(recordOfInput)
    const record = engine.submitKeyed(
      d.key,
      node.fn,
      node.template,
      inputs,
      options === undefined ? node.options : options(node.options)
    )
    // Hold every record until the outputs are held: a record nobody wants would be let go at once.
    engine.scheduler.acquire(record)
    held.push(record)
    records.set(d, record)
  }
  return {
    outputs: outputs.map((d) => records.get(d)!),
    release: () => {
      for (const record of held) engine.scheduler.release(record)
    }
  }
}

const recordOfFuture = (engine: Engine, future: FutureOf<unknown>): TaskRecordOf =>
  recordIn(
    engine,
    future,
    "compute the graph with the client that made the Future, or gather its value and build the graph on that"
  )
