/**
 * The compiler proper, loaded by `compile()` (`./compile.ts`) when the build cache cannot answer:
 * it loads the project with ts-morph, checks every `@task` and compiles every `@graph`, and writes
 * one module per annotated source file (`x.ts` gives `x.weft.ts`, beside it or under `outDir`).
 * See `docs/compiler.md`.
 *
 * Output is deterministic: the same sources give byte-identical modules, and a module whose text
 * is already on disk is not written again (`changed: false`).
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Node, ts, type FunctionDeclaration, type Project, type SourceFile } from "ts-morph"
import { graphArbitrary } from "./arbitraries.js"
import { stampFiles, stampFolders, writeCache, type BuildInputs } from "./cache.js"
import type { CompiledGraphInfo, CompileOptions, CompileResult, EmittedFile } from "./compile.js"
import type { WeftDiagnostic } from "./diagnostics.js"
import { compileGraph } from "./graphs.js"
import type { GraphIr } from "../core/ir.js"
import { findAnnotated, loadProject, type Annotated } from "./project.js"
import { analyzeTasks, relativeFileOf, type TaskInfo } from "./tasks.js"

const emittedSuffix = /\.weft\.[cm]?tsx?$/

/** `x.ts` -> `x.weft.ts` (and `.mts` -> `.weft.mts`). */
const emittedNameOf = (file: string): string => file.replace(/\.([cm]?ts)x?$/, ".weft.$1")

/** The specifier that imports `target` (a `.ts` path) from a module in `fromDir`: relative, `/`-separated, ending in `.js`. */
const specifierOf = (fromDir: string, target: string): string => {
  let rel = path.relative(fromDir, target).split(path.sep).join("/")
  if (!rel.startsWith(".")) rel = `./${rel}`
  return rel.replace(/\.([cm]?)tsx?$/, ".$1js")
}

/** The deepest folder that holds every path. */
const commonDir = (paths: ReadonlyArray<string>): string => {
  if (paths.length === 0) return "/"
  let dir = path.posix.dirname(paths[0])
  for (const p of paths)
    while (!(p === dir || p.startsWith(dir.endsWith("/") ? dir : `${dir}/`))) dir = path.posix.dirname(dir)
  return dir
}

const byPlace = (a: WeftDiagnostic, b: WeftDiagnostic) =>
  a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column || a.code - b.code

const literal = (value: unknown) => JSON.stringify(value)

/** `{ retries: 3, timeout: 10000, priority: 1, pure: false, cache: false, cacheInputs: { env: [...] } }`, in that order, only what the tag set. */
const optionsText = (t: TaskInfo): string => {
  const parts: string[] = []
  if (t.options.retries !== undefined) parts.push(`retries: ${t.options.retries}`)
  if (t.options.timeoutMs !== undefined) parts.push(`timeout: ${t.options.timeoutMs}`)
  if (t.options.priority !== undefined) parts.push(`priority: ${t.options.priority}`)
  if (t.options.impure) parts.push("pure: false")
  if (t.options.nocache === true) parts.push("cache: false")
  if (t.options.env !== undefined) parts.push(`cacheInputs: { env: ${literal(t.options.env)} }`)
  return parts.length === 0 ? "{}" : `{ ${parts.join(", ")} }`
}

/**
 * Compiles the project: diagnostics, tasks, graphs, and (when there is no diagnostic and `write`
 * is not false and the project is on disk) the emitted modules written where they changed. The
 * build cache was checked by `compile()`; a full build of a project on disk records its inputs
 * and result for the next one. `options.project` is an existing tsconfig file here.
 */
