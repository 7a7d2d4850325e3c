/**
 * `weft/ts-plugin`: a TypeScript language-service plugin that reports the WEFT diagnostics of
 * `weft check` (same codes, positions, messages and hints) in any editor that runs tsserver.
 * Enable it in the tsconfig:
 *
 * ```json
 * { "compilerOptions": { "plugins": [{ "name": "weft/ts-plugin" }] } }
 * ```
 *
 * tsserver loads plugins with `require`, so this entry is CommonJS (a `.cts` file that tsc compiles
 * to `dist/compiler/ts-plugin.cjs`). The checks themselves are the compiler's, an ES module, loaded
 * here with `require` (Node 20.19 and later load an ES module without top-level await that way);
 * where `require` cannot, they are loaded with `import()` and the diagnostics appear once loaded.
 *
 * @module
 */
import type * as ts from "typescript"
import type { PlacedDiagnostic, ProjectChecker } from "./plugin-checker.js"

type CheckerModule = typeof import("./plugin-checker.js")

/** The compiler's checker module: loaded at once when `require` can, else by `import()` (then `ready` resolves). */
function loadChecker(onLoaded: () => void): { get: () => CheckerModule | undefined; ready: Promise<void> } {
  let mod: CheckerModule | undefined
  try {
    mod = require("./plugin-checker.js") as CheckerModule
    return { get: () => mod, ready: Promise.resolve() }
  } catch {
    const ready = import("./plugin-checker.js").then((m) => {
      mod = m
      onLoaded()
    })
    return { get: () => mod, ready }
  }
}

/** The length of the token a diagnostic points at: a name, else one character. */
const tokenLength = (text: string, start: number): number =>
  /^[A-Za-z_$][\w$]*/.exec(text.slice(start))?.[0].length ?? 1

/** A WEFT diagnostic as tsserver shows it: the same code, the message, the hint on the next line. */
function toTs(typescript: typeof ts, d: PlacedDiagnostic, sf: ts.SourceFile): ts.Diagnostic {
  const start = sf.getPositionOfLineAndCharacter(d.line - 1, d.column - 1)
  return {
    file: sf,
    start,
    length: tokenLength(sf.text, start),
    category: typescript.DiagnosticCategory.Error,
    code: d.code,
    source: "weft",
    messageText: `WEFT${d.code}: ${d.message}\n  hint: ${d.hint}`
  }
}

/** A project file: not a default library, not from node_modules. */
const inProject = (program: ts.Program, f: ts.SourceFile): boolean =>
  !program.isSourceFileDefaultLibrary(f) &&
  !program.isSourceFileFromExternalLibrary(f) &&
  !/[\\/]node_modules[\\/]/.test(f.fileName)

/** The project files `sf` imports or re-exports from, directly. */
function importsOf(typescript: typeof ts, program: ts.Program, sf: ts.SourceFile): ts.SourceFile[] {
  const checker = program.getTypeChecker()
  const out: ts.SourceFile[] = []
  for (const statement of sf.statements) {
    let specifier: ts.Expression | undefined
    if (typescript.isImportDeclaration(statement) || typescript.isExportDeclaration(statement))
      specifier = statement.moduleSpecifier
    else if (
      typescript.isImportEqualsDeclaration(statement) &&
      typescript.isExternalModuleReference(statement.moduleReference)
    )
      specifier = statement.moduleReference.expression
    if (specifier === undefined) continue
    const target = checker.getSymbolAtLocation(specifier)?.declarations?.find(typescript.isSourceFile)
    if (target !== undefined && inProject(program, target)) out.push(target)
  }
  return out
}

/** Per program: the files that declare globals (scripts, not modules), and the files by task-id stem. */
function projectIndex(typescript: typeof ts, program: ts.Program) {
  const scripts: ts.SourceFile[] = []
  const byStem = new Map<string, ts.SourceFile[]>()
  for (const f of program.getSourceFiles()) {
    if (!inProject(program, f)) continue
    if (!typescript.isExternalModule(f)) scripts.push(f)
    const stem = f.fileName.replace(/\.(d\.)?[cm]?tsx?$/, "")
    byStem.set(stem, [...(byStem.get(stem) ?? []), f])
  }
  return { scripts, byStem }
}

/**
 * What the check of `sf` reads besides `sf`: the project files it imports, transitively (their
 * tasks, their types), the script files (their globals), and the files whose task ids share its
 * stem (`a.ts` and `a.mts` both give `a#name`, WEFT2004).
 */
function contextOf(
  typescript: typeof ts,
  program: ts.Program,
  index: ReturnType<typeof projectIndex>,
  sf: ts.SourceFile
): ts.SourceFile[] {
  const seen = new Set<ts.SourceFile>([sf])
  const queue = [sf]
  for (let next = queue.pop(); next !== undefined; next = queue.pop())
    for (const f of importsOf(typescript, program, next)) if (!seen.has(f)) (seen.add(f), queue.push(f))
  for (const f of [...index.scripts, ...(index.byStem.get(sf.fileName.replace(/\.[cm]?tsx?$/, "")) ?? [])]) seen.add(f)
  seen.delete(sf)
  return [...seen]
}

/** What the plugin adds to one project's language service. */
function decorate(typescript: typeof ts, info: ts.server.PluginCreateInfo): ts.LanguageService {
  const ls = info.languageService
  const host = info.languageServiceHost
  const log = (message: string) => info.project.projectService?.logger?.info(`[weft/ts-plugin] ${message}`)
  const loaded = loadChecker(() => info.project.refreshDiagnostics?.())
  const tsconfig = info.project.getProjectName()
  let checker: ProjectChecker | undefined
  let indexed: { program: ts.Program; index: ReturnType<typeof projectIndex> } | undefined
  const editorFile = (f: ts.SourceFile) => ({
    fileName: f.fileName,
    text: f.text,
    version: host.getScriptVersion(f.fileName)
  })
  const weftDiagnostics = (fileName: string): ts.Diagnostic[] => {
    const mod = loaded.get()
    const program = ls.getProgram()
    const sf = program?.getSourceFile(fileName)
    if (mod === undefined || program === undefined || sf === undefined || !/\.json$/.test(tsconfig)) return []
    if (!inProject(program, sf)) return []
    checker ??= new mod.ProjectChecker(tsconfig)
    if (indexed?.program !== program) indexed = { program, index: projectIndex(typescript, program) }
    const context = contextOf(typescript, program, indexed.index, sf).map(editorFile)
    return checker.checkFile(editorFile(sf), context).map((d) => toTs(typescript, d, sf))
  }
  const proxy = Object.create(null) as ts.LanguageService
  for (const key of Object.keys(ls) as Array<keyof ts.LanguageService>) {
    const member = ls[key]
    ;(proxy as unknown as Record<string, unknown>)[key] =
      typeof member === "function"
        ? (...args: unknown[]) => (member as (...a: unknown[]) => unknown).apply(ls, args)
        : member
  }
  proxy.getSemanticDiagnostics = (fileName) => {
    const prior = ls.getSemanticDiagnostics(fileName)
    try {
      return [...prior, ...weftDiagnostics(fileName)]
    } catch (e) {
      // A bug in the checks must not take the editor's own diagnostics down.
      log(`check failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
      return prior
    }
  }
  ;(proxy as { weftReady?: Promise<void> }).weftReady = loaded.ready
  return proxy
}

/** The plugin factory tsserver calls with its own `typescript` module. */
function init(modules: { typescript: typeof ts }): ts.server.PluginModule {
  return { create: (info) => decorate(modules.typescript, info) }
}

export = init
