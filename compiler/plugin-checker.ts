/**
 * The compiler's side of the editor plugin (`./ts-plugin.cts`): the build's checks (`checkLoaded`,
 * the same function `weft check` runs) on one file at a time, in the editor's texts (what the user
 * is typing, not the files on disk).
 *
 * The plugin asks for one file with its context: the project files its check reads (the files it
 * imports, transitively, for the tasks its graphs call and the types its tasks take; the files
 * that declare globals; the files whose task ids could clash with its own). Only those files are
 * put into this checker's ts-morph project, so a first check parses what that file needs, not the
 * whole project. A file's diagnostics are kept with the versions of the file and of its context:
 * asked again with the same versions, the answer is the kept one; an edit of the file, or of any
 * file it uses, changes the versions and the file is checked again. Files an edit cannot affect
 * are not checked again.
 *
 * Why a ts-morph project of its own rather than the editor's program: the checks are written
 * against ts-morph, which bundles its own TypeScript, and the editor runs its own (VS Code's, or
 * the workspace's). Their numbering of type flags differs between versions (TypeScript 5.9 and
 * 6.0 disagree on `TypeFlags.String`), so the editor's types cannot be read through ts-morph.
 *
 * @module
 */
import * as path from "node:path"
import { Project, type SourceFile } from "ts-morph"
import { checkLoaded } from "./check.js"
import type { WeftDiagnostic } from "./diagnostics.js"
import { emittedSuffix } from "./emit.js"

/** A source file of the editor's program: its text and the editor's version of it. */
export interface EditorFile {
  readonly fileName: string
  readonly text: string
  /** Changes whenever the text does (tsserver's script version). */
  readonly version: string
}

/** A diagnostic with the absolute path of its file. */
export interface PlacedDiagnostic extends WeftDiagnostic {
  readonly path: string
}

/** Declaration files and emitted modules are never checked (the build drops the latter too). */
const checkable = (fileName: string): boolean => !/\.d\.[cm]?ts$/.test(fileName) && !emittedSuffix.test(fileName)

/** Runs the build's checks, file by file, on the editor's view of one tsconfig project. */
export class ProjectChecker {
  private readonly project: Project
  private readonly rootDir: string
  /** The version each file of the ts-morph project holds. */
  private readonly held = new Map<string, string>()
  /** Per file: the versions it was checked at, and what the check found. */
  private readonly kept = new Map<string, { versions: string; diagnostics: PlacedDiagnostic[] }>()

  constructor(readonly tsconfig: string) {
    // The tsconfig's options, none of its files: those come from the editor, as checks need them.
    this.project = new Project({ tsConfigFilePath: tsconfig, skipAddingFilesFromTsConfig: true })
    this.rootDir = path.dirname(tsconfig)
  }

  /**
   * The WEFT diagnostics of `file`, given `context`: every project file its check reads (see the
   * module's comment). Answered from what was kept when no version changed since.
   */
  checkFile(file: EditorFile, context: ReadonlyArray<EditorFile>): PlacedDiagnostic[] {
    if (!checkable(file.fileName)) return []
    const versions = [file, ...context].map((f) => `${f.fileName}\u0000${f.version}`).join("\u0000")
    const kept = this.kept.get(file.fileName)
    if (kept?.versions === versions) return kept.diagnostics
    const target = this.hold(file)
    const files = [target, ...context.map((f) => this.hold(f))].filter((sf) => checkable(sf.getFilePath()))
    const { diagnostics } = checkLoaded(this.project, this.rootDir, {
      arbitraries: false,
      onDisk: true,
      scope: { files, reported: new Set([target]) }
    })
    const placed = diagnostics.map((d) => ({ ...d, path: path.join(this.rootDir, d.file) }))
    this.kept.set(file.fileName, { versions, diagnostics: placed })
    return placed
  }

  /** The ts-morph source file of `file`, holding the editor's text of it. */
  private hold(file: EditorFile): SourceFile {
    const fileName = path.resolve(file.fileName)
    const sf = this.project.getSourceFile(fileName)
    if (sf !== undefined && (this.held.get(fileName) === file.version || sf.getFullText() === file.text)) {
      this.held.set(fileName, file.version)
      return sf
    }
    this.held.set(fileName, file.version)
    return this.project.createSourceFile(fileName, file.text, { overwrite: true })
  }
}
