/**
 * An unreachable Redis: `Client.connect` and `weft worker` give a clear error within a bounded
 * time, never a hang, and a malformed URL is a TypeError, with no credentials in either.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { expect, test } from "vitest"
import { Client, ClusterConnectionError } from "weft"
import { freePort } from "../support/redis.js"

const weftBin = fileURLToPath(new URL("../../dist/cli/weft.js", import.meta.url))
const secret = "hunter2-secret"

test("Client.connect to an address where nothing listens rejects with ClusterConnectionError after connectTimeout", async () => {
  const port = await freePort()
  const error = await Client.connect(`redis://app:${secret}@127.0.0.1:${port}`, { connectTimeout: "1.5s" }).then(
    (client) => client.close().then(() => undefined),
    (error: unknown) => error as Error
  )
  expect(error).toBeInstanceOf(ClusterConnectionError)
  expect((error as ClusterConnectionError).problem).toBe("unreachable")
  expect(error!.message).toContain(`Could not connect to Redis at redis://127.0.0.1:${port} within 1500 ms`)
  expect(error!.message).not.toContain(secret)
})

test("a malformed URL is a TypeError that names the problem, for Client.connect", async () => {
  await expect(Client.connect("localhost:6379")).rejects.toThrow(TypeError)
  await expect(Client.connect("localhost:6379")).rejects.toThrow("no scheme (redis:// or rediss://)")
  await expect(Client.connect(`redis://u:${secret}@host:notaport`)).rejects.toThrow(/Invalid Redis URL/)
  await expect(Client.connect(`redis://u:${secret}@host:notaport`)).rejects.not.toThrow(secret)
})

test("`weft worker` with an unreachable Redis exits non-zero with the reason, without the password", async () => {
  const port = await freePort()
  const child = spawn(
    process.execPath,
    [weftBin, "worker", `redis://app:${secret}@127.0.0.1:${port}`, "--threads", "1"],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env } }
  )
  let output = ""
  child.stdout.on("data", (chunk: Buffer) => (output += chunk))
  child.stderr.on("data", (chunk: Buffer) => (output += chunk))
  const code = await new Promise((resolve) => child.once("exit", (exitCode) => resolve(exitCode)))
  expect(code).not.toBe(0)
  expect(output).toContain(`Could not connect to Redis at redis://127.0.0.1:${port}`)
  expect(output).not.toContain(secret)
}, 30_000)
