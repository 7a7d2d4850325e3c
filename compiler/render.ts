/**
 * Renders a compiled graph's IR (`core/ir.ts`) as a Mermaid flowchart or as Graphviz dot, for
 * `weft graph FILE#NAME --format mermaid|dot`.
 *
 * One drawn node per IR node: `param x`, a literal's JSON (shortened), a call by its task's name,
 * a `get` as `.key` or `[i]`, a `map` as a node labelled `map` and a run-time fan-out (`fanout`,
 * a `.map` over a task's result) as one labelled `fan-out` (Mermaid: a double-bordered
 * trapezoid; dot: `box3d` in bold), each with its body is drawn beside it as
 * a subgraph (Mermaid `subgraph`, dot `cluster_`), the body's output joined to the map node by a
 * dotted edge. Edges go from each node's inputs to the node: the `{ $node }` references in a call's
 * arguments or a literal, a get's `from`, a map's `over`; inside a map body a negative reference
 * (a capture) is drawn from the node of the graph one level out. The graph's output is drawn with
 * a double border (dot: `peripheries=2`; Mermaid: an `output` class). Edges are written after all
 * the nodes: Mermaid moves a node into the subgraph where an edge first names it.
 *
 * Node ids are `n<index>` at the top level and `n<map index>_<index>` inside a map body, so a node
 * can be found from the IR by its path.
 *
 * @module
 */
import { isIrRef, type GraphIr, type IrNode, type IrValue } from "../core/ir.js"

/** The `$node` indices a value refers to, in order of appearance, without repeats. */
function refsIn(value: IrValue, out: number[] = []): number[] {
  if (isIrRef(value)) {
    if (!out.includes(value.$node)) out.push(value.$node)
  } else if (Array.isArray(value)) {
    for (const v of value) refsIn(v, out)
  } else if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) refsIn(v as IrValue, out)
  }
  return out
}

/** The indices of the nodes `node` takes as inputs (negative: one level out). */
function inputsOf(node: IrNode): number[] {
  switch (node.kind) {
    case "param":
      return []
    case "literal":
      return refsIn(node.value)
    case "call": {
      const out: number[] = []
      for (const arg of node.args) refsIn(arg, out)
      return out
    }
    case "get":
      return [node.from]
    case "map":
    case "fanout":
      return [node.over]
  }
}

const shorten = (text: string, max = 32): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

/** A literal template as short text, JSON-like, references written `$n` (unquoted). */
function literalText(value: IrValue): string {
  const text = (v: IrValue): string => {
    if (isIrRef(v)) return `$${v.$node}`
    if (Array.isArray(v)) return `[${v.map(text).join(",")}]`
    if (typeof v === "object" && v !== null)
      return `{${Object.entries(v)
        .map(([k, x]) => `${JSON.stringify(k)}:${text(x as IrValue)}`)
        .join(",")}}`
    return JSON.stringify(v) ?? "undefined"
  }
  return shorten(text(value))
}

/** The text shown for a node. */
export function nodeLabel(node: IrNode): string {
  switch (node.kind) {
    case "param":
      return `param ${node.name}`
    case "literal":
      return literalText(node.value)
    case "call":
      return node.task.slice(node.task.lastIndexOf("#") + 1)
    case "get":
      return typeof node.key === "number" ? `[${node.key}]` : `.${node.key}`
    case "map":
      return "map"
    case "fanout":
      return "fan-out (at run time)"
  }
}

/** Walks the graph and its map bodies, calling back with drawing instructions. */
interface Sink {
  node(id: string, label: string, kind: IrNode["kind"], output: boolean): void
  edge(from: string, to: string, dotted: boolean): void
  open(id: string, label: string): void
  close(): void
}

function walk(ir: GraphIr, prefix: string, outerPrefix: string | undefined, sink: Sink): void {
  const idOf = (i: number): string => (i >= 0 ? `${prefix}${i}` : `${outerPrefix ?? prefix}${-1 - i}`)
  ir.nodes.forEach((node, i) => {
    const id = `${prefix}${i}`
    sink.node(id, nodeLabel(node), node.kind, outerPrefix === undefined && i === ir.output)
    for (const input of inputsOf(node)) sink.edge(idOf(input), id, false)
    if (node.kind === "map" || node.kind === "fanout") {
      const inner = `${id}_`
      sink.open(
        `${id}_body`,
        node.kind === "map" ? `map body of ${id}` : `fan-out body of ${id}, one per element at run time`
      )
      walk(node.body, inner, prefix, sink)
      sink.close()
      sink.edge(`${inner}${node.body.output}`, id, true)
    }
  })
}

const mermaidText = (text: string): string => text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;")

/** Mermaid flowchart (top-down) of the graph. */
export function toMermaidIr(ir: GraphIr): string {
  const lines = [`flowchart TD`]
  let depth = 1
  const pad = () => "  ".repeat(depth)
  const shapes: Record<IrNode["kind"], [string, string]> = {
    param: ["([", "])"],
    literal: ["[/", "/]"],
    call: ["[", "]"],
    get: ["{{", "}}"],
    map: ["[[", "]]"],
    fanout: ["[/", "\\]"]
  }
  const edges: string[] = []
  walk(ir, "n", undefined, {
    node(id, label, kind, output) {
      const [open, close] = shapes[kind]
      lines.push(`${pad()}${id}${open}"${mermaidText(label)}"${close}${output ? ":::output" : ""}`)
    },
    edge(from, to, dotted) {
      edges.push(`  ${from} ${dotted ? "-.->" : "-->"} ${to}`)
    },
    open(id, label) {
      lines.push(`${pad()}subgraph ${id}["${mermaidText(label)}"]`)
      depth++
    },
    close() {
      depth--
      lines.push(`${pad()}end`)
    }
  })
  lines.push(...edges, `  classDef output stroke-width:3px`)
  return `${lines.join("\n")}\n`
}

const dotString = (text: string): string => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`

/** Graphviz dot (`digraph`, top-down) of the graph. */
export function renderDot(ir: GraphIr): string {
  const lines = [`digraph ${dotString(ir.name)} {`, `  rankdir=TB;`, `  node [fontname="Helvetica"];`]
  let depth = 1
  const pad = () => "  ".repeat(depth)
  const shapes: Record<IrNode["kind"], string> = {
    param: "ellipse",
    literal: "note",
    call: "box",
    get: "diamond",
    map: "box3d",
    fanout: "box3d, style=bold"
  }
  const edges: string[] = []
  walk(ir, "n", undefined, {
    node(id, label, kind, output) {
      lines.push(`${pad()}${id} [label=${dotString(label)}, shape=${shapes[kind]}${output ? ", peripheries=2" : ""}];`)
    },
    edge(from, to, dotted) {
      edges.push(`  ${from} -> ${to}${dotted ? " [style=dotted]" : ""};`)
    },
    open(id, label) {
      lines.push(`${pad()}subgraph cluster_${id} {`)
      depth++
      lines.push(`${pad()}label=${dotString(label)};`)
    },
    close() {
      depth--
      lines.push(`${pad()}}`)
    }
  })
  lines.push(...edges, "}")
  return `${lines.join("\n")}\n`
}

/** The formats `weft graph` prints. */
export type GraphFormat = "json" | "mermaid" | "dot"

/** The graph in `format`: the IR as indented JSON, or a drawing. */
export function renderGraph(ir: GraphIr, format: GraphFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(ir, null, 2)}\n`
    case "mermaid":
      return toMermaidIr(ir)
    case "dot":
      return renderDot(ir)
  }
}
