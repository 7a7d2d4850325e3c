/**
 * WEFT2005: the calls that make a pure `@task` impure (equal calls would share one result):
 * randomness, clocks, `fetch`, file-system writes, crypto's random values.
 *
 * @module
 */
import { Node, SyntaxKind, type NewExpression, type PropertyAccessExpression } from "ts-morph"
import { isLibDeclaration } from "./references.js"

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

/** What makes `call` impure (a `new` or a call expression), or undefined. */
export const impurityOf = (call: Node): string | undefined => {
  if (Node.isNewExpression(call)) return newDateImpurity(call)
  if (!Node.isCallExpression(call)) return undefined
  let callee: Node = call.getExpression()
  while (Node.isParenthesizedExpression(callee) || Node.isNonNullExpression(callee)) callee = callee.getExpression()
  if (Node.isIdentifier(callee)) return calleeImpurity(callee)
  if (!Node.isPropertyAccessExpression(callee)) return undefined
  const base = callee.getExpression()
  // globalThis.fetch, globalThis.crypto.randomUUID, fs.promises.writeFile
  if (Node.isPropertyAccessExpression(base) && Node.isIdentifier(base.getExpression()))
    return deepMemberImpurity(callee, base)
  if (!Node.isIdentifier(base)) return undefined
  return memberImpurity(base, callee.getName())
}

/** `new Date()` (the global one, with no argument). */
const newDateImpurity = (call: NewExpression): string | undefined => {
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

/** A call of a plain name: the global `fetch`, or an imported fs write or crypto random function. */
const calleeImpurity = (callee: Node): string | undefined => {
  const name = callee.getText()
  const origin = originOf(callee)
  if (origin.kind === "global" && name === "fetch") return "fetch"
  if (origin.kind === "import" && fsModules.has(origin.module) && fsWrites.has(origin.imported))
    return `${origin.imported} from "${origin.module}"`
  if (origin.kind === "import" && cryptoModules.has(origin.module) && impureMembers.crypto.includes(origin.imported)) {
    return `${origin.imported} from "${origin.module}"`
  }
  return undefined
}

/** `root.object.member(...)`: `fs.promises.writeFile` (fs imported as a namespace), `globalThis.Math.random`. */
const deepMemberImpurity = (callee: PropertyAccessExpression, base: PropertyAccessExpression): string | undefined => {
  const member = callee.getName()
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

/** `base.member(...)`: a global's impure member (`Math.random`), or an fs write or crypto random of an imported module. */
const memberImpurity = (base: Node, member: string): string | undefined => {
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
