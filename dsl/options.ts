/**
 * Task options (spec section 1) and their validation.
 *
 * @module
 */
import { describeGot, parseDuration } from "../core/duration.js"
import { unknownOptionMessage } from "../core/options.js"

/** Options for a task, accepted by `task()`, `delayed()`, `client.with()` and `map`/`starmap`. */
export interface TaskOptions {
  /** Default `true`: equal calls share one key and one computation (spec section 4). */
  readonly pure?: boolean
  /** How often to re-run a failed attempt: a count, or a policy. `retries: N` means up to N+1 attempts. */
  readonly retries?: number | RetryPolicy
  /** Milliseconds, or a duration such as `"10 seconds"`; an attempt that runs longer fails with `TimeoutError`. */
  readonly timeout?: number | string
  /** Higher runs first; default 0. */
  readonly priority?: number
  /** Per call only: use this key instead of a computed one. */
  readonly key?: string
  /** Default `true`: with a result cache (`Client.local({ cache: true })`), a pure task's result is looked up and kept. `false` never caches it. */
  readonly cache?: boolean
  /** What else decides the result, for the result cache's key: files (their content) and environment variables (their values). */
  readonly cacheInputs?: CacheInputs
}

/** Inputs a task reads besides its arguments: part of its cache key (docs/cache.md). */
export interface CacheInputs {
  /** Files whose content the result depends on: paths relative to the project root, or absolute. */
  readonly files?: ReadonlyArray<string>
  /** Environment variables whose values the result depends on, e.g. `["API_URL"]`. */
  readonly env?: ReadonlyArray<string>
}

/** When and how often to retry a failed attempt. */
export interface RetryPolicy<E = unknown> {
  /** How many retries at most (so `times + 1` attempts). */
  readonly times: number
  /** Wait before each retry: milliseconds or a duration string. Default 0. */
  readonly delay?: number | string
  /** `"constant"` (default) waits `delay` each time; `"exponential"` doubles it after each retry. */
  readonly backoff?: "constant" | "exponential"
  /** Retry only the errors this accepts (it sees the rebuilt error). */
  readonly while?: (error: E) => boolean
}

/** Task options after validation: durations in milliseconds, retries as a policy. */
export interface NormalizedTaskOptions {
  readonly pure: boolean
  readonly retries: NormalizedRetryPolicy | undefined
  readonly timeoutMs: number | undefined
  readonly priority: number
  readonly key: string | undefined
  readonly cache: boolean
  /** Declared inputs, sorted; undefined when none. */
  readonly cacheInputs: { readonly files: ReadonlyArray<string>; readonly env: ReadonlyArray<string> } | undefined
}

/** A retry policy after validation. */
export interface NormalizedRetryPolicy {
  readonly times: number
  readonly delayMs: number
  readonly backoff: "constant" | "exponential"
  readonly while: ((error: unknown) => boolean) | undefined
}

const optionNames = ["pure", "retries", "timeout", "priority", "key", "cache", "cacheInputs"] as const
const policyNames = ["times", "delay", "backoff", "while"] as const

/** The options of a call that sets none. */
const defaults: NormalizedTaskOptions = Object.freeze({
  pure: true,
  retries: undefined,
  timeoutMs: undefined,
  priority: 0,
  key: undefined,
  cache: true,
  cacheInputs: undefined
})

// Messages: each names the call, the option, the bad value and what to write instead.
const notAnObject = (where: string, got: unknown) =>
  `${where}: options must be an object such as { retries: 3, timeout: "10 seconds" }, got ${describeGot(got)}.`
const notBoolean = (where: string, got: unknown) =>
  `${where}: option "pure" must be true or false, got ${describeGot(got)}.`
const badRetries = (where: string, got: unknown) =>
  `${where}: option "retries" must be a whole number >= 0 (retries: 3 means up to 4 attempts) or a policy such as ` +
  `{ times: 3, delay: "1 second", backoff: "exponential" }, got ${describeGot(got)}.`
const badTimes = (where: string, got: unknown) =>
  `${where}: option "retries.times" must be a whole number >= 0 (times: 3 means up to 4 attempts), got ${describeGot(got)}.`
const badBackoff = (where: string, got: unknown) =>
  `${where}: option "retries.backoff" must be "constant" or "exponential", got ${describeGot(got)}.`
const badWhile = (where: string, got: unknown) =>
  `${where}: option "retries.while" must be a function such as (error) => error instanceof NetworkError, got ${describeGot(got)}.`
const badTimeout = (where: string, got: unknown) =>
  `${where}: option "timeout" must be a positive number of milliseconds or a duration such as "10 seconds", got ${describeGot(got)}.`
const badPriority = (where: string, got: unknown) =>
  `${where}: option "priority" must be a finite number (higher runs first, default 0), got ${describeGot(got)}.`
const badCache = (where: string, got: unknown) =>
  `${where}: option "cache" must be true or false (false: never cache this task's result), got ${describeGot(got)}.`
const badCacheInputs = (where: string, what: string, got: unknown) =>
  `${where}: option "cacheInputs${what}" must be ${what === "" ? 'an object such as { files: ["data/config.json"], env: ["API_URL"] }' : "an array of non-empty strings"}, got ${describeGot(got)}.`
const badKey = (where: string, got: unknown) =>
  `${where}: option "key" must be a non-empty string, got ${describeGot(got)}.`

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const isCount = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0

/** The options valid where `key` is not (`task()`, `delayed()`, a graph's `compute`). */
const optionNamesWithoutKey = optionNames.filter((name) => name !== "key")

