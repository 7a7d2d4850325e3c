/**
 * The real redis-server the cluster tests run against (test/support/redis.ts): started on a free
 * loopback port, configured as BullMQ needs, persistent or not across a restart as asked, and
 * never left running, whichever way a test process ends.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Redis } from "ioredis"
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest"
import { killLeftovers } from "./global-setup.js"
import { isRunning } from "./programs.js"
import { type RedisOptions, type RedisServer, startRedis } from "./redis.js"

const clients: Redis[] = []
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect()
})

/** A server stopped when the test ends, pass or fail. */
async function server(options?: RedisOptions): Promise<RedisServer> {
  const started = await startRedis(options)
  onTestFinished(() => started.stop())
  return started
}

/** A client that fails fast instead of retrying (a restart test reconnects by hand). */
function connect(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on("error", () => {})
  clients.push(client)
  return client
}

describe("startRedis", () => {
  it("starts a server on 127.0.0.1 that answers PING and keeps what it is given", async () => {
    const redis = await server()
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`)
    const client = connect(redis.url)
    expect(await client.ping()).toBe("PONG")
    await client.set("weft:greeting", "hello")
    expect(await client.get("weft:greeting")).toBe("hello")
    expect(isRunning(redis.pid, "redis-server")).toBe(true)
  })

  it("is configured as BullMQ needs: noeviction, loopback only, no RDB snapshots, its own dir", async () => {
    const redis = await server()
    const client = connect(redis.url)
    const config = async (name: string) => ((await client.config("GET", name)) as string[])[1]
    expect(await config("maxmemory-policy")).toBe("noeviction")
    expect(await config("bind")).toBe("127.0.0.1")
    expect(await config("save")).toBe("")
    expect(await config("appendonly")).toBe("no")
    expect(await config("dir")).toBe(redis.dir)
    // Under the run's dir, which the global teardown sweeps (test/support/global-setup.ts).
    expect(redis.dir.startsWith(`${process.env.WEFT_TEST_RUN_DIR}/weft-redis-`)).toBe(true)
  })

  it("a server that cannot start fails with its output and leaves no dir behind, never hangs", async () => {
    const runDir = process.env.WEFT_TEST_RUN_DIR as string
    const dirsBefore = readdirSync(runDir).length
    await expect(startRedis({ executable: "/nonexistent/redis-server" })).rejects.toThrow(
      /exited \(spawn \/nonexistent\/redis-server ENOENT\) before answering PING/
    )
    // A real redis-server given a bad option exits at once and says why.
    await expect(startRedis({ appendfsync: "sometimes" as "always" })).rejects.toThrow(
      /exited \(1\) before answering PING:[\s\S]*appendfsync/
    )
    expect(readdirSync(runDir).length).toBe(dirsBefore)
  })

  it("two servers get two ports", async () => {
    const [a, b] = await Promise.all([server(), server()])
    expect(a.port).not.toBe(b.port)
    expect(await connect(a.url).ping()).toBe("PONG")
    expect(await connect(b.url).ping()).toBe("PONG")
  })
})

describe("restart", () => {
  it("keeps the data with AOF on (a clean shutdown flushes the AOF)", async () => {
    const redis = await server({ appendonly: true })
    await connect(redis.url).set("weft:kept", "1")
    const before = redis.pid
    await redis.restart()
    expect(redis.pid).not.toBe(before)
    expect(isRunning(before, "redis-server")).toBe(false)
    expect(await connect(redis.url).get("weft:kept")).toBe("1")
  })

  it("keeps the data across a SIGKILL with AOF on and appendfsync always", async () => {
    const redis = await server({ appendonly: true, appendfsync: "always" })
    await connect(redis.url).set("weft:kept", "2")
    await redis.restart({ signal: "SIGKILL" })
    expect(await connect(redis.url).get("weft:kept")).toBe("2")
  })

  it("loses the data with AOF off", async () => {
    const redis = await server({ appendonly: false })
    await connect(redis.url).set("weft:gone", "1")
    await redis.restart()
    const client = connect(redis.url)
    expect(await client.get("weft:gone")).toBeNull()
    expect(await client.dbsize()).toBe(0)
  })
})

describe("stop", () => {
  it("kills the server, removes its dir, and may be called again", async () => {
    const redis = await startRedis()
    const { pid, dir, url } = redis
    await redis.stop()
    expect(isRunning(pid, "redis-server")).toBe(false)
    expect(existsSync(dir)).toBe(false)
    await expect(connect(url).ping()).rejects.toThrow()
    await redis.stop()
    await expect(redis.restart()).rejects.toThrow(/was stopped; start a new one/)
  })

  it("`await using` stops it", async () => {
    let pid = 0
    {
      await using redis = await startRedis()
      pid = redis.pid
      expect(isRunning(pid, "redis-server")).toBe(true)
    }
    expect(isRunning(pid, "redis-server")).toBe(false)
  })
})

/** Runs the fixture that starts a server and dies (`exit` or `hang`); resolves with the server's pid and dir, and the child. */
function startAndDie(how: "exit" | "hang", env: NodeJS.ProcessEnv) {
  const script = fileURLToPath(new URL("./fixtures/redis-then-die.ts", import.meta.url))
  const child = spawn(process.execPath, ["--import", "tsx", script, how], { env, stdio: ["ignore", "pipe", "pipe"] })
  onTestFinished(() => {
    child.kill("SIGKILL")
  })
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const started = new Promise<{ pid: number; dir: string }>((resolve, reject) => {
    let out = ""
    let err = ""
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes("\n")) resolve(JSON.parse(out.slice(0, out.indexOf("\n"))))
    })
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()))
    child.once("exit", (code) => reject(new Error(`fixture exited (${code}) before starting its server: ${err}`)))
  })
  return { child, exited, started }
}

describe("nothing leaks when a test process dies without stop()", () => {
  it("an uncaught error: the exit hook kills the server and removes its dir", async () => {
    const { exited, started } = startAndDie("exit", process.env)
    const { pid, dir } = await started
    await exited
    expect(isRunning(pid, "redis-server")).toBe(false)
    expect(existsSync(dir)).toBe(false)
  })

  it("a SIGKILL: the global teardown kills the server it left in the run's dir", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "weft-test-run-"))
    onTestFinished(() => rmSync(runDir, { recursive: true, force: true }))
    const { child, exited, started } = startAndDie("hang", { ...process.env, WEFT_TEST_RUN_DIR: runDir })
    const { pid } = await started
    onTestFinished(() => {
      if (isRunning(pid, "redis-server")) process.kill(pid, "SIGKILL")
    })
    child.kill("SIGKILL")
    await exited
    expect(isRunning(pid, "redis-server")).toBe(true) // no hook ran: this is what the teardown is for
    expect(killLeftovers(runDir)).toEqual([pid])
    // SIGKILL takes effect when the kernel next runs the process: on a loaded machine, not at once.
    await vi.waitFor(() => expect(isRunning(pid, "redis-server")).toBe(false), { timeout: 10_000, interval: 20 })
  })
})
