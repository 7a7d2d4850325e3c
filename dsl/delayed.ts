/**
 * Lazy graphs (spec section 8): `delayed(fn)(...args)` builds a `Delayed<T>`, a call that has not
 * run. Delayeds take other Delayeds and Futures as arguments, so a program builds a graph first and
 * runs it with `compute` (values) or `persist` (a graph backed by running Futures).
 *
 * Building runs no user code and sends nothing: a Delayed is plain data (its function, its
 * argument template, its inputs, its key), which is what makes `graph()` and `toMermaid()`
 * possible and keys stable.
 *
 * @module
 */
import { InputRef, scanArgs } from "../core/args.js"
import { delayedBrand, futureBrand, type Branded } from "../core/brand.js"
import { descend, isPlainObject, walk as walkValue } from "../core/walk.js"
import { describeFunction, type FnInfo } from "./function-ref.js"
import { randomKeyToken } from "./keys.js"
import { mergeTaskOptions, validateTaskOptions, type NormalizedTaskOptions, type TaskOptions } from "./options.js"
import { tokenizeCall, tokenizeSymbol } from "./tokenize.js"
import type { AnyFunction, Args, FutureOf, TaskResult } from "./types.js"

/** A call that has not run: its function, argument template and inputs. @internal */
export interface CallNode {
  readonly kind: "call"
  readonly fn: FnInfo
  /** The arguments, inputs replaced by `InputRef`s. */
  readonly template: ReadonlyArray<unknown>
  /** The Delayeds and Futures in the arguments, in `InputRef` order. */
  readonly inputs: ReadonlyArray<Branded>
  readonly options: NormalizedTaskOptions
}

/** A Delayed that stands for a Future (after `persist`). @internal */
export interface FutureNode {
  readonly kind: "future"
  readonly future: FutureOf<unknown>
}

/**
 * A `.map` over a value known only at run time (a compiled graph's fan-out, docs/compiler.md):
 * the runtime computes `over`, then calls `expand` with its value and computes what it gives
 * (one sub-graph per element) in this node's place. @internal
 */
export interface FanOutNode {
  readonly kind: "fanout"
  /** What the graph and its drawings call it: `map(parse)`. */
  readonly name: string
  readonly over: Delayed<unknown>
  /** The Delayeds the per-element sub-graphs use besides the element (captured from the enclosing graph). */
  readonly captured: ReadonlyArray<Delayed<unknown>>
  /** The elements' results (values, Delayeds, arrays and objects of them), one per element of `over`'s value. */
  readonly expand: (value: unknown) => unknown[]
}

/** A task in the plain-data form of a graph: its task name, and its arguments with `{ $ref: key }` for inputs. */
export interface GraphTask {
  readonly task: string
  readonly args: ReadonlyArray<unknown>
}

/** A graph as plain data: key -> task, or the Future that holds that key's result. */
export type TaskGraph = Record<string, GraphTask | FutureOf<unknown>>

/** How Delayeds run; set by the runtime when it loads (the dsl does not import the client). @internal */
export interface GraphRunner {
  compute(delayed: Delayed<unknown>): Promise<unknown>
  persist(delayed: Delayed<unknown>): Delayed<unknown>
}

const runnerKey = Symbol.for("weft/graphRunner")

/** @internal */
export const setGraphRunner = (runner: GraphRunner): void => {
  ;(globalThis as { [runnerKey]?: GraphRunner })[runnerKey] = runner
}

const runner = (): GraphRunner => {
  const found = (globalThis as { [runnerKey]?: GraphRunner })[runnerKey]
  if (found === undefined) throw new Error('weft: the runtime is not loaded; import it from "weft".')
  return found
}

/**
 * How a graph being added (runtime/internal/graph.ts) numbers the Delayeds it meets: a number kept
 * on the Delayed itself, instead of a Map from Delayed to number, which for a graph of a million
 * nodes grows (rehashes) in single steps of a few hundred milliseconds. @internal
 */
export interface GraphMarks {
  /** The job that numbered `d` last (0: none). */
  job(d: Delayed<unknown>): number
  /** Its number in that job. */
  id(d: Delayed<unknown>): number
  set(d: Delayed<unknown>, job: number, id: number): void
}