export async function build(options: CompileOptions = {}): Promise<CompileResult> {
  const inMemory = options.files !== undefined
  let project: Project
  let rootDir: string
  let tsconfig: string | undefined
  let folders: BuildInputs["dirs"] = {}
  let configFiles: string[] = []
  if (options.files !== undefined) {
    project = loadProject({ files: options.files })
    rootDir = commonDir(Object.keys(options.files).map((f) => project.getSourceFileOrThrow(f).getFilePath()))
  } else {
    tsconfig = path.resolve(options.project ?? "tsconfig.json")
    const config = configInputs(tsconfig)
    configFiles = config.files
    folders = stampFolders(config.folders) // before reading the project: a file added meanwhile is a miss next time
    project = loadProject({ project: tsconfig })
    rootDir = path.dirname(tsconfig)
  }
  const outDir = options.outDir === undefined ? undefined : path.resolve(rootDir, options.outDir)
  const write = options.write !== false && !inMemory
  const arbitraries = options.arbitraries === true

  // Emitted modules are outputs, never inputs.
  for (const sf of project.getSourceFiles()) if (emittedSuffix.test(sf.getFilePath())) project.removeSourceFile(sf)
  const inputs: BuildInputs | undefined = inMemory
    ? undefined
    : {
        dirs: folders,
        files: stampFiles(
          configFiles,
          project.getSourceFiles().map((sf) => ({ path: sf.getFilePath(), text: sf.getFullText() }))
        )
      }

  const analysis = analyzeTasks(project, rootDir)
  const diagnostics: WeftDiagnostic[] = [...analysis.diagnostics]
  const tasks = analysis.tasks
  const annotated = findAnnotated(project)

  /** Tasks by source file (relative) and name. */
  const taskByFile = new Map<string, Map<string, TaskInfo>>()
  for (const t of tasks) {
    const inFile = taskByFile.get(t.file) ?? new Map<string, TaskInfo>()
    inFile.set(t.name, t)
    taskByFile.set(t.file, inFile)
  }

  const emittedPathOf = (sourcePath: string): string =>
    outDir === undefined
      ? emittedNameOf(sourcePath)
      : path.join(outDir, emittedNameOf(path.relative(rootDir, sourcePath)))

  /** Per annotated source file: its graphs and the imported tasks they use. */
  interface Unit {
    readonly sf: SourceFile
    readonly tasks: TaskInfo[]
    /** `arbitrary`: the source text of the parameters' arbitrary, with `--arbitraries`. */
    readonly graphs: Array<{ name: string; id: string; ir: GraphIr; arbitrary?: string }>
    /** Imported tasks the graphs use: local name -> task. */
    readonly imported: Map<string, TaskInfo>
  }
  const units = new Map<string, Unit>()
  const unitOf = (sf: SourceFile): Unit => {
    const key = sf.getFilePath()
    let unit = units.get(key)
    if (unit === undefined) units.set(key, (unit = { sf, tasks: [], graphs: [], imported: new Map() }))
    return unit
  }
  for (const t of tasks) {
    const sf = project.getSourceFileOrThrow(path.join(rootDir, t.file))
    unitOf(sf).tasks.push(t)
  }

  const graphs: CompiledGraphInfo[] = []
  for (const g of annotated) {
    if (g.kind !== "graph") continue
    const sf = g.sourceFile
    const file = relativeFileOf(sf, rootDir)
    const problem = graphShapeProblem(g)
    if (problem !== undefined) {
      const { line, column } = sf.getLineAndColumnAtPos(g.nameNode.getStart())
      diagnostics.push({
        code: 1007,
        file,
        line,
        column,
        message: `@graph "${g.name}" ${problem}`,
        hint: "write it as `export function name(...) { ... }` at the top level of the module"
      })
      continue
    }
    // The tasks the body may call: the file's own, and those imported from other project files.
    const names = new Map<string, string>()
    const imported = new Map<string, TaskInfo>()
    for (const t of taskByFile.get(file)?.values() ?? []) names.set(t.name, t.id)
    for (const decl of sf.getImportDeclarations()) {
      if (decl.isTypeOnly()) continue
      const from = decl.getModuleSpecifierSourceFile()
      if (from === undefined) continue
      const inFile = taskByFile.get(relativeFileOf(from, rootDir))
      if (inFile === undefined) continue
      for (const spec of decl.getNamedImports()) {
        if (spec.isTypeOnly()) continue
        const t = inFile.get(spec.getName())
        if (t === undefined) continue
        const local = spec.getAliasNode()?.getText() ?? spec.getName()
        names.set(local, t.id)
        imported.set(local, t)
      }
    }
    const compiled = compileGraph(g.fn as FunctionDeclaration, names, file)
    diagnostics.push(...compiled.diagnostics)
    if (compiled.ir === undefined) continue
    const id = `${file.replace(/\.[cm]?tsx?$/, "")}#${g.name}`
    graphs.push({ id, file, name: g.name, ir: compiled.ir })
    // Laid out for its place in the emitted call: `  { arbitrary: (fc) => ...`.
    const derived = arbitraries
      ? graphArbitrary(g.fn as FunctionDeclaration, g.name, file, "  ", "  { arbitrary: ".length)
      : undefined
    if (derived !== undefined) diagnostics.push(...derived.diagnostics)
    const unit = unitOf(sf)
    unit.graphs.push({ name: g.name, id, ir: compiled.ir, arbitrary: derived?.text })
    for (const [local, t] of imported) if (usesTask(compiled.ir, t.id)) unit.imported.set(local, t)
  }
  diagnostics.sort(byPlace)

  if (diagnostics.length > 0) return { diagnostics, files: [], graphs, tasks }

  const only = options.only === undefined ? undefined : new Set(options.only.map((p) => path.resolve(rootDir, p)))
  const files: EmittedFile[] = []
  const ordered = [...units.values()].sort((a, b) => (a.sf.getFilePath() < b.sf.getFilePath() ? -1 : 1))
  for (const unit of ordered) {
    const source = unit.sf.getFilePath()
    if (only !== undefined && !only.has(path.resolve(source))) continue
    const out = emittedPathOf(source)
    const text = emit(unit, relativeFileOf(unit.sf, rootDir), path.dirname(out), emittedPathOf)
    const onDisk = !inMemory && existsSync(out) ? readFileSync(out, "utf8") : undefined
    const changed = onDisk !== text
    if (write && changed) {
      mkdirSync(path.dirname(out), { recursive: true })
      writeFileSync(out, text)
    }
    files.push({ source, path: out, text, changed })
  }
  const result = { diagnostics, files, graphs, tasks }
  if (only === undefined && write && tsconfig !== undefined && inputs !== undefined)
    writeCache(tsconfig, outDir, arbitraries, inputs, result)
  return result

  /** The text of one emitted module. */
  function emit(unit: Unit, relative: string, outDirOfFile: string, emittedOf: (source: string) => string): string {
    const source = unit.sf.getFilePath()
    const sourceSpec = specifierOf(outDirOfFile, source)
    const lines: string[] = [
      `// Generated by \`weft build\` from ${relative}. Do not edit: edit ${relative} and run \`weft build\` again.`,
      ""
    ]
    const weftImports = [...(unit.graphs.length > 0 ? ["graphModule"] : []), ...(unit.tasks.length > 0 ? ["task"] : [])]
    lines.push(`import { ${weftImports.join(", ")} } from "weft"`)
    if (unit.tasks.length > 0) {
      lines.push(
        `import { ${unit.tasks.map((t) => `${t.name} as __${t.name}`).join(", ")} } from ${literal(sourceSpec)}`
      )
    }
    if (unit.graphs.length > 0) {
      lines.push(
        `import type { ${unit.graphs.map((g) => `${g.name} as __${g.name}`).join(", ")} } from ${literal(sourceSpec)}`
      )
    }
    // Imported tasks, grouped by their emitted module, in a stable order.
    const byModule = new Map<string, string[]>()
    for (const [local, t] of [...unit.imported].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const spec = specifierOf(outDirOfFile, emittedOf(path.join(rootDir, t.file)))
      const list = byModule.get(spec) ?? []
      list.push(local === t.name ? t.name : `${t.name} as ${local}`)
      byModule.set(spec, list)
    }
    for (const [spec, list] of [...byModule].sort(([a], [b]) => (a < b ? -1 : 1)))
      lines.push(`import { ${list.join(", ")} } from ${literal(spec)}`)
    for (const t of unit.tasks) {
      lines.push("", `/** The @task \`${t.name}\` of ${relative}:${t.line}, registered. */`)
      lines.push(
        `export const ${t.name} = task(import.meta, __${t.name}, ${optionsText(t)}, { hash: ${literal(t.sourceHash.slice(0, 16))} })`
      )
    }
    const localOf = new Map<string, string>()
    for (const t of unit.tasks) localOf.set(t.id, t.name)
    for (const [local, t] of unit.imported) localOf.set(t.id, local)
    for (const g of unit.graphs) {
      const ids = [...taskIdsOf(g.ir)].sort()
      const record = ids.length === 0 ? "{}" : `{ ${ids.map((id) => `${literal(id)}: ${localOf.get(id)}`).join(", ")} }`
      const ir = irText(g.ir, "")
      lines.push("", `/** The @graph \`${g.name}\` of ${relative}, compiled. */`)
      lines.push(
        `export const ${g.name} = graphModule<Parameters<typeof __${g.name}>, Awaited<ReturnType<typeof __${g.name}>>>(`
      )
      lines.push(`  ${ir.split("\n").join("\n  ")},`)
      if (g.arbitrary === undefined) lines.push(`  ${record}`)
      else lines.push(`  ${record},`, `  { arbitrary: ${g.arbitrary} }`)
      lines.push(")")
    }
    return `${lines.join("\n")}\n`
  }
}

