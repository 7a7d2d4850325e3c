/**
 * The build cache: answers a build with nothing changed without loading ts-morph or TypeScript.
 *
 * Loading ts-morph (and the TypeScript it bundles) takes most of a no-change `weft build` from a
 * fresh shell (~1-2 s on a busy 2-core machine), so the cache is checked with the file system
 * only: this module imports nothing but Node's own modules, and `compile()` loads the compiler
 * after a miss.
 *
 * A record, in `node_modules/.cache/weft/build-<hash of folder and outDir>.json` beside the
 * tsconfig, holds what the build read and the result it gave:
 * - the tsconfig and every config file it extends: a hash of each one's bytes;
 * - every source file of the project (as ts-morph loaded it, without `node_modules`): a hash of
 *   each one's bytes (an edit, a deletion or a rename is a miss);
 * - the folders the tsconfig's `include` patterns search (recursively for `src/**`-like
 *   patterns, `node_modules` and dot-folders left out): each one's modification time, which
 *   changes when an entry is added to it or removed (a new source file is a miss);
 * - the output folder and `--arbitraries`, which change the output.
 * A read succeeds when all of these match and every emitted file on disk still has the text the
 * cached result says.
 *
 * Folders the build itself writes into are stamped again after it writes (its own outputs are not
 * a change); a file added to one of those folders while that build ran is seen at the next edit.
 *
 * @module
 */
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import type { CompileResult } from "./types.js"

/** Bump when the emitted text, the result's shape or the record's shape changes, so that old caches are not trusted. */
const cacheFormat = 2

/** What a build read, as the cache records it. */
export interface BuildInputs {
  /** Path -> `bytes:<sha256>` (config files) or `text:<sha256>` (source files, the text ts-morph read). */
  readonly files: Record<string, string>
  /** Folder -> modification time (ms). */
  readonly dirs: Record<string, number>
}

interface CacheRecord {
  readonly format: number
  readonly outDir: string
  readonly arbitraries: boolean
  readonly inputs: BuildInputs
  readonly result: CompileResult
}

const sha256 = (data: Buffer | string): string => createHash("sha256").update(data).digest("hex")

/** Where the record of the project `rootDir` (the tsconfig's folder) built into `outDir` lives. */
const recordPath = (rootDir: string, outDir: string | undefined): string =>
  path.join(
    rootDir,
    "node_modules",
    ".cache",
    "weft",
    `build-${createHash("sha256")
      .update(`${rootDir}\0${outDir ?? ""}`)
      .digest("hex")
      .slice(0, 16)}.json`
  )

/** Folders not searched for new files: what TypeScript leaves out of `include` wildcards, and dot-folders (`.git`). */
const skippedFolder = (name: string): boolean =>
  name.startsWith(".") || name === "node_modules" || name === "bower_components" || name === "jspm_packages"

/** `dir`, and with `recursive` every folder under it (but skipped ones), with their modification times. */
function stampFolder(dir: string, recursive: boolean, into: Record<string, number>): void {
  if (into[dir] !== undefined) return
  let entries
  try {
    into[dir] = statSync(dir).mtimeMs
    if (!recursive) return
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return // a pattern's folder that does not exist: nothing to watch there
  }
  for (const entry of entries)
    if (entry.isDirectory() && !skippedFolder(entry.name)) stampFolder(path.join(dir, entry.name), true, into)
}

/**
 * Stamps the folders the tsconfig's patterns search (by time). Call it before the project is read,
 * so that a file added while the build runs is a miss next time.
 */
export function stampFolders(folders: ReadonlyArray<{ dir: string; recursive: boolean }>): BuildInputs["dirs"] {
  const dirs: Record<string, number> = {}
  for (const { dir, recursive } of folders) stampFolder(path.resolve(dir), recursive, dirs)
  return dirs
}

