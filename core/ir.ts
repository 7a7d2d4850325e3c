/**
 * The intermediate representation of a compiled `@graph` (spec section 10): plain JSON data.
 *
 * A graph is a list of nodes and an output. Nodes refer to earlier nodes by index, so the list is
 * in dependency order. The six kinds are the spec's five and `fanout`: `param` (a parameter of the graph), `literal`
 * (a value written in the graph body; arrays and objects in it may hold `{ $node: i }` references,
 * which is how `[a, b]` or `{ total: t }` built from lazy values are written), `call` (a call of an
 * `@task`, its arguments as literal templates), `get` (a property or index read), `map` (a
 * sub-graph run for each element of an array known when the graph is called: a parameter or a
 * literal), `fanout` (the same over an array known only at run time: a task's result, or a
 * property or element of one; the runtime expands it once that array is computed).
 *
 * @module
 */

/** A JSON value whose arrays and objects may contain `{ $node: index }` references to earlier nodes. */
export type IrValue = null | boolean | number | string | IrValue[] | { readonly [key: string]: IrValue } | IrRef

/**
 * A reference to node `$node` of the same graph. Inside a `map` body, a negative index
 * `{ $node: -1 - i }` means node `i` of the graph one level out (a binding the `.map` callback
 * captures, such as `offset` in `xs.map((x) => add(x, offset))`); a capture from further out is
 * first captured by each level in between, so a negative reference is always exactly one level up.
 */
export interface IrRef {
  readonly $node: number
}

/** One node of a graph. */
export type IrNode =
  | { readonly kind: "param"; readonly name: string; readonly index: number }
  | { readonly kind: "literal"; readonly value: IrValue }
  | {
      readonly kind: "call"
      /** The task's id: `${module path relative to the project root}#${name}`, as registered by the emitted module. */
      readonly task: string
      readonly args: ReadonlyArray<IrValue>
    }
  | { readonly kind: "get"; readonly from: number; readonly key: string | number }
  | {
      readonly kind: "map"
      /** The node giving the array. */
      readonly over: number
      /** Run once per element: its single parameter is the element. */
      readonly body: GraphIr
    }
  | {
      readonly kind: "fanout"
      /** The node giving the array: a task's result, or a read of one (known only at run time). */
      readonly over: number
      /** Run once per element when the array is known, one sub-graph each: its single parameter is the element. */
      readonly body: GraphIr
    }

/** A compiled graph. */
export interface GraphIr {
  /** Bumped when the shape of this data changes. */
  readonly version: 1
  readonly name: string
  readonly params: ReadonlyArray<string>
  readonly nodes: ReadonlyArray<IrNode>
  /** The node whose value the graph returns. */
  readonly output: number
}

/** True for a `{ $node: i }` reference. */
export const isIrRef = (value: unknown): value is IrRef =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  typeof (value as IrRef).$node === "number" &&
  Object.keys(value).length === 1
