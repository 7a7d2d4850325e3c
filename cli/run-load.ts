/**
 * How `weft run` loads the emitted TypeScript under plain `node` (Node 20 cannot import `.ts`,
 * and the user's project need not have tsx): the emitted module and every TypeScript module it
 * reaches through relative imports are transpiled, one file at a time, with TypeScript's
 * `transpileModule` (no type-check: `weft build` has checked the graphs, and `tsc` is the
 * user's own step) into `node_modules/.cache/weft/run-<hash of the project's path>/` under the project's folder, mirroring
 * the sources' folders, and the copy of the emitted module is imported. The workers import the
 * same `.js` files (a registered task names its module by URL), so they need no loader either.
 *
 * No new dependency: TypeScript is already here for the compiler (through ts-morph). While
 * copying, imports are rewritten so that the copies behave like the sources: `weft` (and
 * `weft/...`) to this very package (the one running `weft run`, so that the graph and the CLI
 * share one runtime), relative imports of files that are not TypeScript to those files'
 * absolute URLs. Bare imports of other packages resolve from the project's `node_modules`, as
 * the cache folder lives below it. `import.meta.url` in a task module names the copy.
 *
 * @module
 */
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { SourceMap, type SourceMapPayload } from "node:module"
import * as path from "node:path"
import { pathToFileURL } from "node:url"

/** The source of each copy made in this process, by the copy's URL (for `sourceMappedStack`). */
const sourceOfCopy = new Map<string, string>()

/** What TypeScript's module gives `transpile` (loaded lazily: ts-morph's copy of `typescript`). */
type Ts = typeof import("ts-morph").ts

/**
 * The folder the copies go to, for a project whose tsconfig is in `projectDir`: named after the
 * project's path too, as projects may share a node_modules (a monorepo's, a symlinked one).
 */
export const runCacheDir = (projectDir: string): string =>
  path.join(
    projectDir,
    "node_modules",
    ".cache",
    "weft",
    `run-${createHash("sha256").update(path.resolve(projectDir)).digest("hex").slice(0, 12)}`
  )

/** The TypeScript source a relative specifier names (`./x.js` -> `./x.ts`), if there is one. */
function tsSourceOf(fromFile: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier)
  const stem = base.replace(/\.([cm]?)jsx?$/, "")
  const candidates = /\.[cm]?jsx?$/.test(base)
    ? [`${stem}.ts`, `${stem}.tsx`, `${stem}.mts`]
    : /\.[cm]?tsx?$/.test(base)
      ? [base]
      : [`${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")]
  return candidates.find((c) => existsSync(c))
}

/** Where the copy of `file` goes: its path under `cacheDir` (outside the project: `__up` for each `..`). */
function copyPathOf(file: string, projectDir: string, cacheDir: string): string {
  const relative = path
    .relative(projectDir, file)
    .split(path.sep)
    .map((part) => (part === ".." ? "__up" : part))
    .join(path.sep)
  return path.join(cacheDir, relative.replace(/\.([cm]?)tsx?$/, ".$1js"))
}

/** The specifier relative to a copy, `./`-prefixed and `/`-separated. */
const relativeSpecifier = (fromCopy: string, toCopy: string): string => {
  const rel = path.relative(path.dirname(fromCopy), toCopy).split(path.sep).join("/")
  return rel.startsWith(".") ? rel : `./${rel}`
}

/**
 * Transpiles `entry` (a `.ts` file) and the TypeScript files it reaches through relative imports
 * into the run cache; returns the URL of the entry's copy. Unchanged copies are not rewritten.
 */
export async function transpileForRun(entry: string, projectDir: string, resolveWeft: (s: string) => string) {
  const { ts } = await import("ts-morph")
  const cacheDir = runCacheDir(projectDir)
  mkdirSync(cacheDir, { recursive: true })
  // The copies are ES modules whatever the project's package.json says (a node_modules folder is no package scope).
  writeIfChanged(path.join(cacheDir, "package.json"), `{ "type": "module" }\n`)
  const done = new Set<string>()
  const queue = [path.resolve(entry)]
  while (queue.length > 0) {
    const file = queue.pop()!
    if (done.has(file)) continue
    done.add(file)
    const copy = copyPathOf(file, projectDir, cacheDir)
    const source = rewriteImports(ts, file, readFileSync(file, "utf8"), (specifier) => {
      if (specifier === "weft" || specifier.startsWith("weft/")) return resolveWeft(specifier)
      if (!specifier.startsWith(".")) return undefined
      const target = tsSourceOf(file, specifier)
      if (target === undefined) return pathToFileURL(path.resolve(path.dirname(file), specifier)).href
      queue.push(target)
      return relativeSpecifier(copy, copyPathOf(target, projectDir, cacheDir))
    })
    const output = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: false,
        esModuleInterop: true,
        sourceMap: false,
        inlineSourceMap: true
      }
    })
    mkdirSync(path.dirname(copy), { recursive: true })
    writeIfChanged(copy, output.outputText)
    sourceOfCopy.set(pathToFileURL(copy).href, file)
  }
  return pathToFileURL(copyPathOf(path.resolve(entry), projectDir, cacheDir)).href
}

/** `text` with each import/export specifier that `map` gives a replacement for replaced. */
function rewriteImports(ts: Ts, file: string, text: string, map: (specifier: string) => string | undefined): string {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false)
  const edits: Array<{ start: number; end: number; text: string }> = []
  const visit = (node: import("ts-morph").ts.Node): void => {
    const spec =
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined
        ? node.moduleSpecifier
        : ts.isCallExpression(node) &&
            node.expression.kind === ts.SyntaxKind.ImportKeyword &&
            node.arguments.length > 0 &&
            ts.isStringLiteralLike(node.arguments[0])
          ? node.arguments[0]
          : undefined
    if (spec !== undefined && ts.isStringLiteralLike(spec)) {
      const replacement = map(spec.text)
      if (replacement !== undefined)
        edits.push({ start: spec.getStart(sf), end: spec.end, text: JSON.stringify(replacement) })
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  let out = text
  for (const edit of edits.sort((a, b) => b.start - a.start))
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end)
  return out
}

function writeIfChanged(file: string, text: string): void {
  if (existsSync(file) && readFileSync(file, "utf8") === text) return
  writeFileSync(file, text)
}

/**
 * A stack trace with each frame in a copy made by `transpileForRun` pointed back at the source
 * (`src/pipeline.ts:12:11`, relative to `cwd`), through the copy's inline source map; other
 * frames as they are. Tasks' tracebacks come from worker threads, so Node's own
 * `--enable-source-maps` of this process would not reach them.
 */
export function sourceMappedStack(stack: string, cwd: string): string {
  const maps = new Map<string, SourceMap | undefined>()
  return stack.replace(/(file:\/\/[^\s()]+\.js):(\d+):(\d+)/g, (frame, url: string, line: string, column: string) => {
    const source = sourceOfCopy.get(url)
    if (source === undefined) return frame
    if (!maps.has(url)) maps.set(url, inlineMapOf(url))
    const entry = maps.get(url)?.findEntry(Number(line) - 1, Number(column) - 1)
    if (entry === undefined || !("originalLine" in entry)) return frame
    return `${path.relative(cwd, source)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`
  })
}

function inlineMapOf(url: string): SourceMap | undefined {
  try {
    const text = readFileSync(new URL(url), "utf8")
    const match = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(text)
    if (match === null) return undefined
    return new SourceMap(JSON.parse(Buffer.from(match[1], "base64").toString("utf8")) as SourceMapPayload)
  } catch {
    return undefined
  }
}
