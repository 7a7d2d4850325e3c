/**
 * Graph submission: the Delayeds reachable from some outputs become task records, with no fiber,
 * Promise or message per task.
 *
 * Records are added in depth-first post-order from the outputs. The ready queue breaks priority
 * ties by the order of addition, so when many tasks are ready the ones that finish a branch run
 * first (the idea of `dask.order`) and intermediate results can be released early. Only what the
 * outputs need is visited, so only that runs (culling).
 *
 * A big graph is added in slices, so that the event loop stays responsive (docs/architecture.md,
 * "Big graphs in slices"): the first slice runs in the caller's call (`graphSlices.ms`); a graph that is
 * not done by then gets its outputs at once as records waiting on a hold (`Engine.gate`), so that
 * `client.compute` still returns its Futures synchronously, and the rest is added in later slices
 * of the same length, `setImmediate` between them. Tasks added by earlier slices already run
 * meanwhile. Each intermediate record is held until the last task in the graph that uses it is
 * added (a count of its uses, from the walk), then left to the release rules.
 *
 * @internal
 */
import { recordIn } from "./client-engine.js"
import type { Delayed } from "../../dsl/delayed.js"
import type { NormalizedTaskOptions } from "../../dsl/options.js"
import type { FutureOf } from "../../dsl/types.js"
import { delayedBrand, futureBrand } from "../../core/brand.js"
import type { Engine } from "./engine.js"
import type { TaskRecordOf } from "./task-record.js"

/** The records of some outputs, and a function that lets go of the intermediates once the outputs are held. */
export interface Materialized {
  readonly outputs: TaskRecordOf[]
  /** Call once the outputs are held by Futures: the intermediates are then kept only while needed. */
  readonly release: () => void
}

/**
 * How graphs are sliced. `ms`: the longest synchronous stretch of adding a graph: with the time to make the Futures and the
 * first dispatch, a `client.compute` of any size blocks the event loop for well under 50 ms.
 */
export const graphSlices = {
  /** Milliseconds of work per slice (12). Tests set 0 to slice a small graph: one look at the clock per slice. */
  ms: 12,
  /** Nodes (walk steps and records) between two looks at the clock. */
  clockEvery: 256
}

/** Adds the graphs of `outputs` to the engine. Throws when a Future in them belongs to another client. */
export function materialize(
  engine: Engine,
  outputs: ReadonlyArray<Delayed<unknown>>,
  options?: (own: NormalizedTaskOptions) => NormalizedTaskOptions
): Materialized {
  const job = new GraphJob(engine, outputs, options)
  try {
    if (!job.step(performance.now() + graphSlices.ms)) job.gateOutputs()
  } catch (error) {
    job.drop(true)
    throw error
  }
  if (!job.done) job.later()
  return { outputs: job.outputRecords(), release: () => job.releaseOutputs() }
}

/** Why a graph with a run-time fan-out cannot be added as it is (its tasks are not all known yet). */
const fanOutRefused = (key: string, name: string): TypeError =>
  new TypeError(
    `weft: ${key} is a run-time fan-out (a compiled graph's ${name} over a task's result): ` +
      `its tasks are known only once that result is. Compute it with compute(...) or .compute(), ` +
      `which expand it first; client.compute, persist and submit need every task up front.`
  )

