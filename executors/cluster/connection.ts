/**
 * Connections to the cluster's Redis: parse and check the URL, open an ioredis connection that
 * fails within a bounded time instead of hanging, refuse a Redis BullMQ cannot work with, and keep
 * credentials out of every message, log line and `inspect()` output.
 *
 * Every Redis connection of the cluster (client and worker) goes through `openRedis`.
 *
 * @module
 */
import type { ConnectionOptions } from "node:tls"
import { inspect } from "node:util"
import { Redis, type RedisOptions } from "ioredis"
import { ClusterConnectionError } from "../../core/errors.js"

/** A checked Redis URL. `url` (with credentials) is not enumerable and never shown by `inspect` or JSON. */
export interface RedisTarget {
  /** The URL as given, credentials included: pass it only to `openRedis` or to a child process. */
  readonly url: string
  /** The URL without credentials (`redis://10.0.0.5:6379`, `/2` for a database other than 0): safe to print. */
  readonly display: string
  /** True for `rediss://`. */
  readonly tls: boolean
}

const example = "redis://[user:password@]host[:6379][/db], or rediss://... for TLS"

/** What ioredis needs, kept off the target object so that printing a target never shows it. */
const details = new WeakMap<RedisTarget, RedisOptions & { host: string; port: number }>()

/**
 * Removes credentials from any `redis://` or `rediss://` URL in `text` (`redis://u:p@h` -> `redis://***@h`),
 * and the value of a `password=` query parameter. Over-redacts rather than lets a secret through.
 */
export function redact(text: string): string {
  return text
    .replace(/(rediss?:\/\/)\S*@/gi, "$1***@")
    .replace(/([?&;]\s*(?:pass|password|auth)=)[^&\s"'`<>]*/gi, "$1***")
}

/** The URL without any user info, for messages about a URL that may not even parse. */
function withoutCredentials(url: string): string {
  const scheme = url.indexOf("://")
  const at = url.lastIndexOf("@")
  return redact(scheme >= 0 && at > scheme ? `${url.slice(0, scheme + 3)}***@${url.slice(at + 1)}` : url)
}

function bad(url: string, what: string): TypeError {
  return new TypeError(`Invalid Redis URL ${JSON.stringify(withoutCredentials(url))}: ${what}. Expected ${example}.`)
}

function decode(url: string, part: string, name: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw bad(url, `the ${name} has a bad %-escape (write a literal % as %25)`)
  }
}

/**
 * Parses and checks a Redis URL: `redis://` or `rediss://`, a host, an optional port (1-65535) and
 * database number, optional `user:password@` (percent-encoded). Throws a `TypeError` naming what is
 * wrong, with an example; the message never contains the password.
 */
export function parseRedisUrl(url: string): RedisTarget {
  if (typeof url !== "string")
    throw new TypeError(`A Redis URL must be a string, got ${typeof url}. Expected ${example}.`)
  if (url.trim() === "") throw bad(url, "it is empty")
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)
  if (scheme === null) throw bad(url, "it has no scheme (redis:// or rediss://)")
  const protocol = scheme[1]!.toLowerCase()
  if (protocol !== "redis" && protocol !== "rediss")
    throw bad(url, `the scheme ${protocol}:// is not redis:// or rediss://`)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw bad(url, "it is not a URL (a space or a character that must be %-encoded, such as @ or / in a password?)")
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1")
  if (host === "") throw bad(url, "it has no host")
  const port = parsed.port === "" ? 6379 : Number(parsed.port)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(url, `the port ${parsed.port} is not 1-65535`)
  const path = parsed.pathname.replace(/^\/+/, "")
  if (path !== "" && !/^\d+$/.test(path)) throw bad(url, `the path /${path} is not a database number`)
  const db = path === "" ? 0 : Number(path)
  if (parsed.search !== "" || parsed.hash !== "")
    throw bad(url, "query parameters and #fragments are not supported (put user:password@ before the host)")
  const username = parsed.username === "" ? undefined : decode(url, parsed.username, "user name")
  const password = parsed.password === "" ? undefined : decode(url, parsed.password, "password")
  if (username !== undefined && password === undefined)
    throw bad(url, "it has a user name but no password (write user:password@, or :password@ for the default user)")
  const tls = protocol === "rediss"
  const hostPart = host.includes(":") ? `[${host}]` : host
  const display = `${protocol}://${hostPart}:${port}${db === 0 ? "" : `/${db}`}`
  const target = { display, tls } as RedisTarget
  Object.defineProperty(target, "url", { value: url, enumerable: false })
  Object.defineProperty(target, inspect.custom, { value: () => `RedisTarget(${display})`, enumerable: false })
  Object.defineProperty(target, "toJSON", { value: () => ({ display, tls }), enumerable: false })
  Object.freeze(target)
  details.set(target, {
    host,
    port,
    db,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(tls ? { tls: { servername: host } } : {})
  })
  return target
}