/** Config files by their bytes, source files by the text the build analysed. */
export function stampFiles(
  configFiles: ReadonlyArray<string>,
  sources: ReadonlyArray<{ path: string; text: string }>
): BuildInputs["files"] {
  const files: Record<string, string> = {}
  for (const file of configFiles) {
    try {
      files[path.resolve(file)] = `bytes:${sha256(readFileSync(file))}`
    } catch {
      // A config file named but not read (an `extends` probe): not an input.
    }
  }
  for (const source of sources) {
    if (source.path.split(path.sep).includes("node_modules")) continue // dependencies are not followed
    files[path.resolve(source.path)] = `text:${sha256(source.text)}`
  }
  return files
}

/** The current stamp of a recorded file: its bytes or its text (without a byte-order mark), as it was recorded. */
const stampOf = (file: string, recorded: string): string =>
  recorded.startsWith("bytes:")
    ? `bytes:${sha256(readFileSync(file))}`
    : `text:${sha256(readFileSync(file, "utf8").replace(/^\uFEFF/, ""))}`

/** True when every recorded file has the same bytes and every recorded folder the same time. */
function unchanged(inputs: BuildInputs): boolean {
  for (const [dir, mtime] of Object.entries(inputs.dirs))
    if (statSync(dir, { throwIfNoEntry: false })?.mtimeMs !== mtime) return false
  for (const [file, stamp] of Object.entries(inputs.files)) if (stampOf(file, stamp) !== stamp) return false
  return true
}

/**
 * The cached result of building the project `tsconfig` (absolute) into `outDir` with
 * `arbitraries`, or undefined when anything it depends on changed (or there is no usable record).
 * Reads files only: no ts-morph, no TypeScript.
 */
export function readCache(
  tsconfig: string,
  outDir: string | undefined,
  arbitraries: boolean
): CompileResult | undefined {
  try {
    const saved = JSON.parse(readFileSync(recordPath(path.dirname(tsconfig), outDir), "utf8")) as CacheRecord
    if (saved.format !== cacheFormat || saved.outDir !== (outDir ?? "") || saved.arbitraries !== arbitraries)
      return undefined
    if (!unchanged(saved.inputs)) return undefined
    for (const file of saved.result.files)
      if (!existsSync(file.path) || readFileSync(file.path, "utf8") !== file.text) return undefined
    return { ...saved.result, files: saved.result.files.map((file) => ({ ...file, changed: false })) }
  } catch {
    return undefined // no record, an unreadable one, or a recorded file gone: build
  }
}

/**
 * Records a build's result with the inputs stamped before it ran. Folders on the way to a file the
 * build wrote (an emitted module, the record itself) are stamped again, since that write changed
 * their time.
 */
export function writeCache(
  tsconfig: string,
  outDir: string | undefined,
  arbitraries: boolean,
  inputs: BuildInputs,
  result: CompileResult
): void {
  const where = recordPath(path.dirname(tsconfig), outDir)
  try {
    mkdirSync(path.dirname(where), { recursive: true }) // may create node_modules/ in a stamped folder
    const dirs = { ...inputs.dirs }
    // TypeScript may give the folders lower-cased on a case-insensitive file system.
    const folded = (p: string) => (process.platform === "win32" || process.platform === "darwin" ? p.toLowerCase() : p)
    const written = [where, ...result.files.filter((file) => file.changed).map((file) => file.path)].map((file) =>
      folded(path.resolve(file))
    )
    for (const dir of Object.keys(dirs)) {
      const prefix = folded(dir.endsWith(path.sep) ? dir : `${dir}${path.sep}`)
      if (written.some((file) => file.startsWith(prefix))) dirs[dir] = statSync(dir).mtimeMs
    }
    const record: CacheRecord = {
      format: cacheFormat,
      outDir: outDir ?? "",
      arbitraries,
      inputs: { files: inputs.files, dirs },
      result
    }
    writeFileSync(where, JSON.stringify(record))
  } catch {
    // A cache that cannot be written only costs the next build its shortcut.
  }
}