/** One graph being added: the walk (ids, post-order, use counts), then the records, resumable. */
class GraphJob {
  readonly #engine: Engine
  readonly #outputs: ReadonlyArray<Delayed<unknown>>
  readonly #options: ((own: NormalizedTaskOptions) => NormalizedTaskOptions) | undefined
  /** Every Delayed met, its id (in the order met). */
  readonly #ids = new Map<Delayed<unknown>, number>()
  /** Per id: uses by calls of the graph not added yet; the record once added; whether this job holds it. */
  readonly #uses: number[] = []
  readonly #records: Array<TaskRecordOf | undefined> = []
  readonly #held: boolean[] = []
  /** Per id: pushed on the walk's stack once. */
  readonly #visited: boolean[] = []
  /** Ids of the outputs (kept held until `releaseOutputs`). */
  readonly #isOutput = new Set<number>()
  /** Per id: the Delayed. */
  readonly #nodes: Delayed<unknown>[] = []
  /** The walk: its stack (node, next input), the post-order so far (ids), the next root. */
  readonly #stack: Array<[Delayed<unknown>, number]> = []
  readonly #order: number[] = []
  /** The ids of the Delayed inputs of the call being added (reused). */
  readonly #inputIds: number[] = []
  #root = 0
  /** The add: the next position in `#order`. */
  #next = 0
  /** Gated outputs (by id), while the graph is added in slices, and the hold they wait on. */
  readonly #gated = new Map<number, TaskRecordOf>()
  #hold: TaskRecordOf | undefined = undefined
  #outputsReleased = false
  done = false

  constructor(
    engine: Engine,
    outputs: ReadonlyArray<Delayed<unknown>>,
    options: ((own: NormalizedTaskOptions) => NormalizedTaskOptions) | undefined
  ) {
    this.#engine = engine
    this.#outputs = outputs
    this.#options = options
    for (const d of outputs) this.#isOutput.add(this.#id(d))
  }

