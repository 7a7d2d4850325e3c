/**
 * `weft build --arbitraries`: a fast-check arbitrary of each `@graph`'s parameter tuple, derived
 * from the parameters' TypeScript types and emitted as source text into `x.weft.ts`
 * (`graphModule(ir, tasks, { arbitrary: (fc) => fc.tuple(...) })`), so that `checkGraph(graph)`
 * needs no hand-written arbitrary. See "Arbitraries" in `docs/compiler.md`.
 *
 * The text only uses the `fc` it is given (the harness's fast-check), so the emitted module does
 * not import fast-check. A type with no arbitrary here is WEFT1008 at the parameter, naming the
 * type and where it sits inside the parameter's type (`paths[number].created`).
 *
 * @module
 */
import { Node, ts, type FunctionDeclaration, type ParameterDeclaration, type Type } from "ts-morph"
import type { WeftDiagnostic } from "./diagnostics.js"

/** The source text of an arbitrary, before layout: calls, object literals and plain text. */
type Doc =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "call"; readonly head: string; readonly args: ReadonlyArray<Doc>; readonly tail?: string }
  | { readonly kind: "object"; readonly entries: ReadonlyArray<readonly [string, Doc]> }

const text = (t: string): Doc => ({ kind: "text", text: t })
const call = (head: string, ...args: Doc[]): Doc => ({ kind: "call", head: `fc.${head}`, args })

/** Why a type has no arbitrary: the type as TypeScript prints it, where it is, and what it is. */
interface Failure {
  readonly type: string
  readonly path: string
  readonly reason: string
}

class NotDerivable extends Error {
  constructor(readonly failure: Failure) {
    super(failure.reason)
  }
}

/** Lines longer than this are broken, one argument or property per line. */
const width = 100

const flat = (doc: Doc): string => {
  switch (doc.kind) {
    case "text":
      return doc.text
    case "call":
      return `${doc.head}(${doc.args.map(flat).join(", ")})${doc.tail ?? ""}`
    case "object":
      return doc.entries.length === 0 ? "{}" : `{ ${doc.entries.map(([k, v]) => `${k}: ${flat(v)}`).join(", ")} }`
  }
}

/** The doc as text starting at `column` of a line indented by `indent`: on one line when it fits. */
function layout(doc: Doc, indent: string, column: number): string {
  const line = flat(doc)
  if (column + line.length <= width || doc.kind === "text") return line
  const inner = `${indent}  `
  if (doc.kind === "object") {
    return `{\n${doc.entries.map(([k, v]) => `${inner}${k}: ${layout(v, inner, inner.length + k.length + 2)}`).join(",\n")}\n${indent}}`
  }
  if (doc.args.length === 0) return line
  // One argument, or a record model followed by its constraints: keep the argument on the call's
  // line and break inside it (`fc.array(fc.record({` ... `}))`), as Prettier would.
  const [first, ...rest] = doc.args
  if (rest.every((a) => a.kind === "text") && (rest.length === 0 || first.kind === "object")) {
    const after = rest.map((a) => `, ${flat(a)}`).join("")
    const closing = after.length + 1 + (doc.tail ?? "").length
    return `${doc.head}(${layout(first, indent, column + doc.head.length + 1 + closing)}${after})${doc.tail ?? ""}`
  }
  return `${doc.head}(\n${doc.args.map((a) => `${inner}${layout(a, inner, inner.length)}`).join(",\n")}\n${indent})${doc.tail ?? ""}`
}

/** `{ noNaN, noDefaultInfinity }`: NaN is not equal to itself and infinities are rarely meant. */
const numberArbitrary = call("double", text("{ noNaN: true, noDefaultInfinity: true }"))

/** The value of a literal type as source text (`"a"`, `1`, `true`, `10n`). */
function literalText(type: Type): string | undefined {
  const flags = type.getFlags()
  if (flags & ts.TypeFlags.BooleanLiteral) return type.getText()
  if (flags & (ts.TypeFlags.StringLiteral | ts.TypeFlags.NumberLiteral)) {
    return JSON.stringify((type.compilerType as ts.LiteralType).value)
  }
  if (flags & ts.TypeFlags.BigIntLiteral) {
    const value = (type.compilerType as ts.BigIntLiteralType).value
    return `${value.negative ? "-" : ""}${value.base10Value}n`
  }
  if (flags & ts.TypeFlags.Null) return "null"
  if (flags & ts.TypeFlags.Undefined) return "undefined"
  return undefined
}

