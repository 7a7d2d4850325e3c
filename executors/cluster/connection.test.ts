/**
 * connection.ts against real redis-servers: a plain one, one with a password and an ACL user, one
 * with an evicting maxmemory-policy, one speaking TLS with a certificate made here by openssl.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { inspect } from "node:util"
import { fc, test as propTest } from "@fast-check/vitest"
import { Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from "vitest"
import { ClusterConnectionError } from "../../core/errors.js"
import { freePort, startRedis, type RedisServer } from "../../test/support/redis.js"
import { openRedis, parseRedisUrl, redact } from "./connection.js"

const secret = "s3cr3t-Pa55"

/** An admin connection to a test server (before any password is set). */
async function admin(server: RedisServer, password?: string): Promise<Redis> {
  const redis = new Redis({ port: server.port, host: "127.0.0.1", password, maxRetriesPerRequest: 1 })
  onTestFinished(() => {
    redis.disconnect()
  })
  return redis
}

/** Runs `promise`, expecting a rejection; returns it. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    const value = await promise
    if (value instanceof Redis) value.disconnect()
  } catch (error) {
    return error as Error
  }
  throw new Error("expected a rejection")
}

describe("parseRedisUrl", () => {
  test("accepts redis:// and rediss:// with user, password, port and db; display has no credentials", () => {
    const target = parseRedisUrl(`redis://alice:${secret}@10.0.0.5:6380/2`)
    expect(target.display).toBe("redis://10.0.0.5:6380/2")
    expect(target.tls).toBe(false)
    expect(target.url).toBe(`redis://alice:${secret}@10.0.0.5:6380/2`)
    expect(parseRedisUrl("rediss://cache.example").display).toBe("rediss://cache.example:6379")
    expect(parseRedisUrl("rediss://cache.example").tls).toBe(true)
    expect(parseRedisUrl("redis://[::1]:7000").display).toBe("redis://[::1]:7000")
  })

  test.each([
    ["", "it is empty"],
    ["localhost:6379", "no scheme"],
    ["http://localhost:6379", "http:// is not redis://"],
    ["redis://", "no host"],
    ["redis://host:99999", "not a URL"],
    ["redis://host/abc", "not a database number"],
    ["redis://host?password=x", "query parameters"],
    ["redis://alice@host", "no password"]
  ])("%j is a TypeError naming the problem and an example", (url, problem) => {
    expect(() => parseRedisUrl(url)).toThrow(TypeError)
    expect(() => parseRedisUrl(url)).toThrow(problem)
    expect(() => parseRedisUrl(url)).toThrow("Expected redis://[user:password@]host[:6379][/db]")
  })

  test("a malformed URL's error does not show its password", () => {
    const error = (() => {
      try {
        parseRedisUrl(`redis://bob:${secret} with space@host:abc`)
      } catch (error) {
        return error as Error
      }
    })()
    expect(error).toBeInstanceOf(TypeError)
    expect(error!.message).not.toContain(secret)
  })

  test("inspect, JSON and string templates of a target show no credentials", () => {
    const target = parseRedisUrl(`redis://alice:${secret}@host:6379`)
    expect(inspect(target)).not.toContain(secret)
    expect(inspect({ nested: [target] }, { depth: 5, showHidden: false })).not.toContain(secret)
    expect(JSON.stringify(target)).not.toContain(secret)
    expect(Object.keys(target)).not.toContain("url")
  })
})

describe("redact", () => {
  test("strips user:password from redis URLs in any text", () => {
    expect(redact(`connect to redis://alice:${secret}@h:1 and rediss://:${secret}@h2/3 failed`)).toBe(
      "connect to redis://***@h:1 and rediss://***@h2/3 failed"
    )
    expect(redact("redis://h?password=abc&x=1")).toBe("redis://h?password=***&x=1")
  })

  propTest.prop([
    fc.string({ minLength: 1 }).filter((s) => !/\s/.test(s) && !s.includes("***")),
    fc.string({ minLength: 1 }).filter((s) => !/\s/.test(s) && !s.includes("***")),
    fc.string(),
    fc.string()
  ])("never lets a URL's password through, whatever it contains", (user, password, before, after) => {
    const text = `${before} redis://${user}:${password}@host:6379 ${after}`
    const redacted = redact(text)
    expect(redacted.replace(before, "").replace(after, "")).not.toContain(`${user}:${password}`)
    expect(redacted).toContain("@host:6379")
  })
})

describe("openRedis against a real redis-server", () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startRedis()
  })
  afterAll(() => server.stop())

  test("opens a connection for BullMQ (maxRetriesPerRequest null) that inspect prints without options", async () => {
    const redis = await openRedis(parseRedisUrl(server.url), { name: "weft-test" })
    onTestFinished(() => {
      redis.disconnect()
    })
    expect(await redis.ping()).toBe("PONG")
    expect(redis.options.maxRetriesPerRequest).toBeNull()
    expect(await redis.client("GETNAME")).toBe("weft-test")
    expect(inspect(redis)).toBe(`Redis(redis://127.0.0.1:${server.port})`)
  })

  test("an unreachable Redis rejects with a ClusterConnectionError within the connect timeout", async () => {
    const port = await freePort() // nothing listens there
    const error = await rejection(
      openRedis(parseRedisUrl(`redis://u:${secret}@127.0.0.1:${port}`), { connectTimeoutMs: 1500 })
    )
    expect(error).toBeInstanceOf(ClusterConnectionError)
    expect((error as ClusterConnectionError).problem).toBe("unreachable")
    expect(error.message).toContain(`Could not connect to Redis at redis://127.0.0.1:${port} within 1500 ms`)
    expect(error.message).toContain("ECONNREFUSED")
    expect(error.message).not.toContain(secret)
  })

  test("refuses a Redis whose maxmemory-policy evicts, with the fix in the message", async () => {
    const other = await startRedis()
    onTestFinished(() => other.stop())
    await (await admin(other)).config("SET", "maxmemory-policy", "allkeys-lru")
    const error = await rejection(openRedis(parseRedisUrl(other.url)))
    expect(error).toBeInstanceOf(ClusterConnectionError)
    expect((error as ClusterConnectionError).problem).toBe("config")
    expect(error.message).toContain("maxmemory-policy allkeys-lru")
    expect(error.message).toContain("CONFIG SET maxmemory-policy noeviction")
    expect(error.message).toContain("`maxmemory-policy noeviction` in redis.conf")
    // checkPolicy: false skips the check (for a user who knows what they do).
    const unchecked = await openRedis(parseRedisUrl(other.url), { checkPolicy: false })
    unchecked.disconnect()
  })
})

describe("credentials", () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startRedis()
    const redis = new Redis({ port: server.port, host: "127.0.0.1" })
    // A password for the default user, and an ACL user allowed everything but CONFIG and INFO.
    await redis.call("ACL", "SETUSER", "weft", "on", `>${secret}`, "~*", "&*", "+@all", "-config", "-info")
    await redis.config("SET", "requirepass", secret)
    redis.disconnect()
  })
  afterAll(() => server.stop())

  test("AUTH with :password@ (default user) and user:password@ (an ACL user) works", async () => {
    const asDefault = await openRedis(parseRedisUrl(`redis://:${secret}@127.0.0.1:${server.port}`))
    expect(await asDefault.set("k", "v")).toBe("OK")
    asDefault.disconnect()
    const warnings: string[] = []
    const asUser = await openRedis(
      parseRedisUrl(`redis://weft:${encodeURIComponent(secret)}@127.0.0.1:${server.port}`),
      {
        onWarning: (message) => warnings.push(message)
      }
    )
    expect(await asUser.get("k")).toBe("v")
    asUser.disconnect()
    // That user may run neither INFO nor CONFIG: the policy check says so and goes on.
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain("allows neither INFO nor CONFIG GET")
    expect(warnings[0]).toContain("+info")
  })

  test("a wrong password is refused at once, as an auth error that does not contain it", async () => {
    const wrong = "not-the-" + secret
    const error = await rejection(
      openRedis(parseRedisUrl(`redis://weft:${wrong}@127.0.0.1:${server.port}`), { connectTimeoutMs: 8000 })
    )
    expect(error).toBeInstanceOf(ClusterConnectionError)
    expect((error as ClusterConnectionError).problem).toBe("auth")
    expect(error.message).toContain("refused the credentials")
    expect(error.message).not.toContain(wrong)
    expect(inspect(error)).not.toContain(wrong)
  })

  test("no password where one is needed is an auth error", async () => {
    const error = await rejection(
      openRedis(parseRedisUrl(`redis://127.0.0.1:${server.port}`), { connectTimeoutMs: 8000 })
    )
    expect((error as ClusterConnectionError).problem).toBe("auth")
  })
})

describe("TLS (rediss://)", () => {
  let server: RedisServer
  let tlsPort: number
  let dir: string
  let ca: Buffer
  beforeAll(async () => {
    // A CA and a certificate for 127.0.0.1 signed by it; Redis 7 takes its TLS settings at runtime.
    dir = mkdtempSync(join(tmpdir(), "weft-tls-"))
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" })
    writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n")
    ssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=weft test CA",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt"
    )
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr")
    ssl(
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      "san.ext",
      "-out",
      "server.crt"
    )
    ca = readFileSync(join(dir, "ca.crt"))
    server = await startRedis()
    tlsPort = await freePort()
    const redis = new Redis({ port: server.port, host: "127.0.0.1" })
    await redis.config("SET", "tls-cert-file", join(dir, "server.crt"), "tls-key-file", join(dir, "server.key"))
    await redis.config("SET", "tls-ca-cert-file", join(dir, "ca.crt"), "tls-auth-clients", "no")
    await redis.config("SET", "tls-port", String(tlsPort))
    redis.disconnect()
  })
  afterAll(async () => {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test("rediss:// connects over TLS when the CA is trusted", async () => {
    const redis = await openRedis(parseRedisUrl(`rediss://127.0.0.1:${tlsPort}`), { tlsOptions: { ca } })
    onTestFinished(() => {
      redis.disconnect()
    })
    expect(await redis.ping()).toBe("PONG")
    const clients = (await redis.client("LIST")) as string
    expect(clients).toMatch(/flags=N/) // (a TLS client is listed like any other; the handshake above is the proof)
  })

  test("an untrusted certificate is a TLS error saying how to trust it", async () => {
    const error = await rejection(openRedis(parseRedisUrl(`rediss://127.0.0.1:${tlsPort}`), { connectTimeoutMs: 3000 }))
    expect((error as ClusterConnectionError).problem).toBe("tls")
    expect(error.message).toContain("NODE_EXTRA_CA_CERTS")
  })

  test("rediss:// to a plain port fails clearly within the timeout", async () => {
    const error = await rejection(
      openRedis(parseRedisUrl(`rediss://127.0.0.1:${server.port}`), { connectTimeoutMs: 3000 })
    )
    expect(error).toBeInstanceOf(ClusterConnectionError)
    expect(["tls", "unreachable"]).toContain((error as ClusterConnectionError).problem)
  })
})
