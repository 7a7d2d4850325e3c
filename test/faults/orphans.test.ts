/**
 * Child process workers (`isolation: "process"`) end when their client process dies, whatever
 * they are running: a real client script (fixtures/orphan-client.ts) keeps two workers in a
 * synchronous busy loop and one idle, and is killed with each signal, to its pid only. Every worker
 * must be gone soon after (parent-watch.ts: within about a second; the bound here is generous).
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, test } from "vitest"
import { childPids, eventually, isRunning, within } from "./fault-helpers.js"

const script = fileURLToPath(new URL("./fixtures/orphan-client.ts", import.meta.url))

describe("isolation process: the workers of a client process that dies", () => {
  test.each(["SIGTERM", "SIGINT", "SIGKILL"] as const)(
    "exit when the client is killed by %s, even in a busy loop",
    { timeout: 60_000 },
    async (signal) => {
      const dir = mkdtempSync(join(tmpdir(), "weft-orphans-"))
      const client = spawn(process.execPath, ["--import", "tsx", script, dir], {
        cwd: process.cwd(),
        stdio: ["ignore", "pipe", "pipe"]
      })
      let workers: number[] = []
      try {
        let stdout = ""
        let stderr = ""
        client.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
        const exited = new Promise<void>((resolve) => client.once("exit", () => resolve()))
        await within(
          new Promise<void>((resolve) =>
            client.stdout.on("data", (chunk: Buffer) => {
              stdout += chunk.toString()
              if (stdout.includes("running")) resolve()
            })
          ),
          30_000,
          () => `the client script's "running" (stdout: ${stdout}, stderr: ${stderr})`
        )
        workers = childPids(client.pid!)
        expect(workers, "the client's child process workers").toHaveLength(3)
        const busy = readdirSync(dir).map(Number)
        expect(
          busy.every((pid) => workers.includes(pid)),
          `busy workers ${busy} are among ${workers}`
        ).toBe(true)

        client.kill(signal)
        await within(exited, 10_000, `the client's exit after ${signal}`)
        await eventually(
          () => workers.filter(isRunning),
          (alive) => alive.length === 0,
          10_000,
          `workers still running after the client died of ${signal}`
        )
      } finally {
        // Never leak a spinning process, even when the test fails.
        for (const pid of [...workers, client.pid!]) if (isRunning(pid)) process.kill(pid, "SIGKILL")
        rmSync(dir, { recursive: true, force: true })
      }
    }
  )
})