/**
 * A literal as an argument of `constant`/`constantFrom`: `"a" as const`, so that it keeps its
 * literal type where fast-check cannot infer it from the expected type (inside `fc.record` with
 * `requiredKeys`). `null` and `undefined` do not widen.
 */
const constText = (literal: string): Doc =>
  text(literal === "null" || literal === "undefined" ? literal : `${literal} as const`)

/** A stable order of literal values, whatever order the checker created them in: null, undefined, booleans, numbers, strings, bigints. */
const literalRank = (t: string): [number, number | string] => {
  if (t === "null") return [0, 0]
  if (t === "undefined") return [1, 0]
  if (t === "false" || t === "true") return [2, t]
  if (t.startsWith('"')) return [4, t]
  if (t.endsWith("n")) return [5, t]
  return [3, Number(t)]
}
const byLiteral = (a: string, b: string): number => {
  const [ra, va] = literalRank(a)
  const [rb, vb] = literalRank(b)
  return ra - rb || (va < vb ? -1 : va > vb ? 1 : 0)
}

const identifier = /^[A-Za-z_$][\w$]*$/

/** Derives the arbitrary of one type; throws `NotDerivable` at the first part that has none. */
function derive(type: Type, path: string, at: Node, seen: ReadonlyArray<ts.Type>, dropUndefined = false): Doc {
  const fail = (reason: string): never => {
    throw new NotDerivable({ type: type.getText(at), path, reason })
  }
  const flags = type.getFlags()
  if (flags & ts.TypeFlags.Any) fail("any has no shape to generate")
  if (flags & ts.TypeFlags.Unknown) fail("unknown has no shape to generate")
  if (flags & ts.TypeFlags.Never) fail("never has no values")
  if (flags & ts.TypeFlags.ESSymbolLike) fail("symbols are not structured-cloneable")
  if (flags & (ts.TypeFlags.EnumLiteral | ts.TypeFlags.Enum))
    fail("enums are not derived (their members would have to be imported)")
  if (type.isTypeParameter()) fail("a type parameter has no known shape")
  if (flags & (ts.TypeFlags.TemplateLiteral | ts.TypeFlags.StringMapping))
    fail("template literal types are not derived")
  if (flags & ts.TypeFlags.NonPrimitive) fail("object has no known shape")
  if (flags & ts.TypeFlags.String) return call("string")
  if (flags & ts.TypeFlags.Number) return numberArbitrary
  if (flags & ts.TypeFlags.BigInt) return call("bigInt")
  if (flags & ts.TypeFlags.Void) return call("constant", text("undefined"))
  const literal = literalText(type)
  if (literal !== undefined) return call("constant", constText(literal))
  // `seen` holds the unions and object types being derived on the way here: meeting one again is a
  // cycle (`type Tree = { children: Tree[] }`, `type Json = string | Json[]`).
  if (seen.includes(type.compilerType)) fail("a recursive type has no finite arbitrary here")
  const inner = [...seen, type.compilerType]
  if (type.isUnion()) return union(type, path, at, inner, dropUndefined)
  if (type.isIntersection() && type.getIntersectionTypes().some((t) => !t.isObject())) {
    fail("an intersection with a primitive (a branded type) has no arbitrary that keeps the brand")
  }
  if (type.isIntersection() || type.isObject()) {
    if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0)
      fail("functions are not structured-cloneable")
    if (type.isTuple()) return tuple(type, path, at, inner)
    const name = (type.getSymbol() ?? type.getAliasSymbol())?.getName()
    const args = type.getTypeArguments()
    if (type.isArray() || type.isReadonlyArray()) {
      const element = type.getArrayElementType() ?? args[0]
      return call("array", derive(element, `${path}[number]`, at, inner))
    }
    if (name === "Date" && isLibType(type)) return call("date", text("{ noInvalidDate: true }"))
    if ((name === "Map" || name === "ReadonlyMap") && isLibType(type) && args.length === 2) {
      const entry = call(
        "tuple",
        derive(args[0], `${path}[key]`, at, inner),
        derive(args[1], `${path}[value]`, at, inner)
      )
      return { kind: "call", head: "fc.array", args: [entry], tail: ".map((entries) => new Map(entries))" }
    }
    if ((name === "Set" || name === "ReadonlySet") && isLibType(type) && args.length === 1) {
      return {
        kind: "call",
        head: "fc.array",
        args: [derive(args[0], `${path}[element]`, at, inner)],
        tail: ".map((items) => new Set(items))"
      }
    }
    const declarations = type.getSymbol()?.getDeclarations() ?? []
    if (declarations.some((d) => Node.isClassDeclaration(d) || Node.isClassExpression(d)))
      fail(`an instance of class ${name} is not plain data`)
    // Arrays, Date, Map and Set are handled above; other lib interfaces (Promise, RegExp, Error...) are not plain data.
    if (declarations.some((d) => Node.isInterfaceDeclaration(d)) && isLibType(type)) {
      fail(`${name} comes from TypeScript's lib or a package, and is not known to be plain data`)
    }
    return object(type, path, at, inner)
  }
  return fail("this kind of type is not derived")
}

