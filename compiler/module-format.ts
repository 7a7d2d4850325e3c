/**
 * WEFT3001: an annotated file that compiles to CommonJS. Its compiled module (`x.weft.ts`, a
 * sibling with the same module format) calls `task(import.meta, ...)` and imports `weft`, an ES
 * module only: tsc refuses both in a CommonJS file (TS1343, TS1479). Rather than write a module
 * that fails later, the build says what to change. Only for projects on disk: in-memory projects
 * have no `package.json` to decide the format.
 *
 * @module
 */
import * as path from "node:path"
import { ts, type Project } from "ts-morph"
import type { WeftDiagnostic } from "./diagnostics.js"
import type { Annotated } from "./project.js"
import { relativeFileOf } from "./tasks/places.js"

const commonJsKinds = new Set<ts.ModuleKind>([
  ts.ModuleKind.CommonJS,
  ts.ModuleKind.AMD,
  ts.ModuleKind.UMD,
  ts.ModuleKind.System
])

/** Why the file compiles to CommonJS (and so what to change), or `undefined` when it is an ES module. */
function commonJsReason(fileName: string, options: ts.CompilerOptions): string | undefined {
  const kind = options.module
  if (kind !== undefined && kind >= ts.ModuleKind.Node16 && kind <= ts.ModuleKind.NodeNext) {
    // ts-morph's source files do not carry impliedNodeFormat: ask as tsc does (package.json "type", extension).
    if (ts.getImpliedNodeFormatForFile(fileName, undefined, ts.sys, options) !== ts.ModuleKind.CommonJS)
      return undefined
    return /\.c[jt]sx?$/.test(fileName) ? "it is a .cts file" : 'the nearest package.json has no "type": "module"'
  }
  if (kind !== undefined && commonJsKinds.has(kind)) return `the tsconfig sets "module": "${ts.ModuleKind[kind]}"`
  return undefined
}

/** WEFT3001 for each annotated file of `annotated` that compiles to CommonJS, at its first annotation. */
export function moduleFormatDiagnostics(
  project: Project,
  annotated: ReadonlyArray<Annotated>,
  rootDir: string
): WeftDiagnostic[] {
  const options = project.getCompilerOptions()
  const out: WeftDiagnostic[] = []
  const seen = new Set<string>()
  for (const a of annotated) {
    const key = a.sourceFile.getFilePath()
    if (seen.has(key)) continue
    seen.add(key)
    const reason = commonJsReason(a.sourceFile.getFilePath(), options)
    if (reason === undefined) continue
    const file = relativeFileOf(a.sourceFile, rootDir)
    const { line, column } = a.sourceFile.getLineAndColumnAtPos(a.tag.getStart())
    const emitted = path.basename(file).replace(/\.([cm]?ts)x?$/, ".weft.$1")
    out.push({
      code: 3001,
      file,
      line,
      column,
      message: `${file} compiles to CommonJS (${reason}), but its compiled module ${emitted} uses import.meta and imports weft, an ES module`,
      hint: 'weft compiles ES modules: add "type": "module" to package.json (with "module": "NodeNext"), or rename the file to .mts'
    })
  }
  return out
}