/** Options of {@link openRedis}. */
export interface OpenRedisOptions {
  /** Give up connecting after this long, in ms (default 10,000). Once connected, the connection reconnects forever. */
  readonly connectTimeoutMs?: number
  /** The connection's name in `CLIENT LIST` (`weft-client-...`, `weft-worker-...`). */
  readonly name?: string
  /** Refuse a Redis whose `maxmemory-policy` is not `noeviction` (default true; BullMQ needs it). */
  readonly checkPolicy?: boolean
  /** Extra TLS options for `rediss://` (a private CA: `{ ca }`); `NODE_EXTRA_CA_CERTS` works too. */
  readonly tlsOptions?: ConnectionOptions
  /** Told when the policy cannot be checked (ACL forbids INFO and CONFIG); default: `process.emitWarning`. */
  readonly onWarning?: (message: string) => void
}

const authProblem = /WRONGPASS|NOAUTH|NOPERM.*auth|invalid (username|password)|AUTH.*(failed|called without)/i
const certProblem = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/
const tlsProblem = /certificate|SSL|TLS|self[- ]signed|EPROTO|wrong version number|UNABLE_TO_VERIFY|ERR_TLS/i

/** Turns the last low-level error into a message a user can act on. */
function failure(target: RedisTarget, timeoutMs: number, last: Error | undefined): ClusterConnectionError {
  const said = last === undefined ? "" : ` (last error: ${redact(last.message)})`
  const where = target.display
  if (last !== undefined && authProblem.test(last.message))
    return new ClusterConnectionError(
      `Redis at ${where} refused the credentials${said}. Put the user and password in the URL ` +
        "(redis://user:password@host:6379, %-encoding special characters), and check the user's ACL (ACL GETUSER user).",
      where,
      "auth"
    )
  if (target.tls && last !== undefined && tlsProblem.test(`${last.message} ${(last as { code?: string }).code ?? ""}`))
    return new ClusterConnectionError(
      `The TLS connection to Redis at ${where} failed${said}. Check that the port speaks TLS (Redis's tls-port) ` +
        "and that its certificate is trusted (NODE_EXTRA_CA_CERTS=/path/ca.crt, or the tlsOptions.ca option).",
      where,
      "tls"
    )
  return new ClusterConnectionError(
    `Could not connect to Redis at ${where} within ${timeoutMs} ms${said}. Check that redis-server runs there, ` +
      "listens on that address (bind) and port, and that no firewall is in the way" +
      (target.tls ? "" : "; use rediss:// if it only speaks TLS") +
      ".",
    where,
    "unreachable"
  )
}

/**
 * Opens an ioredis connection for BullMQ and weft (`maxRetriesPerRequest: null`), resolving once it
 * is ready and checked. Rejects with a `ClusterConnectionError` within `connectTimeoutMs` when Redis
 * is unreachable, refuses the credentials, fails TLS, or has a `maxmemory-policy` other than
 * `noeviction`; the connection is closed then. Once open, it reconnects by itself after a Redis restart.
 */