/**
 * Checks task options and normalizes them (durations to milliseconds, a retry count to a policy,
 * defaults filled in), so that a mistake fails at the call that made it, not later on a worker.
 * `where` names that call in the messages (`"client.map"`). `undefined` means no options; an
 * option set to `undefined` counts as not given. Throws `TypeError` for anything invalid.
 * `noKey`, when given, says why `key` is not an option of this call: a `key` is refused with it,
 * and the list of valid options in messages leaves `key` out.
 */
export const validateTaskOptions = (options: unknown, where: string, noKey?: string): NormalizedTaskOptions => {
  if (options === undefined) return defaults
  if (!isRecord(options)) throw new TypeError(notAnObject(where, options))
  const valid: readonly string[] = noKey === undefined ? optionNames : optionNamesWithoutKey
  for (const name of Object.keys(options)) {
    if (name === "key" && noKey !== undefined && options.key !== undefined) throw new TypeError(`${where}: ${noKey}`)
    if (!valid.includes(name) && name !== "key") {
      throw new TypeError(unknownOptionMessage(where, name, valid))
    }
  }
  const { pure, retries, timeout, priority, key, cache } = options
  if (pure !== undefined && typeof pure !== "boolean") throw new TypeError(notBoolean(where, pure))
  if (cache !== undefined && typeof cache !== "boolean") throw new TypeError(badCache(where, cache))
  if (priority !== undefined && !(typeof priority === "number" && Number.isFinite(priority))) {
    throw new TypeError(badPriority(where, priority))
  }
  if (key !== undefined && !(typeof key === "string" && key !== "")) throw new TypeError(badKey(where, key))
  return {
    pure: pure ?? true,
    retries: validateRetries(retries, where),
    timeoutMs: validateTimeout(timeout, where),
    priority: priority ?? 0,
    key,
    cache: cache ?? true,
    cacheInputs: validateCacheInputs(options.cacheInputs, where)
  }
}

const stringList = (value: unknown): value is ReadonlyArray<string> =>
  Array.isArray(value) && value.every((item) => typeof item === "string" && item !== "")

const validateCacheInputs = (inputs: unknown, where: string): NormalizedTaskOptions["cacheInputs"] => {
  if (inputs === undefined) return undefined
  if (!isRecord(inputs)) throw new TypeError(badCacheInputs(where, "", inputs))
  for (const name of Object.keys(inputs)) {
    if (name !== "files" && name !== "env")
      throw new TypeError(unknownOptionMessage(where, name, ["files", "env"], "cacheInputs field"))
  }
  const { files, env } = inputs
  if (files !== undefined && !stringList(files)) throw new TypeError(badCacheInputs(where, ".files", files))
  if (env !== undefined && !stringList(env)) throw new TypeError(badCacheInputs(where, ".env", env))
  if ((files?.length ?? 0) + (env?.length ?? 0) === 0) return undefined
  return { files: [...new Set(files ?? [])].sort(), env: [...new Set(env ?? [])].sort() }
}

const validateRetries = (retries: unknown, where: string): NormalizedRetryPolicy | undefined => {
  if (retries === undefined) return undefined
  if (typeof retries === "number") {
    if (!isCount(retries)) throw new TypeError(badRetries(where, retries))
    return retries === 0 ? undefined : { times: retries, delayMs: 0, backoff: "constant", while: undefined }
  }
  if (!isRecord(retries)) throw new TypeError(badRetries(where, retries))
  for (const name of Object.keys(retries)) {
    if (!(policyNames as readonly string[]).includes(name)) {
      throw new TypeError(unknownOptionMessage(where, name, policyNames, "retry policy field"))
    }
  }
  const { times, delay, backoff, while: accept } = retries
  if (!isCount(times)) throw new TypeError(badTimes(where, times))
  const delayMs = delay === undefined ? 0 : parseDuration(delay as number | string, `${where}: option "retries.delay"`)
  if (backoff !== undefined && backoff !== "constant" && backoff !== "exponential") {
    throw new TypeError(badBackoff(where, backoff))
  }
  if (accept !== undefined && typeof accept !== "function") throw new TypeError(badWhile(where, accept))
  if (times === 0) return undefined
  return {
    times,
    delayMs,
    backoff: backoff ?? "constant",
    while: accept as ((error: unknown) => boolean) | undefined
  }
}

const validateTimeout = (timeout: unknown, where: string): number | undefined => {
  if (timeout === undefined) return undefined
  if (typeof timeout === "number") {
    if (Number.isFinite(timeout) && timeout > 0) return timeout
    throw new TypeError(badTimeout(where, timeout))
  }
  if (typeof timeout !== "string") throw new TypeError(badTimeout(where, timeout))
  const ms = parseDuration(timeout, `${where}: option "timeout"`)
  if (ms <= 0) throw new TypeError(badTimeout(where, timeout))
  return ms
}

/**
 * Options of `override` over those of `base`, one level deep (a retry policy is replaced whole,
 * not merged). An option that `override` sets to `undefined` keeps `base`'s. Used for
 * `client.with(...)` over a registered task's options, and a call's options over both.
 */
export const mergeTaskOptions = (base: TaskOptions | undefined, override: TaskOptions | undefined): TaskOptions => {
  if (override === undefined) return base ?? {}
  // Not an object: hand it on unmerged, so that validateTaskOptions reports it.
  if (base === undefined || !isRecord(override)) return override
  const merged: Record<string, unknown> = { ...base }
  for (const [name, value] of Object.entries(override)) {
    if (value !== undefined) merged[name] = value
  }
  return merged as TaskOptions
}
