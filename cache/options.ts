/**
 * The `cache` option of `Client.local` and its validation.
 *
 * @module
 */
import * as path from "node:path"
import { describeGot, parseBytes } from "../core/duration.js"
import { projectRoot } from "./environment.js"

/** Where and how big the result cache is. */
export interface CacheOptions {
  /** The folder; default `.weft/cache` under the project root. A relative path is resolved from the current directory. */
  readonly dir?: string
  /** The size cap, bytes or a size such as `"2 GB"` (default); least recently used entries are evicted past it. */
  readonly maxSize?: number | string
}

/** The cache option after validation. */
export interface CacheSettings {
  readonly dir: string
  readonly maxBytes: number
}

/** The default size cap: 2 GB. */
export const defaultMaxBytes = 2e9

/** The default folder for a process started in `cwd`: `.weft/cache` under the project root. */
export const defaultCacheDir = (cwd: string): string => path.join(projectRoot(cwd), ".weft", "cache")

/** Validates `cache` (`true`, `false`, `{ dir, maxSize }` or undefined); throws `TypeError` naming what is wrong. */
export function validateCacheOption(cache: unknown, where: string, cwd: string): CacheSettings | undefined {
  if (cache === undefined || cache === false) return undefined
  if (cache === true) return { dir: defaultCacheDir(cwd), maxBytes: defaultMaxBytes }
  const example = 'Pass cache: true, or e.g. cache: { dir: ".weft/cache", maxSize: "2 GB" }.'
  if (typeof cache !== "object" || cache === null || Array.isArray(cache)) {
    throw new TypeError(
      `${where}: cache must be true, false or an object { dir, maxSize }, got ${describeGot(cache)}. ${example}`
    )
  }
  for (const name of Object.keys(cache)) {
    if (name !== "dir" && name !== "maxSize") {
      throw new TypeError(`${where}: unknown cache option "${name}"; the options are dir and maxSize. ${example}`)
    }
  }
  const { dir, maxSize } = cache as CacheOptions
  if (dir !== undefined && (typeof dir !== "string" || dir === "")) {
    throw new TypeError(`${where}: cache.dir must be a non-empty path, got ${describeGot(dir)}. ${example}`)
  }
  return {
    dir: dir === undefined ? defaultCacheDir(cwd) : path.resolve(cwd, dir),
    maxBytes: maxSize === undefined ? defaultMaxBytes : parseBytes(maxSize, `${where} cache.maxSize`)
  }
}

/** The default cap of the cache in Redis: far below what a queue needs, as Redis holds it in memory. */
export const defaultRedisMaxBytes = 256e6

/** The `cache` option of `Client.connect`: the cache is kept in the cluster's Redis (`redis-store.ts`). */
export interface RedisCacheOptions {
  /** The size cap in Redis, bytes or a size such as `"256 MB"` (default); least recently used entries are evicted past it. */
  readonly maxSize?: number | string
}

/** Validates `Client.connect`'s `cache` (`true`, `false`, `{ maxSize }` or undefined): the cap in bytes, or undefined when off. */
export function validateRedisCacheOption(cache: unknown, where: string): number | undefined {
  if (cache === undefined || cache === false) return undefined
  if (cache === true) return defaultRedisMaxBytes
  const example = 'Pass cache: true, or e.g. cache: { maxSize: "256 MB" }.'
  if (typeof cache !== "object" || cache === null || Array.isArray(cache)) {
    throw new TypeError(
      `${where}: cache must be true, false or an object { maxSize }, got ${describeGot(cache)}. ${example}`
    )
  }
  for (const name of Object.keys(cache)) {
    if (name === "dir")
      throw new TypeError(
        `${where}: cache.dir is for Client.local; a cluster keeps its cache in its Redis (docs/cache.md). ${example}`
      )
    if (name !== "maxSize")
      throw new TypeError(`${where}: unknown cache option "${name}"; the option is maxSize. ${example}`)
  }
  const { maxSize } = cache as RedisCacheOptions
  return maxSize === undefined ? defaultRedisMaxBytes : parseBytes(maxSize, `${where} cache.maxSize`)
}