/** @internal */
export let graphMarks: GraphMarks

/**
 * A lazy call: `delayed(inc)(1)`. Its key follows spec section 4, so building the same graph twice
 * gives the same keys. Pass it to other delayed calls, to `client.submit` (it is computed first),
 * or run it with `compute()` / `persist()`.
 */
export class Delayed<T> {
  /** Marks Delayeds (`isDelayed`). */
  readonly [delayedBrand] = true as const
  /** Phantom: the value type. */
  declare readonly _T: T
  /** The graph job that numbered this Delayed last (0: none) and its number there (`graphMarks`). */
  #markJob = 0
  #markId = 0

  /** @internal Use `delayed(fn)(...args)`. */
  constructor(
    /** The key its result will have on the cluster. */
    readonly key: string,
    /** @internal */
    readonly node: CallNode | FutureNode | FanOutNode
  ) {}

  /** The value: on the default client, or in this process when no client is started. */
  compute(): Promise<T> {
    return runner().compute(this) as Promise<T>
  }

  /** Starts computing (on the default client, or in this process) and returns at once a Delayed backed by the running Future. */
  persist(): Delayed<T> {
    return runner().persist(this) as Delayed<T>
  }

  /** The graph behind this value as plain data: key -> `{ task, args }` (inputs as `{ $ref: key }`), or the Future holding a persisted key. */
  graph(): TaskGraph {
    const graph: TaskGraph = {}
    for (const d of walk([this])) {
      if (d.node.kind === "future") graph[d.key] = d.node.future
      else if (d.node.kind === "fanout") graph[d.key] = { task: d.node.name, args: fanOutRefs(d.node) }
      else {
        const inputs = d.node.inputs
        graph[d.key] = { task: d.node.fn.name, args: refs(d.node.template, inputs) as unknown[] }
      }
    }
    for (const future of futuresIn([this])) graph[future.key] ??= future
    return graph
  }

  /** The graph as a Mermaid flowchart: one node per task (name and short key), arrows from inputs to their users. */
  toMermaid(): string {
    const ids = new Map<string, string>()
    const id = (key: string) => {
      let found = ids.get(key)
      if (found === undefined) ids.set(key, (found = `n${ids.size}`))
      return found
    }
    const label = (name: string, key: string) => `${escape(name)}<br/>${escape(shortKey(key))}`
    const lines = ["flowchart TD"]
    const edges: string[] = []
    for (const d of walk([this])) {
      if (d.node.kind === "future") {
        lines.push(`  ${id(d.key)}[("future<br/>${escape(shortKey(d.key))}")]`)
        continue
      }
      if (d.node.kind === "fanout") {
        lines.push(`  ${id(d.key)}{{"${label(`fan-out ${d.node.name}`, d.key)}"}}`)
        for (const input of new Set([d.node.over, ...d.node.captured]))
          edges.push(`  ${id(input.key)} --> ${id(d.key)}`)
        continue
      }
      lines.push(`  ${id(d.key)}["${label(d.node.fn.name, d.key)}"]`)
      for (const input of new Set(d.node.inputs)) {
        const key = keyOf(input)
        if (futureBrand in input && !ids.has(key)) lines.push(`  ${id(key)}[("future<br/>${escape(shortKey(key))}")]`)
        edges.push(`  ${id(key)} --> ${id(d.key)}`)
      }
    }
    return [...lines, ...edges].join("\n") + "\n"
  }

  /** Delayeds tokenize by their key. */
  [tokenizeSymbol](): unknown {
    return ["weft.Delayed", this.key]
  }

  /** `Delayed('inc-...')`, as in Dask. */
  toString(): string {
    return `Delayed('${this.key}')`
  }

  static {
    graphMarks = {
      job: (d) => d.#markJob,
      id: (d) => d.#markId,
      set: (d, job, id) => {
        d.#markJob = job
        d.#markId = id
      }
    }
  }
}

/**
 * Makes `fn` lazy: `delayed(inc)(1)` returns a `Delayed<number>` instead of running `inc`.
 * Arguments may be values, Delayeds and Futures (also inside arrays and plain objects), checked
 * against `fn`'s parameter types. Pure by default, like `submit` (Dask's `delayed` is not).
 */
