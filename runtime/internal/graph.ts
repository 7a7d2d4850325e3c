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
import { graphMarks, type Delayed } from "../../dsl/delayed.js"
import type { NormalizedTaskOptions } from "../../dsl/options.js"
import type { FutureOf } from "../../dsl/types.js"
import { delayedBrand, futureBrand } from "../../core/brand.js"
import type { Engine } from "./engine.js"
import type { TaskRecordOf } from "./task-record.js"
import { Chunked, Ints } from "./columns.js"
import type { EventLoopUtilization } from "node:perf_hooks"

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
  /**
   * Milliseconds of work per turn of the event loop (12), counting what else ran in the turn before the slice (the landing of
   * batches and the dispatch of the next ones): the slice gets what is left, at least `minMs`. Tests set 0 to slice a small
   * graph: one look at the clock per slice.
   */
  ms: 12,
  /**
   * The shortest slice (6 ms), so that the graph still goes in while batches land in every turn: with 2 ms the workers ran
   * short of tasks on a loaded machine (1M nodes: up to 1.5x the process's CPU time, in smaller batches).
   */
  minMs: 6,
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

/** Flags per id of a graph job. */
const visited = 1
/** The job holds the record (acquired) until its last user in the graph is added. */
const held = 2
const output = 4
/** An output waiting on the job's hold until its node comes up (`gateOutputs`). */
const gated = 8
const noInputs: ReadonlyArray<never> = []

/** The numbers of the jobs not done yet: a Delayed marked by one of them is numbered by another job in a Map of its own. */
const liveJobs = new Set<number>()
let lastJob = 0

/**
 * One graph being added: the walk (ids, post-order, use counts), then the records, resumable.
 * Per node it keeps a few numbers in plain arrays indexed by id (no object, closure or Map entry
 * per node): a Map of a million entries grows in single steps of hundreds of milliseconds, and
 * every object per node is more for the garbage collector to mark.
 */
