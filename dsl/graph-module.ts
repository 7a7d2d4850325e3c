/**
 * The runtime of compiled graphs (spec section 10): `graphModule(ir, tasks)` is what a compiled
 * `@graph` becomes. Calling it with concrete arguments walks the IR and builds Delayeds; it runs
 * no user code. `evaluateIr` runs the same IR directly in this process (the reference for tests).
 *
 * The IR's `.map` callbacks may use values of the enclosing graph: in a map body, a reference
 * `{ $node: -1 - i }` (a negative index) is node `i` of the graph one level out.
 *
 * @module
 */
import type * as FastCheck from "fast-check"
import { isIrRef, type GraphIr, type IrValue } from "../core/ir.js"
import { delayed, Delayed, isDelayed } from "./delayed.js"
import { tokenize } from "./tokenize.js"

/**
 * Builds a fast-check arbitrary of a graph's parameter tuple from the fast-check module it is given
 * (`weft build --arbitraries` emits one per `@graph`; `checkGraph(graph)` from `weft/testing` uses
 * it). Taking the module as an argument keeps fast-check out of the compiled module's imports.
 */
export type ParamsArbitrary<Params extends unknown[]> = (fc: typeof FastCheck) => FastCheck.Arbitrary<Params>

/** A compiled graph: call it with concrete arguments to get the lazy result; `ir` is the graph as data. */
export interface GraphModule<Params extends unknown[], Result> {
  (...params: Params): Delayed<Result>
  readonly ir: GraphIr
  /** Arbitrary parameters for property tests, when built with `weft build --arbitraries`. */
  readonly arbitrary?: ParamsArbitrary<Params>
}

/** What a compiled module may add to a graph besides its IR and tasks. */
export interface GraphExtras<Params extends unknown[]> {
  /** Emitted by `weft build --arbitraries`. */
  readonly arbitrary?: ParamsArbitrary<Params>
}

/** The functions of a graph's tasks, by task id. */
export type GraphTasks = Readonly<Record<string, (...args: any[]) => unknown>>

/** How one walk of the IR turns calls and reads into values. */
interface Ops {
  call(task: string, args: unknown[]): unknown
  get(value: unknown, key: string | number): unknown
  /**
   * A `.map` over a value not known yet (a task's result, or a part of one): the value standing
   * for the array of the elements' results; `expand` gives them once the array is known. Undefined
   * when `over` is known (then the map expands at once).
   */
  later(over: unknown, body: GraphIr, outer: ReadonlyArray<unknown>, expand: (array: unknown) => unknown[]): unknown
}

/** `value` with each `{ $node: i }` replaced by the node's value (negative indices: the enclosing graph's nodes). */
function fill(value: IrValue, values: ReadonlyArray<unknown>, outer: ReadonlyArray<unknown> | undefined): unknown {
  if (isIrRef(value)) return resolve(value.$node, values, outer)
  if (Array.isArray(value)) return value.map((v) => fill(v, values, outer))
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v as IrValue, values, outer)]))
  }
  return value
}

function resolve(index: number, values: ReadonlyArray<unknown>, outer: ReadonlyArray<unknown> | undefined): unknown {
  if (index >= 0) return values[index]
  if (outer === undefined)
    throw new Error(`weft: a graph node refers to node ${index} of an enclosing graph, but there is none.`)
  return outer[-1 - index]
}

/**
 * Walks `ir` once: each node's value in order (nodes refer only to earlier ones). `map` over a
 * concrete array is expanded here, one walk of the body per element.
 */
function walkIr(
  ir: GraphIr,
  params: ReadonlyArray<unknown>,
  outer: ReadonlyArray<unknown> | undefined,
  ops: Ops
): unknown {
  const values: unknown[] = []
  for (const node of ir.nodes) {
    switch (node.kind) {
      case "param":
        values.push(params[node.index])
        break
      case "literal":
        values.push(fill(node.value, values, outer))
        break
      case "call":
        values.push(
          ops.call(
            node.task,
            node.args.map((a) => fill(a, values, outer))
          )
        )
        break
      case "get":
        values.push(ops.get(values[node.from], node.key))
        break
      case "map":
      case "fanout": {
        const over = resolve(node.over, values, outer)
        const expand = (array: unknown): unknown[] => {
          if (!Array.isArray(array))
            throw new TypeError(
              `weft: graph ${ir.name}: .map over a value that is not an array (got ${array === null ? "null" : typeof array}).`
            )
          return array.map((element) => walkIr(node.body, [element], values, ops))
        }
        values.push(ops.later(over, node.body, values, expand) ?? expand(over))
        break
      }
    }
  }
  return values[ir.output]
}

/** Every task id the graph (and its map bodies) calls. */
function taskIds(ir: GraphIr, into = new Set<string>()): Set<string> {
  for (const node of ir.nodes) {
    if (node.kind === "call") into.add(node.task)
    else if (node.kind === "map" || node.kind === "fanout") taskIds(node.body, into)
  }
  return into
}

/** The indices of the enclosing graph's nodes that `body` uses (its negative references). */
function capturedBy(body: GraphIr): number[] {
  const found = new Set<number>()
  const scan = (value: IrValue): void => {
    if (isIrRef(value)) {
      if (value.$node < 0) found.add(-1 - value.$node)
    } else if (Array.isArray(value)) value.forEach(scan)
    else if (typeof value === "object" && value !== null) Object.values(value).forEach((v) => scan(v as IrValue))
  }
  for (const node of body.nodes) {
    if (node.kind === "literal") scan(node.value)
    else if (node.kind === "call") node.args.forEach(scan)
    else if (node.kind === "get" && node.from < 0) found.add(-1 - node.from)
    else if ((node.kind === "map" || node.kind === "fanout") && node.over < 0) found.add(-1 - node.over)
  }
  return [...found].sort((a, b) => a - b)
}