/** The IR as JSON, one node per line (map bodies nested), for readable, stable diffs. */
function irText(ir: GraphIr, indent: string): string {
  const inner = `${indent}  `
  const nodes = ir.nodes.map((node) => {
    if (node.kind !== "map") return `${inner}  ${JSON.stringify(node)}`
    return `${inner}  { "kind": "map", "over": ${node.over}, "body": ${irText(node.body, `${inner}  `)} }`
  })
  return [
    "{",
    `${inner}"version": ${ir.version}, "name": ${JSON.stringify(ir.name)}, "params": ${JSON.stringify(ir.params)},`,
    `${inner}"nodes": [`,
    nodes.join(",\n"),
    `${inner}],`,
    `${inner}"output": ${ir.output}`,
    `${indent}}`
  ].join("\n")
}

/** Why a `@graph` cannot be compiled into an importable module, or undefined. */
function graphShapeProblem(g: Annotated): string | undefined {
  if (!Node.isFunctionDeclaration(g.fn)) return "is not a function declaration"
  if (!g.moduleLevel) return "is not declared at module level"
  if (!g.fn.hasExportKeyword() || g.fn.hasDefaultKeyword())
    return "is not exported (by name), so its compiled module cannot import its type"
  return undefined
}

function taskIdsOf(ir: GraphIr, into = new Set<string>()): Set<string> {
  for (const node of ir.nodes) {
    if (node.kind === "call") into.add(node.task)
    else if (node.kind === "map") taskIdsOf(node.body, into)
  }
  return into
}

const usesTask = (ir: GraphIr, id: string): boolean => taskIdsOf(ir).has(id)

/**
 * The config files the tsconfig reads (itself and what it `extends`) and the folders its `include`
 * patterns search (`wildcardDirectories`, as `tsc --watch` watches them): the build cache's inputs
 * besides the source files.
 */
function configInputs(tsconfig: string): { files: string[]; folders: Array<{ dir: string; recursive: boolean }> } {
  const files: string[] = []
  const parsed = ts.getParsedCommandLineOfConfigFile(
    tsconfig,
    {},
    {
      ...ts.sys,
      readFile: (file) => {
        files.push(file)
        return ts.sys.readFile(file)
      },
      onUnRecoverableConfigFileDiagnostic: () => {} // loadProject reports it
    }
  )
  const folders = Object.entries(parsed?.wildcardDirectories ?? {}).map(([dir, flags]) => ({
    dir,
    recursive: (flags & ts.WatchDirectoryFlags.Recursive) !== 0
  }))
  return { files: files.length > 0 ? files : [tsconfig], folders }
}