  #id(d: Delayed<unknown>): number {
    let id = this.#ids.get(d)
    if (id === undefined) {
      id = this.#uses.length
      this.#ids.set(d, id)
      this.#nodes.push(d)
      this.#uses.push(0)
      this.#records.push(undefined)
      this.#held.push(false)
      this.#visited.push(false)
    }
    return id
  }

  /** Works until `deadline` (performance.now()); true when the graph is all added. */
  step(deadline: number): boolean {
    let n = 0
    while (!this.done) {
      if (++n % graphSlices.clockEvery === 0 && performance.now() >= deadline) return false
      if (this.#root < this.#outputs.length || this.#stack.length > 0) this.#walkOne()
      else if (this.#next < this.#order.length) this.#addOne(this.#order[this.#next++])
      else this.#finish()
    }
    return true
  }

  /** One move of the walk: the next input of the node on top of the stack, or that node done (post-order). */
  #walkOne(): void {
    const stack = this.#stack
    if (stack.length === 0) {
      const root = this.#outputs[this.#root++]
      const id = this.#id(root)
      if (!this.#visited[id]) {
        this.#visited[id] = true
        stack.push([root, 0])
      }
      return
    }
    const top = stack[stack.length - 1]
    const node = top[0].node
    const inputs = node.kind === "call" ? node.inputs : []
    const i = top[1]
    if (i >= inputs.length) {
      stack.pop()
      this.#order.push(this.#ids.get(top[0])!)
      return
    }
    top[1] = i + 1
    const input = inputs[i]
    if (!(delayedBrand in input)) return
    const d = input as Delayed<unknown>
    const id = this.#id(d)
    this.#uses[id]++
    if (!this.#visited[id]) {
      this.#visited[id] = true
      stack.push([d, 0])
    }
  }

  /** Adds the record of node `id`, whose inputs are all added; lets go of inputs it was the last use of. */
  #addOne(id: number): void {
    const engine = this.#engine
    const d = this.#nodes[id]
    const node = d.node
    if (node.kind === "fanout") throw fanOutRefused(d.key, node.name)
    if (node.kind === "future") {
      this.#records[id] = recordOfFuture(engine, node.future) // held by its Future already
      return
    }
    const n = node.inputs.length
    const inputs: TaskRecordOf[] = new Array(n)
    const inputIds = this.#inputIds
    inputIds.length = 0
    for (let i = 0; i < n; i++) {
      const input = node.inputs[i]
      if (futureBrand in input) inputs[i] = recordOfFuture(engine, input as FutureOf<unknown>)
      else {
        const j = this.#ids.get(input as Delayed<unknown>)!
        inputIds.push(j)
        inputs[i] = this.#records[j]!
      }
    }
    const options = this.#options === undefined ? node.options : this.#options(node.options)
    const gated = this.#gated.get(id)
    if (gated !== undefined) engine.attach(gated, node.fn, node.template, inputs, options)
    else if (this.#records[id] === undefined) {
      const record = engine.submitKeyed(d.key, node.fn, node.template, inputs, options)
      // Hold it until its last user in the graph is added: a record nobody wants would be let go at once.
      engine.scheduler.acquire(record)
      this.#records[id] = record
      this.#held[id] = true
    }
    for (let i = 0; i < inputIds.length; i++) {
      const j = inputIds[i]
      if (--this.#uses[j] === 0 && !this.#isOutput.has(j)) this.#let(j)
    }
  }

  /** Stops holding the record of id `j`. */
  #let(j: number): void {
    if (!this.#held[j]) return
    this.#held[j] = false
    this.#engine.scheduler.release(this.#records[j]!)
  }

  #finish(): void {
    this.done = true
    const hold = this.#hold
    if (hold === undefined) return
    this.#hold = undefined
    // Every gated output has its inputs now: the hold has no dependent left and is forgotten.
    this.#engine.scheduler.succeed(hold, undefined)
    if (this.#outputsReleased) this.#letOutputs()
  }

  /** The graph is not added yet: each output gets its record now (an existing one, or one waiting on a hold). */
  gateOutputs(): void {
    const engine = this.#engine
    for (const d of this.#outputs) {
      const id = this.#ids.get(d)!
      if (this.#records[id] !== undefined) continue
      const node = d.node
      if (node.kind === "future") {
        this.#records[id] = recordOfFuture(engine, node.future)
        continue
      }
      if (node.kind === "fanout") throw fanOutRefused(d.key, node.name)
      const options = this.#options === undefined ? node.options : this.#options(node.options)
      this.#hold ??= engine.holdGraph(options)
      const record = engine.gate(d.key, node.fn, options, this.#hold)
      if (record.dependencies.length === 1 && record.dependencies[0] === this.#hold) this.#gated.set(id, record)
      engine.scheduler.acquire(record)
      this.#records[id] = record
      this.#held[id] = true
    }
  }

  /** Adds the rest in slices, one per turn of the event loop. */
  later(): void {
    setImmediate(() => {
      if (this.#engine.closed) return // close() cancelled what was added (the hold too)
      if (this.#abandoned()) {
        this.drop()
        return
      }
      try {
        if (!this.step(performance.now() + graphSlices.ms)) this.later()
      } catch (error) {
        // A Future of another client, found late: the outputs fail with that error, as the call would have thrown.
        const hold = this.#hold
        this.#hold = undefined
        this.drop()
        if (hold !== undefined) this.#engine.scheduler.fail(hold, error)
      }
    })
  }

  /** True when no output is pending any more (each cancelled or released): adding the rest would run it for nobody. */
  #abandoned(): boolean {
    for (const record of this.#gated.values()) if (record.inTable && record.state === "waiting") return false
    return this.#gated.size > 0
  }

  /** Stops: lets go of every record held (intermediates; outputs too when `all` or once the Futures hold them) and of the hold. */
  drop(all = false): void {
    this.done = true
    const hold = this.#hold
    this.#hold = undefined
    const outputs = all || this.#outputsReleased
    for (let j = 0; j < this.#held.length; j++) if (outputs || !this.#isOutput.has(j)) this.#let(j)
    if (hold !== undefined) this.#engine.scheduler.succeed(hold, undefined)
  }

  outputRecords(): TaskRecordOf[] {
    return this.#outputs.map((d) => this.#records[this.#ids.get(d)!]!)
  }

  /** The outputs' Futures hold them now: the job's own holds go (the intermediates' once the graph is added). */
  releaseOutputs(): void {
    if (this.#outputsReleased) return
    this.#outputsReleased = true
    if (this.done) this.#letOutputs()
  }

  #letOutputs(): void {
    for (const j of this.#isOutput) this.#let(j)
  }
}

const recordOfFuture = (engine: Engine, future: FutureOf<unknown>): TaskRecordOf =>
  recordIn(
    engine,
    future,
    "compute the graph with the client that made the Future, or gather its value and build the graph on that"
  )
