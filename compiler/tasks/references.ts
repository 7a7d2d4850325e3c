/**
 * The module-level declarations a function uses, in its own module and in the project's modules
 * it imports: what WEFT2002 (mutable module-level variables) and WEFT2005 (impure helpers) follow,
 * and what a task's source hash covers.
 *
 * @module
 */
import { Node, SyntaxKind, ts } from "ts-morph"
import { relativeFileOf } from "./places.js"

export const isLibDeclaration = (node: Node): boolean => {
  const sf = node.getSourceFile()
  return sf.isDeclarationFile() || sf.isInNodeModules() || sf.isFromExternalLibrary()
}

/** The module-level statement that holds `decl` in its own file, or undefined for lib and node_modules declarations. */
const moduleStatementOf = (decl: Node): Node | undefined => {
  if (isLibDeclaration(decl) || Node.isSourceFile(decl)) return undefined
  let node: Node | undefined = decl
  while (node !== undefined && !Node.isSourceFile(node.getParent())) node = node.getParent()
  return node
}

/** True for the name of a property access or property assignment (`a.x`, `{ x: 1 }`): not a variable read. */
const isPropertyName = (id: Node): boolean => {
  const parent = id.getParent()
  if (parent === undefined) return false
  if (Node.isPropertyAccessExpression(parent) && parent.getNameNode() === id) return true
  if (Node.isPropertyAssignment(parent) && parent.getNameNode() === id) return true
  if (Node.isQualifiedName(parent) && parent.getRight() === id) return true
  return false
}

export interface Reference {
  /** The identifier read. */
  readonly id: Node
  /** One of its declarations (for an import, both the import and what it imports). */
  readonly decl: Node
  /** The module-level statement holding `decl`, in `decl`'s own file. */
  readonly statement: Node
}

/**
 * The declarations, outside `root` and in the project's own sources (this module or another one,
 * followed through imports), of the identifiers used inside `root`, with their module-level statements.
 */
export const moduleReferences = (root: Node): Reference[] => {
  const refs: Reference[] = []
  const rootFile = root.getSourceFile()
  for (const id of root.getDescendantsOfKind(SyntaxKind.Identifier)) {
    if (isPropertyName(id)) continue
    const symbol = id.getSymbol()
    if (symbol === undefined) continue
    const decls = [...symbol.getDeclarations()]
    if (symbol.isAlias()) decls.push(...(symbol.getAliasedSymbol()?.getDeclarations() ?? []))
    for (const decl of decls) {
      const inside =
        decl.getSourceFile() === rootFile && decl.getPos() >= root.getPos() && decl.getEnd() <= root.getEnd()
      if (inside) continue
      const statement = moduleStatementOf(decl)
      if (statement === undefined) continue
      refs.push({ id, decl, statement })
    }
  }
  return refs
}

const byPlace = (a: Node, b: Node): number => {
  const fa = a.getSourceFile().getFilePath()
  const fb = b.getSourceFile().getFilePath()
  return fa < fb ? -1 : fa > fb ? 1 : a.getPos() - b.getPos()
}

/**
 * The text hashed for a task: its own text, then every module-level statement it uses,
 * transitively (in its module and in the project's modules it imports), each after its file's path.
 */
export const hashedText = (root: Node, rootDir: string): string => {
  const statements = new Set<Node>()
  const queue: Node[] = [root]
  while (queue.length > 0) {
    const node = queue.pop()!
    for (const { statement } of moduleReferences(node)) {
      if (statements.has(statement) || statement === root) continue
      statements.add(statement)
      queue.push(statement)
    }
  }
  const used = [...statements].sort(byPlace).map((s) => `${relativeFileOf(s.getSourceFile(), rootDir)}\n${s.getText()}`)
  return [root.getText(), ...used].join("\n\u0000\n")
}

export const mutableModuleVariable = (decl: Node): boolean => {
  if (!Node.isVariableDeclaration(decl)) return false
  const list = decl.getParent()
  if (!Node.isVariableDeclarationList(list)) return false
  const flags = list.getFlags()
  const isConst = (flags & ts.NodeFlags.Const) !== 0 || (flags & ts.NodeFlags.Using) !== 0
  return !isConst && Node.isSourceFile(list.getParent()?.getParent())
}

// Helpers a task calls: module-level functions of the project, followed transitively

const isFunctionStatement = (statement: Node): boolean =>
  Node.isFunctionDeclaration(statement) ||
  (Node.isVariableStatement(statement) &&
    statement.getDeclarations().some((d) => {
      const init = d.getInitializer()
      return init !== undefined && (Node.isArrowFunction(init) || Node.isFunctionExpression(init))
    }))

/**
 * The module-level functions (in the project's sources) that `fn` uses, directly or through each
 * other, each with the identifier in `fn` through which it is reached.
 */
export const helpersOf = (fn: Node, own: Node): Map<Node, Node> => {
  const helpers = new Map<Node, Node>()
  const queue: Array<{ node: Node; via: Node | undefined }> = [{ node: fn, via: undefined }]
  while (queue.length > 0) {
    const { node, via } = queue.shift()!
    for (const { id, statement } of moduleReferences(node)) {
      if (statement === own || helpers.has(statement) || !isFunctionStatement(statement)) continue
      const root = via ?? id
      helpers.set(statement, root)
      queue.push({ node: statement, via: root })
    }
  }
  return helpers
}
