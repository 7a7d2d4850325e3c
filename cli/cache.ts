/**
 * `weft cache stats|ls|clear|explain KEY [--dir DIR | --redis URL [--prefix P]]`: look into the
 * result cache of `Client.local({ cache })` (a folder; default `.weft/cache` under the project
 * root) or of `Client.connect(url, { cache })` (the cluster's Redis, under `{prefix}:cache:`).
 * See docs/cache.md.
 *
 * @module
 */
import { existsSync } from "node:fs"
import * as path from "node:path"
import type { CliIo } from "../compiler/cli-io.js"
import { DiskStore } from "../cache/disk-store.js"
import { defaultCacheDir, defaultMaxBytes, defaultRedisMaxBytes } from "../cache/options.js"
import type { CacheStore, EntryInfo } from "../cache/store.js"

/** The command's lines for `weft --help`. */
export const usage = `  weft cache stats|ls|clear [--dir DIR | --redis URL [--prefix P]]
      The result cache: entries, size and the last run's hits and misses; every entry (ls);
      remove everything (clear). Default: the folder of Client.local({ cache: true }),
      .weft/cache under the project root; --redis URL: the cache of Client.connect(URL,
      { cache: true }), kept in the cluster's Redis under P:cache: (P default weft).
  weft cache explain KEY [--dir DIR | --redis URL [--prefix P]]
      What went into a cache key (task, code hash, dependencies, versions, arguments, inputs).
`

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0)} MB`

/** The parsed command line, or the usage error's message. */
interface Parsed {
  readonly command: string
  readonly key: string | undefined
  readonly dir: string | undefined
  readonly redis: string | undefined
  readonly prefix: string
}

const flags = {
  "--dir": "a folder, e.g. --dir .weft/cache",
  "--redis": "a URL, e.g. --redis redis://localhost:6379",
  "--prefix": "the cluster's prefix, e.g. --prefix weft"
} as const

function parse(argv: string[]): Parsed | string {
  const words: string[] = []
  const given: Partial<Record<keyof typeof flags, string>> = {}
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as keyof typeof flags
    if (flag in flags) {
      const value = argv[++i]
      if (value === undefined || value === "" || value.startsWith("--")) return `${flag} needs ${flags[flag]}`
      given[flag] = value
    } else words.push(argv[i])
  }
  const [command, key, extra] = words
  if (extra !== undefined || (command !== "explain" && key !== undefined))
    return `unexpected argument "${extra ?? key}"`
  if (command === undefined || !["stats", "ls", "clear", "explain"].includes(command)) {
    return command === undefined ? "give a command" : `unknown command "${command}"`
  }
  if (command === "explain" && key === undefined) return "explain needs a cache key (see weft cache ls)"
  if (given["--dir"] !== undefined && given["--redis"] !== undefined)
    return "give --dir (a local cache) or --redis (a cluster's cache), not both"
  if (given["--prefix"] !== undefined && given["--redis"] === undefined)
    return "--prefix is the prefix of a cluster's keys: give it with --redis URL"
  return { command, key, dir: given["--dir"], redis: given["--redis"], prefix: given["--prefix"] ?? "weft" }
}

/** Runs `weft cache ...`; resolves with the exit code (2 for a usage error, 1 for an unknown key or an unreachable Redis). */
export async function main(argv: string[], io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(usage)
    return 0
  }
  const parsed = parse(argv)
  if (typeof parsed === "string") return usageError(io, parsed)
  if (parsed.redis !== undefined) return withRedis(parsed, parsed.redis, io)
  const folder = parsed.dir === undefined ? defaultCacheDir(io.cwd) : path.resolve(io.cwd, parsed.dir)
  if (!existsSync(folder)) {
    io.stdout.write(`No cache at ${folder}: nothing has been cached there yet (Client.local({ cache: true })).\n`)
    return parsed.command === "explain" ? 1 : 0
  }
  return run(new DiskStore(folder, defaultMaxBytes), parsed, io)
}

/** The command on the cache in a cluster's Redis; its connection is closed after. */
async function withRedis(parsed: Parsed, url: string, io: CliIo): Promise<number> {
  const { openRedis, parseRedisUrl } = await import("../executors/cluster/connection.js")
  const { RedisStore } = await import("../cache/redis-store.js")
  let redis: Awaited<ReturnType<typeof openRedis>>
  let display: string
  try {
    const target = parseRedisUrl(url)
    display = target.display
    // Only reading and deleting the cache's own keys: no need for the queue's eviction policy.
    redis = await openRedis(target, { name: "weft-cache-cli", checkPolicy: false, connectTimeoutMs: 5_000 })
  } catch (error) {
    io.stderr.write(`weft cache: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  }
  try {
    const store = new RedisStore(redis, { prefix: parsed.prefix, maxBytes: defaultRedisMaxBytes, display })
    return await run(store, parsed, io)
  } finally {
    await redis.quit().catch(() => redis.disconnect())
  }
}

async function run(store: CacheStore, parsed: Parsed, io: CliIo): Promise<number> {
  switch (parsed.command) {
    case "stats":
      return stats(store, io)
    case "ls":
      return list(store, io)
    case "clear": {
      const { entries, bytes } = await store.stats()
      await store.clear()
      io.stdout.write(`Removed ${entries} entr${entries === 1 ? "y" : "ies"} (${mb(bytes)}) from ${store.location}.\n`)
      return 0
    }
    default:
      return explain(store, parsed.key!, io)
  }
}

const usageError = (io: CliIo, message: string): number => {
  io.stderr.write(`weft cache: ${message}.\n${usage}`)
  return 2
}

async function stats(store: CacheStore, io: CliIo): Promise<number> {
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

async function list(store: CacheStore, io: CliIo): Promise<number> {
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

async function explain(store: CacheStore, key: string, io: CliIo): Promise<number> {
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
