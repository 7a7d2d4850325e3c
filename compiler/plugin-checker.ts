/**
 * The compiler's side of the editor plugin (`./ts-plugin.cts`): a ts-morph project that mirrors
 * the editor's program (the texts the user is typing, not the files on disk) and runs the build's
 * checks on it (`checkLoaded`, the same function `weft check` runs). One check serves every file
 * of the program until a text changes: tsserver asks for each open file's diagnostics in turn.
 *
 * @module
 */
import * as path from "node:path"
import type { Project } from "ts-morph"
import { checkLoaded } from "./check.js"
import type { WeftDiagnostic } from "./diagnostics.js"
import { emittedSuffix } from "./emit.js"
import { loadProject } from "./project.js"

/** A source file of the editor's program. */
export interface EditorFile {
  readonly fileName: string
  readonly text: string
}

/** A diagnostic with the absolute path of its file. */
export interface PlacedDiagnostic extends WeftDiagnostic {
  readonly path: string
}

/** Runs the build's checks on the editor's view of one tsconfig project. */
export class ProjectChecker {
  private readonly project: Project
  private readonly rootDir: string
  private last: { texts: Map<string, string>; diagnostics: PlacedDiagnostic[] } | undefined

  constructor(readonly tsconfig: string) {
    this.project = loadProject({ project: tsconfig })
    this.rootDir = path.dirname(tsconfig)
  }

  /** Every WEFT diagnostic of the project whose source files are now `files` (declaration files are skipped). */
  check(files: ReadonlyArray<EditorFile>): PlacedDiagnostic[] {
    const texts = new Map<string, string>()
    for (const f of files)
      if (!/\.d\.[cm]?ts$/.test(f.fileName) && !emittedSuffix.test(f.fileName))
        texts.set(path.resolve(f.fileName), f.text)
    if (this.last !== undefined && sameTexts(this.last.texts, texts)) return this.last.diagnostics
    this.sync(texts)
    const { diagnostics } = checkLoaded(this.project, this.rootDir, { arbitraries: false, onDisk: true })
    const placed = diagnostics.map((d) => ({ ...d, path: path.join(this.rootDir, d.file) }))
    this.last = { texts, diagnostics: placed }
    return placed
  }

  /** Makes the ts-morph project hold exactly `texts` (besides declaration files). */
  private sync(texts: ReadonlyMap<string, string>): void {
    for (const sf of this.project.getSourceFiles()) {
      if (sf.isDeclarationFile()) continue
      const text = texts.get(path.resolve(sf.getFilePath()))
      if (text === undefined) this.project.removeSourceFile(sf)
      else if (text !== sf.getFullText()) sf.replaceWithText(text)
    }
    for (const [fileName, text] of texts)
      if (this.project.getSourceFile(fileName) === undefined) this.project.createSourceFile(fileName, text)
  }
}

const sameTexts = (a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean => {
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (b.get(k) !== v) return false
  return true
}
