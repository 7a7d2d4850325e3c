/**
 * Where things are, as the `@task` pass reports them: paths relative to the project root, task
 * ids, and diagnostics at a node.
 *
 * @module
 */
import * as path from "node:path"
import type { Node, SourceFile } from "ts-morph"
import type { DiagnosticCode, WeftDiagnostic } from "../diagnostics.js"

const posix = (p: string) => p.split(path.sep).join("/")

/** The path of `sf` relative to `rootDir`, `/`-separated. */
export const relativeFileOf = (sf: SourceFile, rootDir: string): string =>
  posix(path.relative(rootDir, sf.getFilePath())) || path.basename(sf.getFilePath())

/** A task id: the module path without its extension, `#`, the name. */
export const taskIdOf = (relativeFile: string, name: string): string =>
  `${relativeFile.replace(/\.(d\.)?[cm]?tsx?$/, "")}#${name}`

/** Builds a diagnostic pointing at `pos` (or at the start of `node`). */
export const diagnosticAt = (
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

/** `file:line` of a node, for messages. */
export const placeOf = (node: Node, rootDir: string): string =>
  `${relativeFileOf(node.getSourceFile(), rootDir)}:${node.getSourceFile().getLineAndColumnAtPos(node.getStart()).line}`