/** The Delayeds in a value (arrays and plain objects searched). */
function delayedsIn(value: unknown, into: Delayed<unknown>[] = []): Delayed<unknown>[] {
  if (isDelayed(value)) into.push(value)
  else if (Array.isArray(value)) for (const v of value) delayedsIn(v, into)
  else if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value)) delayedsIn(v, into)
  return into
}

let fanOuts = 0

/** How many run-time fan-outs compiled graphs have made in this process (0 lets `compute` skip looking for them). @internal */
export const fanOutsMade = (): number => fanOuts

/**
 * A `.map` over a lazy value: a `fanout` Delayed (the runtime expands it once the array is known).
 * Its key hashes the body, the list's key and the captured values, so a rerun gets the same key.
 */
function fanOut(
  graph: string,
  over: Delayed<unknown>,
  body: GraphIr,
  outer: ReadonlyArray<unknown>,
  expand: (array: unknown) => unknown[]
): Delayed<unknown> {
  fanOuts++
  const captures = capturedBy(body).map((i) => outer[i])
  const tasks = [...taskIds(body)].map((id) => id.slice(id.lastIndexOf("#") + 1))
  const name = `map(${tasks.length === 0 ? "" : tasks.join(", ")})`
  const key = `map-${tokenize("weft.fanout", graph, body, over, captures)}`
  return new Delayed(key, { kind: "fanout", name, over, captured: delayedsIn(captures), expand })
}

const checkTasks = (ir: GraphIr, tasks: GraphTasks): void => {
  for (const id of taskIds(ir)) {
    if (typeof tasks[id] !== "function")
      throw new TypeError(`weft: graph ${ir.name} calls the task ${id}, which is not among its tasks.`)
  }
}

// Self-contained inline functions (they travel as source text): a read of a lazy value, and the
// wrapper of a graph whose result is not itself a Delayed (a parameter, a literal, an array of Delayeds).
const get = (value: any, key: string | number): unknown => value[key]
const value = <T>(v: T): T => v

/**
 * The runtime of a compiled `@graph`. Calling the result walks the IR: `param` gives the argument,
 * `literal` the value (its `$node` references filled in), `call` a `delayed(tasks[id])(...args)`,
 * `get` a direct read of a concrete value or a delayed read of a Delayed, and `map` over a concrete
 * array (a parameter or literal) the body once per element (a static expansion).
 *
 * A graph with no `.map` over a parameter has every node listed in its IR: the Delayeds it builds
 * are its `call` nodes (and delayed reads), one each. With `.map` over a parameter, the number of
 * calls depends on the array's length and is known only when the graph is called.
 */
export function graphModule<Params extends unknown[], Result>(
  ir: GraphIr,
  tasks: GraphTasks,
  extras?: GraphExtras<Params>
): GraphModule<Params, Result> {
  checkTasks(ir, tasks)
  const makers = new Map<string, (...args: unknown[]) => Delayed<unknown>>()
  const maker = (id: string) => {
    let found = makers.get(id)
    if (found === undefined)
      makers.set(
        id,
        (found = delayed(tasks[id] as (...args: unknown[]) => unknown) as (...args: unknown[]) => Delayed<unknown>)
      )
    return found
  }
  const ops: Ops = {
    call: (task, args) => maker(task)(...args),
    get: (from, key) => (isDelayed(from) ? delayed(get)(from, key) : (from as Record<string | number, unknown>)[key]),
    later: (over, body, outer, expand) => (isDelayed(over) ? fanOut(ir.name, over, body, outer, expand) : undefined)
  }
  const build = (...params: Params): Delayed<Result> => {
    const out = walkIr(ir, params, undefined, ops)
    return (isDelayed(out) ? out : delayed(value)(out)) as Delayed<Result>
  }
  Object.defineProperty(build, "ir", { value: ir, enumerable: true })
  Object.defineProperty(build, "name", { value: ir.name })
  if (extras?.arbitrary !== undefined)
    Object.defineProperty(build, "arbitrary", { value: extras.arbitrary, enumerable: true })
  return build as GraphModule<Params, Result>
}

/**
 * Runs `ir` directly in this process: each task called as it is reached (its result awaited when
 * it is a Promise). The reference semantics of a graph, for tests.
 */
export async function evaluateIr(ir: GraphIr, tasks: GraphTasks, params: ReadonlyArray<unknown>): Promise<unknown> {
  checkTasks(ir, tasks)
  // Walk once with calls recorded as Promises, then await every Promise in the result.
  const ops: Ops = {
    call: (task, args) => Promise.all(args.map(settle)).then((ready) => tasks[task](...ready)),
    get: (from, key) =>
      from instanceof Promise
        ? from.then((v) => (v as Record<string | number, unknown>)[key])
        : (from as Record<string | number, unknown>)[key],
    later: (over, _body, _outer, expand) => (over instanceof Promise ? over.then(expand) : undefined)
  }
  return settle(walkIr(ir, params, undefined, ops))
}

/** A value with every Promise inside arrays and plain objects awaited. */
async function settle(v: unknown): Promise<unknown> {
  if (v instanceof Promise) return settle(await v)
  if (Array.isArray(v)) return Promise.all(v.map(settle))
  if (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    const entries = await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await settle(x)] as const))
    return Object.fromEntries(entries)
  }
  return v
}