/** True when the type's symbol is declared by TypeScript's lib files or a package, not the project. */
function isLibType(type: Type): boolean {
  const declarations = type.getSymbol()?.getDeclarations() ?? []
  return (
    declarations.length > 0 &&
    declarations.every((d) => d.getSourceFile().isInNodeModules() || d.getSourceFile().isFromExternalLibrary())
  )
}

/**
 * A union: its literal members as one `constantFrom` (both booleans alone: `boolean()`), the other
 * members each derived, joined with `oneof`; `null` and `undefined` become `option` (undefined is
 * left out where a `?` already says it: `dropUndefined`).
 */
function union(type: Type, path: string, at: Node, seen: ReadonlyArray<ts.Type>, dropUndefined: boolean): Doc {
  const members = type.getUnionTypes()
  const isNil = (t: Type) => t.isNull() || t.isUndefined()
  const literals = members
    .filter((t) => !isNil(t))
    .map(literalText)
    .filter((t) => t !== undefined)
    .sort(byLiteral)
  const others = members.filter((t) => !isNil(t) && literalText(t) === undefined).map((t) => derive(t, path, at, seen))
  others.sort((a, b) => (flat(a) < flat(b) ? -1 : flat(a) > flat(b) ? 1 : 0))
  const hasNull = members.some((t) => t.isNull())
  const hasUndefined = members.some((t) => t.isUndefined()) && !dropUndefined
  const parts: Doc[] = []
  if (literals.length === 2 && literals[0] === "false" && literals[1] === "true") parts.push(call("boolean"))
  else if (literals.length === 1) parts.push(call("constant", constText(literals[0])))
  else if (literals.length > 1) {
    // Only literals and nil: one constantFrom (null and undefined included) reads best.
    if (others.length === 0) {
      const nil = [...(hasNull ? ["null"] : []), ...(hasUndefined ? ["undefined"] : [])]
      return call("constantFrom", ...[...nil, ...literals].map(constText))
    }
    parts.push(call("constantFrom", ...literals.map(constText)))
  }
  parts.push(...others)
  let doc =
    parts.length === 1
      ? parts[0]
      : parts.length === 0
        ? call("constant", text(hasNull ? "null" : "undefined"))
        : call("oneof", ...parts)
  if (parts.length === 0) return hasNull && hasUndefined ? call("constantFrom", text("null"), text("undefined")) : doc
  if (hasNull) doc = call("option", doc)
  if (hasUndefined) doc = call("option", doc, text("{ nil: undefined }"))
  return doc
}

/**
 * A tuple: `fc.tuple(...)`. With optional elements (always trailing), `fc.oneof` of a tuple per
 * allowed length, shortest first: an element is left out rather than set to `undefined`, which
 * `exactOptionalPropertyTypes` would refuse. Rest elements are not derived.
 */