export async function openRedis(target: RedisTarget, options: OpenRedisOptions = {}): Promise<Redis> {
  const connection = details.get(target)
  if (connection === undefined)
    throw new TypeError("openRedis takes a target from parseRedisUrl(url), not a plain object.")
  const timeoutMs = options.connectTimeoutMs ?? 10_000
  const redis = new Redis({
    ...connection,
    ...(target.tls ? { tls: { ...(connection.tls as ConnectionOptions), ...options.tlsOptions } } : {}),
    ...(options.name === undefined ? {} : { connectionName: options.name }),
    lazyConnect: true,
    maxRetriesPerRequest: null,
    connectTimeout: Math.min(timeoutMs, 10_000),
    // Reconnect quickly at first, then every 2 s: Redis restarting should not cost the cluster minutes.
    retryStrategy: (times) => Math.min(50 * times, 2000)
  })
  // `inspect(redis)` would print its options, password included.
  Object.defineProperty(redis, inspect.custom, { value: () => `Redis(${target.display})`, enumerable: false })
  let last: Error | undefined
  const onError = (error: Error) => {
    last = error
  }
  redis.on("error", onError)
  let timer: NodeJS.Timeout | undefined
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(failure(target, timeoutMs, last)), timeoutMs)
      // Credentials that Redis refused will not become right by retrying: fail at once.
      // Nor will a certificate that is not trusted.
      redis.on("error", (error) => {
        if (authProblem.test(error.message) || certProblem.test((error as { code?: string }).code ?? ""))
          reject(failure(target, timeoutMs, error))
      })
      redis.once("ready", () => resolve())
      redis.connect().catch(() => {}) // failures arrive as `error` events; ioredis keeps retrying until the timer
    })
    if (options.checkPolicy !== false) await withDeadline(checkPolicy(redis, target, options), timeoutMs, target)
  } catch (error) {
    redis.disconnect()
    throw error
  } finally {
    clearTimeout(timer)
    redis.off("error", onError)
    redis.removeAllListeners("error")
  }
  // ioredis prints unhandled `error` events; a connection that is reconnecting reports through them.
  redis.on("error", () => {})
  return redis
}

function withDeadline<T>(promise: Promise<T>, timeoutMs: number, target: RedisTarget): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ClusterConnectionError(
              `Redis at ${target.display} accepted the connection but did not answer within ${timeoutMs} ms.`,
              target.display,
              "unreachable"
            )
          ),
        timeoutMs
      )
    })
  ]).finally(() => clearTimeout(timer))
}

/** The reply of INFO memory's `maxmemory_policy:` line, or CONFIG GET's, or undefined when the ACL allows neither. */
async function readPolicy(redis: Redis): Promise<string | undefined> {
  try {
    const info = await redis.info("memory")
    const line = /^maxmemory_policy:(\S+)/m.exec(info)
    if (line !== null) return line[1]
  } catch (error) {
    if (!/NOPERM|unknown command|no permissions/i.test((error as Error).message)) throw error
  }
  try {
    const reply = (await redis.config("GET", "maxmemory-policy")) as string[]
    return reply[1]
  } catch (error) {
    if (/NOPERM|unknown command|no permissions/i.test((error as Error).message)) return undefined
    throw error
  }
}

/** Refuses a Redis that may evict keys: BullMQ's queues and weft's results would vanish silently. */
async function checkPolicy(redis: Redis, target: RedisTarget, options: OpenRedisOptions): Promise<void> {
  const policy = await readPolicy(redis)
  if (policy === undefined) {
    const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, "WeftRedisPolicyUnchecked"))
    warn(
      `Could not check maxmemory-policy of Redis at ${target.display}: its ACL allows neither INFO nor CONFIG GET. ` +
        "weft goes on, assuming noeviction; if Redis evicts keys, queued work and results vanish. Grant +info to the user to have it checked."
    )
    return
  }
  if (policy !== "noeviction")
    throw new ClusterConnectionError(
      `Redis at ${target.display} has maxmemory-policy ${policy}: it may evict keys, and BullMQ's queues and weft's ` +
        "results would vanish. weft needs noeviction: run `redis-cli CONFIG SET maxmemory-policy noeviction` " +
        "(and `CONFIG REWRITE` to keep it), or put the line `maxmemory-policy noeviction` in redis.conf and restart Redis.",
      target.display,
      "config"
    )
}
