/**
 * Run-time fan-out (docs/compiler.md): a compiled graph's `.map` over a task's result is a
 * `fanout` Delayed, which no engine can take as it is, since how many tasks it stands for is
 * known only once the list is. `expandFanOuts` does what a Dask user writes by hand with
 * futures: it computes the list, calls the fan-out's `expand` with its value (one sub-graph per
 * element; each element's calls get keys from the element's token, so equal elements share work
 * and a rerun gets the same keys), and puts a task that collects the elements' results in the
 * fan-out's place, so that its dependents wait for all of them. Nested fan-outs, fan-outs over
 * the results of other fan-outs and fan-outs in the sub-graphs are expanded the same way, each
 * as soon as its own list is known; the engine never sees a fan-out.
 *
 * A failure of the list task rejects the expansion with that task's error (so every output that
 * depends on it gets the root's error, as a dependent of a failed task does).
 *
 * @internal
 */
import { delayed, Delayed, isDelayed, walk } from "../../dsl/delayed.js"
import { fanOutsMade } from "../../dsl/graph-module.js"

/** What the expansion needs of a client: start a graph (`persist`) and compute one. */
export interface FanOutClient {
  persist<X>(x: X): X
  compute(x: Delayed<unknown>): Held & { result(): Promise<unknown> }
}

/** A Future, as far as letting go of it goes. */
interface Held {
  release(): void
}

/** The outputs with their fan-outs expanded, and the function that lets go of the Futures the expansion started. */
export interface Expanded<X> {
  readonly value: X
  /** Call once the outputs are computed (or held by Futures of their own): the started parts are then kept only while needed. */
  readonly release: () => void
}

/** True when a fan-out is reachable from `roots`. */
export const hasFanOut = (roots: ReadonlyArray<Delayed<unknown>>): boolean =>
  walk(roots).some((d) => d.node.kind === "fanout")

// The task that gathers a fan-out's element results into one array (self-contained: it travels as source text).
const collect = (results: unknown[]): unknown[] => results

/**
 * The same outputs with every fan-out expanded. With `start` (the default), each part starts on
 * `client` as soon as its inputs are known and the results are backed by running Futures; without
 * it, only the lists of the fan-outs are computed and the results are whole graphs of Delayeds (so
 * that a caller can watch every task, as `weft run --progress` does).
 */
export async function expandFanOuts(
  client: FanOutClient,
  roots: ReadonlyArray<Delayed<unknown>>,
  start = true
): Promise<Expanded<Delayed<unknown>[]>> {
  if (!hasFanOut(roots)) return { value: [...roots], release: () => {} }
  const expansion = new Expansion(client, start)
  try {
    return { value: await expansion.all(roots), release: () => expansion.release() }
  } catch (error) {
    expansion.release()
    throw error
  }
}

/**
 * `x` (a Delayed, or arrays and plain objects of them) with its fan-outs expanded and started, for
 * `compute`; `x` itself (no Promise work beyond a resolved one) when no compiled graph ever made a
 * fan-out.
 */
export async function expandFanOutsIn<X>(client: FanOutClient, x: X): Promise<Expanded<X>> {
  const found: Delayed<unknown>[] = []
  if (fanOutsMade() > 0) visit(x, (d) => void found.push(d))
  if (!hasFanOut(found)) return { value: x, release: () => {} }
  const expanded = await expandFanOuts(client, found)
  let i = 0
  return { value: visit(x, () => expanded.value[i++]) as X, release: expanded.release }
}

/** `x` rebuilt with each Delayed replaced by `swap(d)` (arrays and plain objects copied). */
function visit(x: unknown, swap: (d: Delayed<unknown>) => unknown): unknown {
  if (isDelayed(x)) return swap(x) ?? x
  if (Array.isArray(x)) return x.map((v) => visit(v, swap))
  if (typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype)
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, visit(v, swap)]))
  return x
}

class Expansion {
  readonly #dynamic = new Map<Delayed<unknown>, boolean>()
  readonly #done = new Map<Delayed<unknown>, Promise<Delayed<unknown>>>()
  readonly #held: Held[] = []

  constructor(
    readonly client: FanOutClient,
    readonly start: boolean
  ) {}

  release(): void {
    for (const future of this.#held.splice(0)) future.release()
  }

  /** `d` started on the client: a Delayed backed by its Future, which `release` lets go of. */
  #persist(d: Delayed<unknown>): Delayed<unknown> {
    const started = this.client.persist(d)
    if (started.node.kind === "future") this.#held.push(started.node.future as unknown as Held)
    return started
  }

  all(roots: ReadonlyArray<Delayed<unknown>>): Promise<Delayed<unknown>[]> {
    this.#mark(roots)
    return Promise.all(roots.map((d) => this.one(d)))
  }

  /** Whether a fan-out is at or below each Delayed reachable from `roots` (inputs first). */
  #mark(roots: ReadonlyArray<Delayed<unknown>>): void {
    for (const d of walk(roots)) {
      if (this.#dynamic.has(d)) continue
      const node = d.node
      const inputs = node.kind === "call" ? node.inputs : []
      this.#dynamic.set(
        d,
        node.kind === "fanout" || inputs.some((i) => isDelayed(i) && this.#dynamic.get(i as Delayed<unknown>) === true)
      )
    }
  }

  /** `d` with its fan-outs expanded (once per Delayed, however many users it has). */
  one(d: Delayed<unknown>): Promise<Delayed<unknown>> {
    let found = this.#done.get(d)
    if (found === undefined) {
      // A part without fan-outs is started once, however many dynamic users it has.
      found = this.#dynamic.get(d) !== true ? Promise.resolve(this.start ? this.#persist(d) : d) : this.#expand(d)
      this.#done.set(d, found)
    }
    return found
  }

  async #expand(d: Delayed<unknown>): Promise<Delayed<unknown>> {
    const node = d.node
    if (node.kind === "future") return d
    if (node.kind === "call") {
      const inputs = await Promise.all(node.inputs.map((i) => (isDelayed(i) ? this.one(i) : i)))
      const rebuilt = new Delayed(d.key, { ...node, inputs })
      return this.start ? this.#persist(rebuilt) : rebuilt
    }
    // The list: computed (and kept running for other users of it), then read here.
    const over = this.#persist(await this.one(node.over))
    this.#done.set(node.over, Promise.resolve(over))
    const list = this.client.compute(over)
    this.#held.push(list)
    const value = await list.result()
    const joined = delayed(collect)(node.expand(value) as never)
    // The sub-graphs may hold fan-outs of their own (nested maps): expanded by the same walk.
    this.#mark([joined])
    return this.one(joined)
  }
}