function tuple(type: Type, path: string, at: Node, seen: ReadonlyArray<ts.Type>): Doc {
  const target = (type.compilerType as ts.TypeReference).target as ts.TupleType
  const elements = type.getTupleElements()
  const docs = elements.map((element, i) => {
    const flag = target.elementFlags[i]
    if (flag & ts.ElementFlags.Variable) {
      throw new NotDerivable({ type: type.getText(at), path, reason: "tuples with a rest element are not derived" })
    }
    return derive(element, `${path}[${i}]`, at, seen, (flag & ts.ElementFlags.Optional) !== 0)
  })
  const required = target.elementFlags.filter((flag) => (flag & ts.ElementFlags.Required) !== 0).length
  if (required === docs.length) return call("tuple", ...docs)
  const lengths = Array.from({ length: docs.length - required + 1 }, (_, i) => required + i)
  return call("oneof", ...lengths.map((n) => call("tuple", ...docs.slice(0, n))))
}

/** An object type: `fc.record` in declaration order (optional keys left out of `requiredKeys`), or `fc.dictionary` for a string index signature alone. */
function object(type: Type, path: string, at: Node, seen: ReadonlyArray<ts.Type>): Doc {
  const properties = type.getProperties()
  const index = type.getStringIndexType()
  if (type.getNumberIndexType() !== undefined && index === undefined) {
    throw new NotDerivable({ type: type.getText(at), path, reason: "number index signatures are not derived" })
  }
  if (index !== undefined) {
    if (properties.length > 0)
      throw new NotDerivable({
        type: type.getText(at),
        path,
        reason: "an index signature beside named properties is not derived"
      })
    return call("dictionary", call("string"), derive(index, `${path}[string]`, at, seen))
  }
  const entries: Array<readonly [string, Doc]> = []
  const required: string[] = []
  for (const property of properties) {
    const name = property.getName()
    if (name.startsWith("__@") || name.startsWith("#")) {
      throw new NotDerivable({ type: type.getText(at), path, reason: `property ${name} has a symbol or private name` })
    }
    const optional = property.isOptional()
    const key = identifier.test(name) ? name : JSON.stringify(name)
    entries.push([key, derive(property.getTypeAtLocation(at), `${path}.${name}`, at, seen, optional)])
    if (!optional) required.push(JSON.stringify(name))
  }
  const record: Doc = { kind: "object", entries }
  if (required.length === entries.length) return call("record", record)
  return call("record", record, text(`{ requiredKeys: [${required.join(", ")}] }`))
}

/** The arbitrary of a graph's parameter tuple as source text, or the diagnostics of the parameters that have none. */
export interface GraphArbitrary {
  /** `(fc) => fc.tuple(...)`, laid out to start at `column` of a line indented by `indent` (see `graphArbitrary`). */
  readonly text: string | undefined
  readonly diagnostics: ReadonlyArray<WeftDiagnostic>
}

/**
 * Derives `(fc) => fc.tuple(...)` for the parameters of `fn` (a `@graph` already compiled, so its
 * parameters are plain identifiers), laid out for a line indented by `indent` where it starts at
 * `column`. `file` is the source file as diagnostics name it.
 */
export function graphArbitrary(
  fn: FunctionDeclaration,
  graphName: string,
  file: string,
  indent: string,
  column: number
): GraphArbitrary {
  const diagnostics: WeftDiagnostic[] = []
  const docs: Doc[] = []
  for (const param of fn.getParameters()) {
    const name = param.getName()
    try {
      docs.push(parameterArbitrary(param, name))
    } catch (error) {
      if (!(error instanceof NotDerivable)) throw error
      const { type, path, reason } = error.failure
      const { line, column: col } = fn.getSourceFile().getLineAndColumnAtPos(param.getNameNode().getStart())
      diagnostics.push({
        code: 1008,
        file,
        line,
        column: col,
        message: `cannot derive a fast-check arbitrary for parameter "${name}" of graph "${graphName}": type ${type} (at ${path})`,
        hint: `${reason}; pass an arbitrary to checkGraph by hand (checkGraph(graph, fc.tuple(...))), or change the type to plain data`
      })
    }
  }
  if (diagnostics.length > 0) return { text: undefined, diagnostics }
  const prefix = "(fc) => "
  return { text: `${prefix}${layout(call("tuple", ...docs), indent, column + prefix.length)}`, diagnostics }
}

/** A parameter's arbitrary; `p?: T` may be undefined (rather than shortening the tuple). */
function parameterArbitrary(param: ParameterDeclaration, name: string): Doc {
  const optional = param.hasQuestionToken()
  const doc = derive(param.getType(), name, param, [], optional)
  return optional ? call("option", doc, text("{ nil: undefined }")) : doc
}
