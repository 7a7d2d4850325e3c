/**
 * WEFT2003: what structured clone cannot carry (a `@task`'s parameters and result cross a thread
 * or process boundary), as far as the types tell.
 *
 * @module
 */
import { Node, ts, type Type } from "ts-morph"
import { isLibDeclaration } from "./references.js"

const weakTypes = new Set(["WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry"])

/** Why `type` cannot be structured-cloned, or undefined when it can (as far as the types tell). */
export const uncloneable = (type: Type, allowPromise: boolean, seen: Set<Type> = new Set()): string | undefined => {
  if (seen.has(type)) return undefined
  seen.add(type)
  if (type.isAny() || type.isUnknown() || type.isNever()) return undefined
  if ((type.getFlags() & ts.TypeFlags.ESSymbolLike) !== 0) return "a symbol"
  if (type.isUnion() || type.isIntersection()) {
    const parts = type.isUnion() ? type.getUnionTypes() : (type as Type).getIntersectionTypes()
    for (const part of parts) {
      const why = uncloneable(part, allowPromise, seen)
      if (why !== undefined) return why
    }
    return undefined
  }
  if (!type.isObject()) return undefined
  const symbol = type.getSymbol() ?? type.getAliasSymbol()
  const symbolName = symbol?.getName()
  if (symbolName === "Promise" || symbolName === "PromiseLike") {
    if (!allowPromise) return "a Promise"
    const [inner] = type.getTypeArguments()
    return inner === undefined ? undefined : uncloneable(inner, false, seen)
  }
  if (symbolName !== undefined && weakTypes.has(symbolName)) return `a ${symbolName}`
  if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) return "a function"
  if (type.isArray() || type.isTuple()) {
    const elements = type.isArray() ? [type.getArrayElementTypeOrThrow()] : type.getTupleElements()
    for (const element of elements) {
      const why = uncloneable(element, false, seen)
      if (why !== undefined) return why
    }
    return undefined
  }
  for (const index of [type.getStringIndexType(), type.getNumberIndexType()]) {
    const why = index === undefined ? undefined : uncloneable(index, false, seen)
    if (why !== undefined) return `${why} (in its values)`
  }
  const declarations = symbol?.getDeclarations() ?? []
  if (declarations.some(isLibDeclaration)) {
    // Built-ins (Map, Set, Date, typed arrays...): check their type arguments only.
    for (const arg of type.getTypeArguments()) {
      const why = uncloneable(arg, false, seen)
      if (why !== undefined) return why
    }
    return undefined
  }
  for (const decl of declarations) {
    if (Node.isClassDeclaration(decl) || Node.isClassExpression(decl)) {
      const method =
        decl.getMethods().find((m) => !m.isStatic()) ?? decl.getGetAccessors()[0] ?? decl.getSetAccessors()[0]
      if (method !== undefined) {
        return `an instance of class ${decl.getName() ?? "(anonymous)"}, whose methods would be lost`
      }
    }
  }
  for (const property of type.getProperties()) {
    const decl = property.getValueDeclaration() ?? property.getDeclarations()[0]
    if (decl === undefined) continue
    const propertyType = property.getTypeAtLocation(decl)
    const why = uncloneable(propertyType, false, seen)
    if (why !== undefined) return `${why} (in property "${property.getName()}")`
  }
  return undefined
}
