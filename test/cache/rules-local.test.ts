/**
 * The result cache's rules (rules.ts) on the local cluster's disk store: worker threads, the
 * cache in a folder (cacache); a user's program runs as its own process with `workers: 0`.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"
import { Client } from "weft"
import { DiskStore } from "../../dist/cache/disk-store.js"
import { cacheRules, type CacheTarget } from "./rules.js"

const base = mkdtempSync(path.join(tmpdir(), "weft-cache-local-"))
afterAll(() => rmSync(base, { recursive: true, force: true }))
const dir = path.join(base, "cache")

const local: CacheTarget = {
  client: (options) => Client.local({ workers: 1, cache: { dir, ...options } }),
  openInProgram: "Client.local({ workers: 0, cache: { dir: process.env.CACHE_DIR } })",
  env: () => ({ CACHE_DIR: dir }),
  lastRun: async () => JSON.parse(readFileSync(path.join(dir, "weft", "last-run.json"), "utf8")),
  async contents() {
    const store = new DiskStore(dir, 1e9)
    const tasks = (await store.list()).map((entry) => entry.meta?.parts.task ?? "?").sort()
    return { tasks, bytes: (await store.stats()).bytes }
  },
  clear: async () => rmSync(dir, { recursive: true, force: true }),
  tasksSeeClientEnv: true,
  editsInPlace: true
}

cacheRules(() => local)
