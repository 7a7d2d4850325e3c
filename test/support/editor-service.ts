/**
 * A language service over a project on disk whose file texts are edited in memory, as an editor's
 * are, optionally decorated by a tsserver plugin loaded as tsserver loads it (`require` of its
 * CommonJS entry). Used by the plugin's tests and by the compiler bench's plugin rows.
 */
import { createRequire } from "node:module"
import * as path from "node:path"
import ts from "typescript"

type PluginFactory = (m: { typescript: typeof ts }) => { create: (info: unknown) => ts.LanguageService }

/**
 * The service (decorated when `pluginPath` is given); `edit(file, text)` sets an absolute file's
 * text and bumps its version. Services given one `registry` share their parsed files (the tests do,
 * so that each new service does not parse the libraries again); without one, each parses its own.
 */
export function editorService(
  tsconfig: string,
  pluginPath?: string,
  registry?: ts.DocumentRegistry
): ts.LanguageService & { edit: (file: string, text: string) => void } {
  const config = ts.getParsedCommandLineOfConfigFile(
    tsconfig,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} }
  )!
  const texts = new Map<string, { text: string; version: number }>()
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => config.fileNames,
    getScriptVersion: (f) => String(texts.get(f)?.version ?? 0),
    getScriptSnapshot: (f) => {
      const text = texts.get(f)?.text ?? ts.sys.readFile(f)
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text)
    },
    getCurrentDirectory: () => path.dirname(tsconfig),
    getCompilationSettings: () => config.options,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory
  }
  const ls = ts.createLanguageService(host, registry)
  const info = {
    languageService: ls,
    languageServiceHost: host,
    project: {
      getProjectName: () => tsconfig,
      refreshDiagnostics: () => {},
      projectService: { logger: { info: () => {} } }
    },
    config: {}
  }
  const used =
    pluginPath === undefined
      ? ls
      : (createRequire(import.meta.url)(pluginPath) as PluginFactory)({ typescript: ts }).create(info)
  const edit = (file: string, text: string) => texts.set(file, { text, version: (texts.get(file)?.version ?? 0) + 1 })
  return Object.assign(Object.create(used) as ts.LanguageService, { edit })
}
