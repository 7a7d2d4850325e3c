/**
 * The compiler's view of a `@graph` body while it compiles: the IR nodes of one graph (the body,
 * or a `.map` callback's), what each node is (lazy, deep), the const bindings in scope, and the
 * captures of an enclosing graph's nodes.
 *
 * Values that come from a task call (or a `get`/`map` of one) are *lazy*: they are Delayeds when
 * the graph is built, so they cannot be branched on, computed with, or passed to plain functions.
 * Parameters and literals are concrete.
 *
 * `.map` callbacks may use bindings of the enclosing graph. In the IR such a capture is a `literal`
 * node of the body whose value is `{ $node: -1 - i }`: node `i` of the enclosing graph (a negative
 * index always means "one level out"; a deeper capture is first captured by the middle level).
 *
 * @module
 */
import { isIrRef, type IrNode, type IrValue } from "../../core/ir.js"

/** What the compiler knows about a node: is it a Delayed (lazy), may it hold Delayeds (deep). */
export interface NodeInfo {
  readonly lazy: boolean
  readonly deep: boolean
}

/** A compiled expression: an IR template. `undefined` stands for "already reported". */
export type Val = IrValue

/** The value of a binding whose initializer was reported: its uses report nothing more. */
export const poisoned = Symbol("poisoned")

/** The nodes and bindings of one graph (a `@graph` body or a `.map` callback), inside its enclosing one. */
export class Scope {
  readonly nodes: IrNode[] = []
  readonly info: NodeInfo[] = []
  readonly bindings = new Map<string, Val | typeof poisoned>()
  /** Outer node index -> local capture node. */
  private readonly captures = new Map<number, number>()

  constructor(readonly parent: Scope | undefined) {}

  add(node: IrNode, info: NodeInfo): number {
    this.nodes.push(node)
    this.info.push(info)
    return this.nodes.length - 1
  }

  /** The binding `name`, captured from enclosing scopes when needed; `undefined` when unknown. */
  lookup(name: string): Val | typeof poisoned | undefined {
    const own = this.bindings.get(name)
    if (own !== undefined || this.bindings.has(name)) return own
    if (this.parent === undefined) return undefined
    const outer = this.parent.lookup(name)
    if (outer === undefined || outer === poisoned) return outer
    return this.capture(outer)
  }

  /** An enclosing scope's template, its node references replaced by local capture nodes. */
  private capture(value: Val): Val {
    return mapRefs(value, (outerIndex) => {
      let local = this.captures.get(outerIndex)
      if (local === undefined) {
        local = this.add({ kind: "literal", value: { $node: -1 - outerIndex } }, this.parent!.info[outerIndex])
        this.captures.set(outerIndex, local)
      }
      return local
    })
  }

  /** Is this template a Delayed when built? */
  lazy(value: Val): boolean {
    return isIrRef(value) && this.info[value.$node].lazy
  }

  /** Does this template hold (or may it be) a Delayed? */
  involvesLazy(value: Val): boolean {
    let found = false
    mapRefs(value, (i) => {
      if (this.info[i].lazy || this.info[i].deep) found = true
      return i
    })
    return found
  }

  /** The node index holding this template (a `literal` node unless it is a reference already). */
  materialize(value: Val): number {
    if (isIrRef(value)) return value.$node
    return this.add({ kind: "literal", value }, { lazy: false, deep: this.involvesLazy(value) })
  }
}

/** `value` with each `{ $node: i }` replaced by `{ $node: f(i) }`. */
function mapRefs(value: Val, f: (index: number) => number): Val {
  if (isIrRef(value)) return { $node: f(value.$node) }
  if (Array.isArray(value)) return value.map((v) => mapRefs(v, f))
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapRefs(v as Val, f)]))
  }
  return value
}