class GraphJob {
  readonly #engine: Engine
  readonly #outputs: ReadonlyArray<Delayed<unknown>>
  readonly #options: ((own: NormalizedTaskOptions) => NormalizedTaskOptions) | undefined
  /** This job's number, kept on the Delayeds it numbers (`graphMarks`). */
  readonly #job: number
  /** Ids of Delayeds another live job had marked first (graphs added at the same time that share nodes). */
  #foreign: Map<Delayed<unknown>, number> | undefined = undefined
  /** Per id: the Delayed; uses by calls of the graph not added yet; the record once added; flags. */
  readonly #nodes = new Chunked<Delayed<unknown>>()
  readonly #uses = new Ints()
  readonly #records = new Chunked<TaskRecordOf>()
  readonly #flags = new Ints()
  /** Ids of the outputs, in order (kept held until `releaseOutputs`). */
  readonly #outputIds: number[]
  /** The walk: its stack as two parallel arrays (id, next input), the post-order so far (ids), the next root. */
  readonly #stackIds = new Ints()
  readonly #stackNext = new Ints()
  readonly #order = new Ints()
  /** The ids of the Delayed inputs of the call being added (reused). */
  readonly #inputIds: number[] = []
  #root = 0
  /** The add: the next position in `#order`. */
  #next = 0
  /** Ids of the gated outputs, while the graph is added in slices; those before the cursor no longer wait. */
  readonly #gatedIds: number[] = []
  #gatedCursor = 0
  #hold: TaskRecordOf | undefined = undefined
  /** The event loop's utilization when the last slice ended (`#deadline`). */
  #sliceEnd: EventLoopUtilization | undefined = undefined
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
    this.#job = lastJob = lastJob >= 0x3fffffff ? 1 : lastJob + 1
    liveJobs.add(this.#job)
    this.#outputIds = outputs.map((d) => this.#id(d))
    for (const id of this.#outputIds) this.#flags.set(id, this.#flags.get(id) | output)
  }

  /** The id of `d` in this job (a new one the first time). */
  #id(d: Delayed<unknown>): number {
    if (graphMarks.job(d) === this.#job) {
      const id = graphMarks.id(d)
      if (this.#nodes.get(id) === d) return id
    }
    const foreign = this.#foreign
    if (foreign !== undefined) {
      const id = foreign.get(d)
      if (id !== undefined) return id
    }
    const id = this.#nodes.length
    this.#nodes.push(d)
    this.#uses.push(0)
    this.#records.push(undefined)
    this.#flags.push(0)
    const owner = graphMarks.job(d)
    if (owner !== 0 && owner !== this.#job && liveJobs.has(owner)) (this.#foreign ??= new Map()).set(d, id)
    else graphMarks.set(d, this.#job, id)
    return id
  }

  /** Works until `deadline` (performance.now()); true when the graph is all added. */
  step(deadline: number): boolean {
    let n = 0
    while (!this.done) {
      if (++n % graphSlices.clockEvery === 0 && performance.now() >= deadline) return false
      if (this.#root < this.#outputIds.length || this.#stackIds.length > 0) this.#walkOne()
      else if (this.#next < this.#order.length) this.#addOne(this.#order.get(this.#next++))
      else this.#finish()
    }
    return true
  }

  /** One move of the walk: the next input of the node on top of the stack, or that node done (post-order). */
  #walkOne(): void {
    const stackIds = this.#stackIds
    const stackNext = this.#stackNext
    if (stackIds.length === 0) {
      this.#visit(this.#outputIds[this.#root++])
      return
    }
    const top = stackIds.length - 1
    const topId = stackIds.get(top)
    const node = this.#nodes.get(topId)!.node
    const inputs = node.kind === "call" ? node.inputs : noInputs
    const i = stackNext.get(top)
    if (i >= inputs.length) {
      stackIds.pop()
      stackNext.pop()
      this.#order.push(topId)
      return
    }
    stackNext.set(top, i + 1)
    const input = inputs[i]
    if (!(delayedBrand in input)) return
    const id = this.#id(input as Delayed<unknown>)
    this.#uses.set(id, this.#uses.get(id) + 1)
    this.#visit(id)
  }

  /** Pushes node `id` on the walk's stack, the first time only. */
  #visit(id: number): void {
    const flags = this.#flags.get(id)
    if ((flags & visited) !== 0) return
    this.#flags.set(id, flags | visited)
    this.#stackIds.push(id)
    this.#stackNext.push(0)
  }

  /** Adds the record of node `id`, whose inputs are all added; lets go of inputs it was the last use of. */
  #addOne(id: number): void {
    const engine = this.#engine
    const d = this.#nodes.get(id)!
    const node = d.node
    if (node.kind === "fanout") throw fanOutRefused(d.key, node.name)
    if (node.kind === "future") {
      this.#records.set(id, recordOfFuture(engine, node.future)) // held by its Future already
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
        const j = this.#id(input as Delayed<unknown>)
        inputIds.push(j)
        inputs[i] = this.#records.get(j)!
      }
    }
    const options = this.#options === undefined ? node.options : this.#options(node.options)
    const flags = this.#flags
    if ((flags.get(id) & gated) !== 0) engine.attach(this.#records.get(id)!, node.fn, node.template, inputs, options)
    else if (this.#records.get(id) === undefined) {
      const record = engine.submitKeyed(d.key, node.fn, node.template, inputs, options)
      // Hold it until its last user in the graph is added: a record nobody wants would be let go at once.
      engine.scheduler.acquire(record)
      this.#records.set(id, record)
      flags.set(id, flags.get(id) | held)
    }
    for (let i = 0; i < inputIds.length; i++) {
      const j = inputIds[i]
      const uses = this.#uses.get(j) - 1
      this.#uses.set(j, uses)
      if (uses === 0 && (flags.get(j) & output) === 0) this.#let(j)
    }
  }

  /** Stops holding the record of id `j`. */
  #let(j: number): void {
    const flags = this.#flags.get(j)
    if ((flags & held) === 0) return
    this.#flags.set(j, flags & ~held)
    this.#engine.scheduler.release(this.#records.get(j)!)
  }

  #finish(): void {
    this.#end()
    const hold = this.#hold
    if (hold === undefined) return
    this.#hold = undefined
    // Every gated output has its inputs now: the hold has no dependent left and is forgotten.
    this.#engine.scheduler.succeed(hold, undefined)
    if (this.#outputsReleased) this.#letOutputs()
  }

  /** Done: the marks this job left on Delayeds are free for other jobs. */
  #end(): void {
    this.done = true
    liveJobs.delete(this.#job)
  }

  /** The graph is not added yet: each output gets its record now (an existing one, or one waiting on a hold). */
  gateOutputs(): void {
    const engine = this.#engine
    for (const id of this.#outputIds) {
      if (this.#records.get(id) !== undefined) continue
      const d = this.#nodes.get(id)!
      const node = d.node
      if (node.kind === "future") {
        this.#records.set(id, recordOfFuture(engine, node.future))
        continue
      }
      if (node.kind === "fanout") throw fanOutRefused(d.key, node.name)
      const options = this.#options === undefined ? node.options : this.#options(node.options)
      this.#hold ??= engine.holdGraph(options)
      const record = engine.gate(d.key, node.fn, options, this.#hold)
      if (record.dependencies.length === 1 && record.dependencies[0] === this.#hold) {
        this.#flags.set(id, this.#flags.get(id) | gated)
        this.#gatedIds.push(id)
      }
      engine.scheduler.acquire(record)
      this.#records.set(id, record)
      this.#flags.set(id, this.#flags.get(id) | held)
    }
  }

  /**
   * The end of this turn's slice: `graphSlices.ms` less the time the loop was busy since the last slice ended (batches that
   * landed, and the next ones sent, in this turn: the event loop's utilization, which leaves out the time it waited for I/O).
   */
  #deadline(): number {
    const now = performance.now()
    const since = this.#sliceEnd
    if (since === undefined || graphSlices.ms <= 0) return now + graphSlices.ms
    const busy = performance.eventLoopUtilization(since).active
    return now + Math.max(Math.min(graphSlices.minMs, graphSlices.ms), graphSlices.ms - busy)
  }

  /** Adds the rest in slices, one per turn of the event loop. */
  later(): void {
    this.#sliceEnd = performance.eventLoopUtilization()
    setImmediate(() => {
      if (this.#engine.closed) {
        this.#end() // close() cancelled what was added (the hold too)
        return
      }
      if (this.#abandoned()) {
        this.drop(false, true)
        return
      }
      try {
        if (!this.step(this.#deadline())) this.later()
      } catch (error) {
        // A Future of another client, found late: the outputs fail with that error, as the call would have thrown.
        const hold = this.#hold
        this.#hold = undefined
        if (hold !== undefined) this.#engine.scheduler.fail(hold, error)
        this.drop(false, true)
      }
    })
  }

  /**
   * True when no output is pending any more (each cancelled or released): adding the rest would
   * run it for nobody. A gated output that stopped waiting does not wait again, so the scan
   * resumes where the last one stopped.
   */
  #abandoned(): boolean {
    const ids = this.#gatedIds
    for (; this.#gatedCursor < ids.length; this.#gatedCursor++) {
      const record = this.#records.get(ids[this.#gatedCursor])!
      if (record.inTable && record.state === "waiting") return false
    }
    return ids.length > 0
  }

  /**
   * Stops: lets go of every record held (intermediates; outputs too when `all` or once the Futures hold them), then of the
   * hold. `sliced`: in slices of `graphSlices.ms`, one per turn of the event loop (a graph of a million nodes holds
   * records all over it, and letting one go may release a whole chain); else all at once (a graph that failed in its first
   * slice, inside the caller's call).
   */
  drop(all = false, sliced = false): void {
    this.#end()
    const hold = this.#hold
    this.#hold = undefined
    const outputs = all || this.#outputsReleased
    const flags = this.#flags
    let j = 0
    const slice = (deadline: number) => {
      // The clock is read every 1,024 ids, and after every 16 records let go (each may release a chain).
      for (let work = 0; j < flags.length; j++, work++) {
        if (work >= 1024) {
          if (performance.now() >= deadline) break
          work = 0
        }
        const f = flags.get(j)
        if ((f & held) === 0 || (!outputs && (f & output) !== 0)) continue
        this.#let(j)
        work += 63
      }
      if (j < flags.length) {
        this.#sliceEnd = performance.eventLoopUtilization()
        setImmediate(() => slice(this.#deadline()))
        return
      }
      if (hold !== undefined) this.#engine.scheduler.succeed(hold, undefined)
    }
    slice(sliced ? performance.now() + graphSlices.ms : Infinity)
  }

  outputRecords(): TaskRecordOf[] {
    return this.#outputIds.map((id) => this.#records.get(id)!)
  }

  /** The outputs' Futures hold them now: the job's own holds go (the intermediates' once the graph is added). */
  releaseOutputs(): void {
    if (this.#outputsReleased) return
    this.#outputsReleased = true
    if (this.done) this.#letOutputs()
  }

  #letOutputs(): void {
    for (const id of this.#outputIds) this.#let(id)
  }
}

const recordOfFuture = (engine: Engine, future: FutureOf<unknown>): TaskRecordOf =>
  recordIn(
    engine,
    future,
    "compute the graph with the client that made the Future, or gather its value and build the graph on that"
  )
