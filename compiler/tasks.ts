/**
 * The `@task` pass: finds `/** @task ... *\/` functions, reads their options, checks them
 * (WEFT2001-2006, see `docs/compiler-diagnostics.md`) and computes each task's id and source hash.
 *
 * @module
 */
import { createHash } from "node:crypto"
import * as path from "node:path"
import { Node, SyntaxKind, ts, type Project, type SourceFile, type Type } from "ts-morph"
import { parseDuration } from "../core/duration.js"
import type { DiagnosticCode, WeftDiagnostic } from "./diagnostics.js"
import { findAnnotated, type Annotated } from "./project.js"

/** The options written in a `@task` tag. */
export interface TaskTagOptions {
  readonly impure: boolean
  readonly retries?: number
  readonly timeoutMs?: number
  readonly priority?: number
  /** `nocache`: never cache this task's result (`cache: false`). */
  readonly nocache?: boolean
  /** `env=API_URL,REGION`: environment variables the result depends on (`cacheInputs.env`). */
  readonly env?: ReadonlyArray<string>
}

/** What the compiler knows about one module-level `@task` whose options are well formed. */
export interface TaskInfo {
  /** `${module path relative to the root, without extension}#${name}`, e.g. `src/io#load`. */
  readonly id: string
  readonly name: string
  /** The module's path relative to the root, `/`-separated, with its extension. */
  readonly file: string
  /** 1-based line of the declaration. */
  readonly line: number
  readonly options: TaskTagOptions
  /** sha256 (hex) of the function's text and of the module-level declarations it uses, transitively. */
  readonly sourceHash: string
}

/** The result of the pass. */
export interface TaskAnalysis {
  readonly tasks: TaskInfo[]
  readonly diagnostics: WeftDiagnostic[]
}

const posix = (p: string) => p.split(path.sep).join("/")

/** The path of `sf` relative to `rootDir`, `/`-separated. */
export const relativeFileOf = (sf: SourceFile, rootDir: string): string =>
  posix(path.relative(rootDir, sf.getFilePath())) || path.basename(sf.getFilePath())

/** A task id: the module path without its extension, `#`, the name. */
export const taskIdOf = (relativeFile: string, name: string): string =>
  `${relativeFile.replace(/\.(d\.)?[cm]?tsx?$/, "")}#${name}`

/** Builds a diagnostic pointing at `pos` (or at the start of `node`). */
const diagnosticAt = (
  rootDir: string,
  node: Node,
  code: DiagnosticCode,
  message: string,
  hint: string,
  pos: number = node.getStart()
): WeftDiagnostic => {
  const sf = node.getSourceFile()
  const { line, column } = sf.getLineAndColumnAtPos(pos)
  return { code, file: relativeFileOf(sf, rootDir), line, column, message, hint }
}

// ---------------------------------------------------------------------------------------------
// Options (WEFT2006)

const knownOptions = ["impure", "nocache", "retries", "timeout", "priority", "env"]

interface OptionProblem {
  readonly offset: number
  readonly message: string
  readonly hint: string
}

/**
 * Parses the text after `@task`: `impure`, `retries=N`, `timeout=DURATION` (`10s`, `"10 seconds"`,
 * or `10 seconds`), `priority=N`, separated by spaces, each at most once.
 */
