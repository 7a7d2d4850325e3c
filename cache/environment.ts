/**
 * The parts of a cache key that come from the project and the runtime, not the task: the project
 * root, the dependency versions in its lockfile, weft's version, Node's major version, and the
 * code a `task()` registration's module can see.
 *
 * @module
 */
import { createHash } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** sha256, hex. */
export const sha256 = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex")

/** The nearest folder at or above `from` that holds a package.json; `from` itself when none does. */
export function projectRoot(from: string): string {
  let dir = path.resolve(from)
  for (;;) {
    if (existsSync(path.join(dir, "package.json"))) return dir
    const parent = path.dirname(dir)
    if (parent === dir) return path.resolve(from)
    dir = parent
  }
}

/**
 * sha256 of the dependency versions the project's lockfile pins, or "" when it has none:
 * package-lock.json (or npm-shrinkwrap.json) by every installed package path and version (the
 * project's own name and version are left out, so a version bump of the project alone changes
 * nothing); pnpm-lock.yaml, yarn.lock and bun.lock by their whole text.
 */
export function lockfileDigest(root: string): string {
  for (const name of ["package-lock.json", "npm-shrinkwrap.json"]) {
    const file = path.join(root, name)
    if (!existsSync(file)) continue
    const text = readFileSync(file, "utf8")
    try {
      const lock = JSON.parse(text) as { packages?: Record<string, { version?: string }> }
      const lines: string[] = []
      for (const [where, entry] of Object.entries(lock.packages ?? {})) {
        if (where !== "") lines.push(`${where}@${entry.version ?? ""}`)
      }
      return sha256(lines.sort().join("\n"))
    } catch {
      return sha256(text)
    }
  }
  for (const name of ["pnpm-lock.yaml", "yarn.lock", "bun.lock"]) {
    const file = path.join(root, name)
    if (existsSync(file)) return sha256(readFileSync(file))
  }
  return ""
}

let weftVersionMemo: string | undefined
/** weft's own version, from the package.json above this module (in the sources or in dist). */
export function weftVersion(): string {
  if (weftVersionMemo !== undefined) return weftVersionMemo
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const file = path.join(dir, "package.json")
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string }
      if (pkg.name === "weft") return (weftVersionMemo = pkg.version ?? "0")
    }
    const parent = path.dirname(dir)
    if (parent === dir) return (weftVersionMemo = "unknown")
    dir = parent
  }
}

/** Node's major version: `node:v8`'s serialization format may change between majors. */
export const nodeMajor = (): string => process.versions.node.split(".")[0]

/** Relative specifiers in a module's text: static and dynamic imports and re-exports. */
const localImport = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g

/** A relative specifier's file: as written, or with the extensions a TypeScript loader tries. */
const resolveLocal = (from: string, specifier: string): string | undefined => {
  const base = path.resolve(path.dirname(from), specifier)
  const stem = base.replace(/\.[cm]?js$/, "")
  const candidates = [base, `${stem}.ts`, `${stem}.mts`, `${stem}.cts`, `${stem}.tsx`, `${stem}.js`, `${stem}.mjs`]
  candidates.push(path.join(base, "index.ts"), path.join(base, "index.js"))
  return candidates.find((file) => existsSync(file) && !file.includes(`${path.sep}node_modules${path.sep}`))
}

/**
 * What a `task()` registration's code is taken to be: the text of its module and of every module
 * it imports by a relative path, transitively (each after its path relative to `root`).
 * Package imports are covered by the lockfile part instead. Hashes whole files: a comment in the
 * task's module or in a module it imports changes it (a miss, never a false hit); `weft build`'s
 * hash, used for compiled tasks, covers only the code the task uses.
 */
export function moduleClosureDigest(moduleUrl: string, root: string): string {
  if (!moduleUrl.startsWith("file:")) return sha256(moduleUrl)
  const first = fileURLToPath(moduleUrl)
  const seen = new Set<string>([first])
  const queue = [first]
  const hash = createHash("sha256")
  while (queue.length > 0) {
    const file = queue.shift()!
    let text: string
    try {
      text = readFileSync(file, "utf8")
    } catch {
      hash.update(`${path.relative(root, file)}\u0000missing\u0000`)
      continue
    }
    hash.update(`${path.relative(root, file).split(path.sep).join("/")}\u0000${text}\u0000`)
    for (const match of text.matchAll(localImport)) {
      const next = resolveLocal(file, match[1])
      if (next !== undefined && !seen.has(next)) {
        seen.add(next)
        queue.push(next)
      }
    }
  }
  return hash.digest("hex")
}

/** A module URL as a path relative to the project root, `/`-separated (so two checkouts agree). */
export const relativeModule = (moduleUrl: string, root: string): string =>
  moduleUrl.startsWith("file:") ? path.relative(root, fileURLToPath(moduleUrl)).split(path.sep).join("/") : moduleUrl
