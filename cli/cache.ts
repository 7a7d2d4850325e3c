/**
 * `weft cache stats|ls|clear|explain KEY [--dir DIR]`: look into the result cache of
 * `Client.local({ cache })` (docs/cache.md). Default folder: `.weft/cache` under the project root.
 *
 * @module
 */
import { existsSync } from "node:fs"
import * as path from "node:path"
import type { CliIo } from "../compiler/cli-io.js"
import { DiskStore } from "../cache/disk-store.js"
import { defaultCacheDir, defaultMaxBytes } from "../cache/options.js"
import type { EntryInfo } from "../cache/store.js"

/** The command's lines for `weft --help`. */
export const usage = `  weft cache stats|ls|clear [--dir DIR]
      The result cache (Client.local({ cache: true })): entries, size and the last run's
      hits and misses; every entry (ls); remove everything (clear). Default DIR: .weft/cache
      under the project root.
  weft cache explain KEY [--dir DIR]
      What went into a cache key (task, code hash, dependencies, versions, arguments, inputs).
`

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0)} MB`

/** Runs `weft cache ...`; resolves with the exit code (2 for a usage error, 1 for an unknown key). */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const words: string[] = []
  let dir: string | undefined
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--dir") {
      dir = argv[++i]
      if (dir === undefined || dir === "") return usageError(io, "--dir needs a folder, e.g. --dir .weft/cache")
    } else if (argv[i] === "--help" || argv[i] === "-h") {
      io.stdout.write(usage)
      return 0
    } else words.push(argv[i])
  }
  const [command, key, extra] = words
  const folder = dir === undefined ? defaultCacheDir(io.cwd) : path.resolve(io.cwd, dir)
  if (extra !== undefined || (command !== "explain" && key !== undefined)) {
    return usageError(io, `unexpected argument "${extra ?? key}"`)
  }
  if (command === undefined || !["stats", "ls", "clear", "explain"].includes(command)) {
    return usageError(io, command === undefined ? "give a command" : `unknown command "${command}"`)
  }
  if (command === "explain" && key === undefined) return usageError(io, "explain needs a cache key (see weft cache ls)")
  if (!existsSync(folder)) {
    io.stdout.write(`No cache at ${folder}: nothing has been cached there yet (Client.local({ cache: true })).\n`)
    return command === "explain" ? 1 : 0
  }
  const store = new DiskStore(folder, defaultMaxBytes)
  switch (command) {
    case "stats":
      return stats(store, io)
    case "ls":
      return list(store, io)
    case "clear": {
      const { entries, bytes } = await store.stats()
      await store.clear()
      io.stdout.write(`Removed ${entries} entr${entries === 1 ? "y" : "ies"} (${mb(bytes)}) from ${folder}.\n`)
      return 0
    }
    default:
      return explain(store, key!, io)
  }
}

const usageError = (io: CliIo, message: string): number => {
  io.stderr.write(`weft cache: ${message}.\n${usage}`)
  return 2
}

async function stats(store: DiskStore, io: CliIo): Promise<number> {
  const s = await store.stats()
  const lines = [`Cache ${store.location}: ${s.entries} entr${s.entries === 1 ? "y" : "ies"}, ${mb(s.bytes)}.`]
  const run = s.lastRun
  if (run === undefined) lines.push("No run recorded yet.")
  else {
    lines.push(
      `Last run (${new Date(run.endedAt).toISOString()}): ${run.hits} hits, ${run.misses} misses ` +
        `(${run.written} written, ${run.notWorthWriting} not worth writing: quicker to compute than to load)` +
        (run.lookups === undefined ? "." : `, ${run.lookups} lookups.`)
    )
  }
  io.stdout.write(lines.join("\n") + "\n")
  return 0
}

async function list(store: DiskStore, io: CliIo): Promise<number> {
  const entries = (await store.list()).sort((a, b) => b.usedAt - a.usedAt)
  if (entries.length === 0) {
    io.stdout.write(`Cache ${store.location} is empty.\n`)
    return 0
  }
  for (const e of entries) {
    const task = e.meta?.parts.task ?? "?"
    const ms = e.meta === undefined ? "" : `  ${e.meta.computeMs.toFixed(1)} ms`
    io.stdout.write(`${e.key}  ${task}  ${e.size} B${ms}  used ${new Date(e.usedAt).toISOString()}\n`)
  }
  return 0
}

async function explain(store: DiskStore, key: string, io: CliIo): Promise<number> {
  let entry: EntryInfo | undefined = await store.info(key)
  if (entry === undefined && /^[0-9a-f]{6,63}$/.test(key)) {
    const matches = (await store.list()).filter((e) => e.key.startsWith(key))
    if (matches.length > 1) {
      io.stderr.write(`weft cache: ${matches.length} keys start with ${key}; give more characters.\n`)
      return 1
    }
    entry = matches[0]
  }
  if (entry === undefined) {
    io.stderr.write(
      `weft cache: no entry ${key} in ${store.location}. Keys are 64 hex characters (a unique prefix will do); ` +
        `weft cache ls lists them.\n`
    )
    return 1
  }
  const p = entry.meta?.parts
  if (p === undefined) {
    io.stdout.write(`${entry.key}: ${entry.size} B, written without a description.\n`)
    return 0
  }
  const lines = [
    `key           ${entry.key}`,
    `task          ${p.task}`,
    `code          ${p.code}  (covers ${p.covers})`,
    `dependencies  ${p.dependencies === "" ? "(no lockfile)" : p.dependencies}`,
    `weft          ${p.weft}`,
    `node major    ${p.nodeMajor}`,
    `arguments     ${p.args}`,
    ...(p.inputs.length === 0
      ? ["inputs        (no Future arguments)"]
      : p.inputs.map((k, i) => `input ${i}       ${k}`)),
    ...(p.declared.length === 0 ? ["declared      (none)"] : p.declared.map((d) => `declared      ${d}`)),
    `computed in   ${entry.meta!.computeMs.toFixed(1)} ms; ${entry.size} B; last used ${new Date(entry.usedAt).toISOString()}`
  ]
  io.stdout.write(lines.join("\n") + "\n")
  return 0
}