export function parseTaskTag(text: string): { options: TaskTagOptions } | { problem: OptionProblem } {
  const tokenPattern = /(\w+)(?:=("[^"]*"|'[^']*'|\S*))?|\S+/g
  const options: {
    impure: boolean
    retries?: number
    timeoutMs?: number
    priority?: number
    nocache?: boolean
    env?: string[]
  } = { impure: false }
  const seen = new Set<string>()
  const usage = "write options as `@task impure retries=3 timeout=10s priority=1`"
  const tokens = [...text.matchAll(tokenPattern)]
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]
    const offset = token.index ?? 0
    const key = token[1]
    let value = token[2]
    if (key === undefined) {
      return { problem: { offset, message: `@task option "${token[0]}" cannot be read`, hint: usage } }
    }
    if (!knownOptions.includes(key)) {
      return {
        problem: {
          offset,
          message: `unknown @task option "${key}"`,
          hint: `the options are ${knownOptions.join(", ")}: ${usage}`
        }
      }
    }
    if (seen.has(key))
      return { problem: { offset, message: `@task option "${key}" is given twice`, hint: "keep one of them" } }
    seen.add(key)
    if (key === "impure" || key === "nocache") {
      if (value !== undefined) {
        return {
          problem: {
            offset,
            message: `@task option "${key}" takes no value, got "${token[0]}"`,
            hint: `write \`@task ${key}\``
          }
        }
      }
      if (key === "impure") options.impure = true
      else options.nocache = true
      continue
    }
    if (value === undefined || value === "") {
      return {
        problem: {
          offset,
          message: `@task option "${key}" needs a value`,
          hint: `write ${key}=..., e.g. ${example(key)}`
        }
      }
    }
    if (/^["'].*["']$/.test(value)) value = value.slice(1, -1)
    if (key === "env") {
      const names = value.split(",")
      const bad = names.find((name) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      if (bad !== undefined) {
        return {
          problem: {
            offset,
            message: `@task env "${value}" is not a list of environment variable names`,
            hint: `write e.g. ${example(key)}`
          }
        }
      }
      options.env = [...new Set(names)]
      continue
    }
    if (key === "timeout") {
      // `timeout=10 seconds`: a bare number followed by a unit word.
      const next = tokens[i + 1]
      if (
        /^\d+(\.\d+)?$/.test(value) &&
        next !== undefined &&
        next[1] !== undefined &&
        next[2] === undefined &&
        !knownOptions.includes(next[1])
      ) {
        value = `${value} ${next[0]}`
        i++
      }
      try {
        options.timeoutMs = parseDuration(value, "timeout")
      } catch {
        return {
          problem: {
            offset,
            message: `@task timeout "${value}" is not a duration`,
            hint: `give a duration with a unit, e.g. ${example(key)}`
          }
        }
      }
      continue
    }
    const n = Number(value)
    if (key === "retries") {
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
        return {
          problem: {
            offset,
            message: `@task retries "${value}" is not a whole number >= 0`,
            hint: `write e.g. ${example(key)}`
          }
        }
      }
      options.retries = n
    } else {
      if (!/^-?\d+(\.\d+)?$/.test(value) || !Number.isFinite(n)) {
        return {
          problem: { offset, message: `@task priority "${value}" is not a number`, hint: `write e.g. ${example(key)}` }
        }
      }
      options.priority = n
    }
  }
  return { options }
}

const example = (key: string): string =>
  key === "retries"
    ? "retries=3"
    : key === "timeout"
      ? 'timeout=10s or timeout="10 seconds"'
      : key === "env"
        ? "env=API_URL or env=API_URL,REGION"
        : "priority=1"

// ---------------------------------------------------------------------------------------------
// Module-level declarations a function uses (WEFT2002, source hash)

const isLibDeclaration = (node: Node): boolean => {
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

interface Reference {
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
const moduleReferences = (root: Node): Reference[] => {
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
const hashedText = (root: Node, rootDir: string): string => {
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

const mutableModuleVariable = (decl: Node): boolean => {
  if (!Node.isVariableDeclaration(decl)) return false
  const list = decl.getParent()
  if (!Node.isVariableDeclarationList(list)) return false
  const flags = list.getFlags()
  const isConst = (flags & ts.NodeFlags.Const) !== 0 || (flags & ts.NodeFlags.Using) !== 0
  return !isConst && Node.isSourceFile(list.getParent()?.getParent())
}

// ---------------------------------------------------------------------------------------------
// Structured clone (WEFT2003)

const weakTypes = new Set(["WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry"])

/** Why `type` cannot be structured-cloned, or undefined when it can (as far as the types tell). */
const uncloneable = (type: Type, allowPromise: boolean, seen: Set<Type> = new Set()): string | undefined => {
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

// ---------------------------------------------------------------------------------------------
// Purity (WEFT2005)

const fsModules = new Set(["fs", "node:fs", "fs/promises", "node:fs/promises"])
const fsWrites = new Set([
  "writeFile",
  "writeFileSync",
  "appendFile",
  "appendFileSync",
  "rm",
  "rmSync",
  "rmdir",
  "rmdirSync",
  "unlink",
  "unlinkSync",
  "mkdir",
  "mkdirSync",
  "mkdtemp",
  "mkdtempSync",
  "rename",
  "renameSync",
  "copyFile",
  "copyFileSync",
  "cp",
  "cpSync",
  "truncate",
  "truncateSync",
  "chmod",
  "chmodSync",
  "chown",
  "chownSync",
  "symlink",
  "symlinkSync",
  "link",
  "linkSync",
  "utimes",
  "utimesSync",
  "createWriteStream",
  "write",
  "writeSync",
  "open",
  "openSync"
])
/** `object.member` calls that are not pure, keyed by the global object. */
const impureMembers: Readonly<Record<string, ReadonlyArray<string>>> = {
  Math: ["random"],
  Date: ["now"],
  crypto: ["randomUUID", "getRandomValues", "randomBytes", "randomInt"],
  performance: ["now"],
  process: ["hrtime"]
}
const cryptoModules = new Set(["crypto", "node:crypto"])

/** Where an identifier comes from: a global (lib or undeclared), an import of `module` (as `imported`, or `*`), or local code. */
type Origin = { kind: "global" } | { kind: "import"; module: string; imported: string } | { kind: "local" }

const originOf = (id: Node): Origin => {
  const symbol = id.getSymbol()
  const decls = symbol?.getDeclarations() ?? []
  if (decls.length === 0) return { kind: "global" }
  const decl = decls[0]
  const moduleOf = (node: Node): string | undefined => {
    const importDecl = node.getFirstAncestorByKind(SyntaxKind.ImportDeclaration)
    return importDecl?.getModuleSpecifierValue()
  }
  if (Node.isImportSpecifier(decl)) {
    const module = moduleOf(decl)
    if (module !== undefined) return { kind: "import", module, imported: decl.getName() }
  }
  if (Node.isNamespaceImport(decl) || Node.isImportClause(decl)) {
    const module = moduleOf(decl)
    if (module !== undefined) return { kind: "import", module, imported: "*" }
  }
  if (decls.every(isLibDeclaration)) return { kind: "global" }
  return { kind: "local" }
}

/** What makes `call` impure, or undefined. */
const impurityOf = (call: Node): string | undefined => {
  if (Node.isNewExpression(call)) {
    const callee = call.getExpression()
    if (
      Node.isIdentifier(callee) &&
      callee.getText() === "Date" &&
      call.getArguments().length === 0 &&
      originOf(callee).kind === "global"
    ) {
      return "new Date()"
    }
    return undefined
  }
  if (!Node.isCallExpression(call)) return undefined
  let callee: Node = call.getExpression()
  while (Node.isParenthesizedExpression(callee) || Node.isNonNullExpression(callee)) callee = callee.getExpression()
  if (Node.isIdentifier(callee)) {
    const name = callee.getText()
    const origin = originOf(callee)
    if (origin.kind === "global" && name === "fetch") return "fetch"
    if (origin.kind === "import" && fsModules.has(origin.module) && fsWrites.has(origin.imported))
      return `${origin.imported} from "${origin.module}"`
    if (
      origin.kind === "import" &&
      cryptoModules.has(origin.module) &&
      impureMembers.crypto.includes(origin.imported)
    ) {
      return `${origin.imported} from "${origin.module}"`
    }
    return undefined
  }
  if (!Node.isPropertyAccessExpression(callee)) return undefined
  const member = callee.getName()
  let base = callee.getExpression()
  // globalThis.fetch, globalThis.crypto.randomUUID, fs.promises.writeFile
  if (Node.isPropertyAccessExpression(base) && Node.isIdentifier(base.getExpression())) {
    const root = base.getExpression()
    const origin = originOf(root)
    if (
      origin.kind === "import" &&
      fsModules.has(origin.module) &&
      origin.imported === "*" &&
      base.getName() === "promises" &&
      fsWrites.has(member)
    ) {
      return `${callee.getText()}`
    }
    if (root.getText() === "globalThis" && origin.kind === "global") {
      const name = base.getName()
      if (impureMembers[name]?.includes(member)) return `${name}.${member}`
      return undefined
    }
    return undefined
  }
  if (!Node.isIdentifier(base)) return undefined
  const baseName = base.getText()
  const origin = originOf(base)
  if (origin.kind === "global") {
    if (baseName === "globalThis" && member === "fetch") return "fetch"
    if (impureMembers[baseName]?.includes(member)) return `${baseName}.${member}`
    return undefined
  }
  if (
    (origin.kind === "import" && origin.imported === "*") ||
    (origin.kind === "import" && origin.imported === "default")
  ) {
    if (fsModules.has(origin.module) && fsWrites.has(member)) return `${baseName}.${member} (${origin.module})`
    if (cryptoModules.has(origin.module) && impureMembers.crypto.includes(member))
      return `${baseName}.${member} (${origin.module})`
  }
  if (
    origin.kind === "import" &&
    fsModules.has(origin.module) &&
    origin.imported === "promises" &&
    fsWrites.has(member)
  ) {
    return `${baseName}.${member} (${origin.module})`
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------
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
const helpersOf = (fn: Node, own: Node): Map<Node, Node> => {
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

/** `file:line` of a node, for messages. */
const placeOf = (node: Node, rootDir: string): string =>
  `${relativeFileOf(node.getSourceFile(), rootDir)}:${node.getSourceFile().getLineAndColumnAtPos(node.getStart()).line}`

// ---------------------------------------------------------------------------------------------
// The pass

/**
 * Checks every `@task` of the project and describes the module-level ones with well-formed
 * options. `rootDir` is what ids and diagnostic paths are relative to. Tasks with a diagnostic
 * other than WEFT2006/2001 are still listed (the build refuses the project anyway).
 */
export function analyzeTasks(project: Project, rootDir: string): TaskAnalysis {
  const diagnostics: WeftDiagnostic[] = []
  const tasks: TaskInfo[] = []
  const byId = new Map<string, Array<{ info: TaskInfo; task: Annotated }>>()
  for (const task of findAnnotated(project)) {
    if (task.kind !== "task") continue
    const at = (node: Node, code: DiagnosticCode, message: string, hint: string, pos?: number) =>
      diagnostics.push(diagnosticAt(rootDir, node, code, message, hint, pos))
    const sf = task.sourceFile

    // Parse the tag's own text (JSDoc line continuations blanked out, offsets kept) so that a
    // problem points at its option.
    const tagStart = task.tag.getStart()
    const afterName = task.tag.getTagNameNode().getEnd() - tagStart
    const raw = task.tag
      .getText()
      .slice(afterName)
      .replace(/(\r?\n)\s*\*(?!\/)/g, (m) => " ".repeat(m.length))
    const parsed = parseTaskTag(raw)
    if ("problem" in parsed)
      at(task.tag, 2006, parsed.problem.message, parsed.problem.hint, tagStart + afterName + parsed.problem.offset)
    if (!task.moduleLevel) {
      at(
        task.nameNode,
        2001,
        `@task "${task.name}" is declared inside a function or block, not at module level`,
        "move it to the top level of the module (and export it); pass what it used from the enclosing scope as parameters"
      )
      continue
    }

    // WEFT2007: the compiled module imports the task by its name.
    if (
      !Node.isExportable(task.statement) ||
      !task.statement.hasExportKeyword() ||
      task.statement.hasDefaultKeyword()
    ) {
      at(
        task.nameNode,
        2007,
        `@task "${task.name}" is not exported, so its compiled module cannot import it`,
        `export it by name: \`export function ${task.name}(...)\` or \`export const ${task.name} = ...\``
      )
    }

    // WEFT2002: reads of mutable module-level variables.
    const reported = new Set<string>()
    for (const { id, decl } of moduleReferences(task.fn)) {
      if (!mutableModuleVariable(decl)) continue
      const name = id.getText()
      if (reported.has(name)) continue
      reported.add(name)
      at(
        id,
        2002,
        `@task "${task.name}" reads "${name}", a mutable module-level variable (let/var): each worker has its own copy`,
        `pass "${name}" as a parameter, or declare it with const`
      )
    }

    const helpers = helpersOf(task.fn, task.statement)
    for (const [helper, via] of helpers) {
      for (const { id, decl } of moduleReferences(helper)) {
        if (!mutableModuleVariable(decl)) continue
        const name = id.getText()
        const key = `${via.getStart()}:${name}`
        if (reported.has(key)) continue
        reported.add(key)
        at(
          via,
          2002,
          `@task "${task.name}" uses "${via.getText()}", which reads "${name}" (${placeOf(id, rootDir)}), a mutable module-level variable (let/var): each worker has its own copy`,
          `pass "${name}" as a parameter, or declare it with const`
        )
      }
    }

    // WEFT2003: parameters and result.
    for (const param of task.fn.getParameters()) {
      const why = uncloneable(param.getType(), false)
      if (why === undefined) continue
      const paramName = param.getName()
      at(
        param,
        2003,
        `parameter "${paramName}" of @task "${task.name}" has type "${param.getType().getText(param)}", ${why}, which structured clone cannot carry`,
        `change the parameter to plain data (objects, arrays, primitives, Map, Set, Date, typed arrays) and rebuild anything else inside the task`
      )
    }
    const returnType = task.fn.getReturnType()
    const resultWhy = uncloneable(returnType, true)
    if (resultWhy !== undefined) {
      at(
        task.fn.getReturnTypeNode() ?? task.nameNode,
        2003,
        `the result of @task "${task.name}" has type "${returnType.getText(task.fn)}", ${resultWhy}, which structured clone cannot carry`,
        "return plain data (objects, arrays, primitives, Map, Set, Date, typed arrays) instead"
      )
    }

    const options = "options" in parsed ? parsed.options : { impure: false }

    // WEFT2005: pure tasks that call what is not pure.
    if (!options.impure) {
      const body = task.fn.getBody()
      if (body !== undefined) {
        body.forEachDescendant((node) => {
          const what = impurityOf(node)
          if (what === undefined) return
          at(
            node,
            2005,
            `pure @task "${task.name}" calls ${what}, which is not pure: equal calls would share one result`,
            `mark it /** @task impure */, or pass the value as a parameter`
          )
        })
      }
      const seenVia = new Set<string>()
      for (const [helper, via] of helpers) {
        helper.forEachDescendant((node, traversal) => {
          const what = impurityOf(node)
          if (what === undefined) return
          traversal.stop()
          const key = `${via.getStart()}:${what}`
          if (seenVia.has(key)) return
          seenVia.add(key)
          at(
            via,
            2005,
            `pure @task "${task.name}" uses "${via.getText()}", which calls ${what} (${placeOf(node, rootDir)}), which is not pure: equal calls would share one result`,
            `mark it /** @task impure */, or pass the value as a parameter`
          )
        })
      }
    }

    if ("problem" in parsed) continue
    const file = relativeFileOf(sf, rootDir)
    const info: TaskInfo = {
      id: taskIdOf(file, task.name),
      name: task.name,
      file,
      line: sf.getLineAndColumnAtPos(task.statement.getStart()).line,
      options,
      sourceHash: createHash("sha256").update(hashedText(task.statement, rootDir)).digest("hex")
    }
    tasks.push(info)
    const same = byId.get(info.id) ?? []
    same.push({ info, task })
    byId.set(info.id, same)
  }

  // WEFT2004: duplicate ids, one diagnostic per id at its second declaration.
  for (const [id, same] of byId) {
    if (same.length < 2) continue
    const where = same.map(({ info }) => `${info.file}:${info.line}`).join(", ")
    const second = same[1].task
    diagnostics.push(
      diagnosticAt(
        rootDir,
        second.nameNode,
        2004,
        `two tasks with the id "${id}": ${where}`,
        `rename one of them: task names must be unique in a module`
      )
    )
  }

  diagnostics.sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column || a.code - b.code
  )
  return { tasks, diagnostics }
}