export function delayed<F extends AnyFunction>(
  fn: F,
  options?: TaskOptions
): (...args: Args<Parameters<F>>) => Delayed<TaskResult<F>> {
  if (typeof fn !== "function") {
    throw new TypeError(
      `delayed: the first argument must be the function to call, got ${fn === null ? "null" : typeof fn}.`
    )
  }
  const info = describeFunction(fn)
  const where = `delayed(${info.name})`
  // No options at all (`delayed(add)` made again for every call, as in a loop): the shared defaults, no object made.
  const merged =
    options === undefined && info.meta === undefined ? undefined : mergeTaskOptions(info.meta?.rawOptions, options)
  const normalized =
    options === undefined && info.meta !== undefined
      ? info.meta.options
      : validateTaskOptions(
          merged,
          where,
          `the "key" option names one call; a delayed function makes many. Leave it out: keys come from the arguments.`
        )
  const call = (...args: unknown[]): Delayed<TaskResult<F>> => {
    const scanned = scanArgs(args, where)
    const key = `${info.name}-${normalized.pure ? tokenizeCall(info.identity, args) : randomKeyToken()}`
    return new Delayed(key, {
      kind: "call",
      fn: info,
      template: scanned.template,
      inputs: scanned.inputs,
      options: normalized
    })
  }
  return call as (...args: Args<Parameters<F>>) => Delayed<TaskResult<F>>
}

/** True for Delayeds. */
export const isDelayed = (value: unknown): value is Delayed<unknown> =>
  typeof value === "object" && value !== null && delayedBrand in value

const keyOf = (input: Branded): string => (input as unknown as { key: string }).key

/** Every Delayed reachable from `roots`, inputs before their users (depth-first, post-order), without recursion. @internal */
export function walk(roots: ReadonlyArray<Delayed<unknown>>): Delayed<unknown>[] {
  const order: Delayed<unknown>[] = []
  const seen = new Set<Delayed<unknown>>()
  const stack: Array<[Delayed<unknown>, number]> = []
  for (const root of roots) {
    if (seen.has(root)) continue
    seen.add(root)
    stack.push([root, 0])
    while (stack.length > 0) {
      const top = stack[stack.length - 1]
      const [d, i] = top
      const inputs = d.node.kind === "call" ? d.node.inputs : d.node.kind === "fanout" ? fanOutInputs(d.node) : []
      if (i < inputs.length) {
        top[1] = i + 1
        const input = inputs[i]
        if (delayedBrand in input && !seen.has(input as Delayed<unknown>)) {
          seen.add(input as Delayed<unknown>)
          stack.push([input as Delayed<unknown>, 0])
        }
        continue
      }
      stack.pop()
      order.push(d)
    }
  }
  return order
}

/** The Futures that calls in the graph take as arguments. */
function futuresIn(roots: ReadonlyArray<Delayed<unknown>>): FutureOf<unknown>[] {
  const out: FutureOf<unknown>[] = []
  for (const d of walk(roots)) {
    if (d.node.kind === "call")
      for (const input of d.node.inputs) if (futureBrand in input) out.push(input as FutureOf<unknown>)
  }
  return out
}

/** The template with `{ $ref: key }` in place of each input (arrays and plain objects copied, the rest kept). */
const refs = (template: ReadonlyArray<unknown>, inputs: ReadonlyArray<Branded>): unknown =>
  walkValue(template, {
    root: "args",
    copy: "always",
    visit: (value) =>
      value instanceof InputRef
        ? { $ref: keyOf(inputs[value.index]) }
        : Array.isArray(value) || isPlainObject(value as object)
          ? descend
          : value
  })

/** A fan-out's inputs: what it maps over, then what its sub-graphs capture. */
const fanOutInputs = (node: FanOutNode): ReadonlyArray<Branded> => [node.over, ...node.captured]

/** A fan-out in the plain-data graph: `{ $ref }` to what it maps over, then to each capture. */
const fanOutRefs = (node: FanOutNode): unknown[] => fanOutInputs(node).map((input) => ({ $ref: keyOf(input) }))

const shortKey = (key: string): string => (key.length > 24 ? `${key.slice(0, 20)}…` : key)
const escape = (text: string): string => text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;")
