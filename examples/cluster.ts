/**
 * The Futures tutorial (examples/futures-tutorial.ts) on a cluster: a Redis server, two
 * `weft worker` processes, and a client connected with `Client.connect`, all on this machine.
 *
 * Run it with `npm run example:cluster`. It starts a `redis-server` of its own (on a free
 * loopback port, in a temp dir, removed at the end) when one is installed, or uses
 * `WEFT_REDIS_URL` when set (then it starts only the workers, and leaves Redis as it found it but
 * for nothing: the client deletes its keys on close). On several machines, run `weft worker <url>`
 * on each instead: docs/cluster.md.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const children: ChildProcess[] = []
const cleanups: Array<() => void> = []
process.on("exit", () => {
  children.forEach((child) => child.kill("SIGKILL"))
  cleanups.forEach((cleanup) => cleanup())
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))
      )
    })
  })
}

/** Starts redis-server on a free loopback port; resolves with its URL once it answers PING. */
async function startRedis(): Promise<string> {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" })
  } catch {
    console.error(
      "This example needs redis-server (Redis >= 7): install it (apt-get install redis-server, brew install redis), " +
        "or set WEFT_REDIS_URL=redis://host:6379 to use a Redis you run."
    )
    process.exit(1)
  }
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), "weft-example-redis-"))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"]
  children.push(spawn("redis-server", [...args, "--maxmemory-policy", "noeviction"], { stdio: "ignore" }))
  for (let i = 0; i < 500; i++) {
    try {
      if (
        execFileSync("redis-cli", ["-p", String(port), "PING"])
          .toString()
          .trim() === "PONG"
      )
        break
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return `redis://127.0.0.1:${port}`
}

/** Starts `weft worker <url>` (the command each machine of a real cluster runs) and waits for its status line. */
function startWorker(url: string, name: string): Promise<void> {
  const cli = fileURLToPath(new URL("../dist/cli/weft.js", import.meta.url))
  // --import tsx: the tutorial's registered tasks are a .ts module, which the workers import.
  const child = spawn(process.execPath, ["--import", "tsx", cli, "worker", url, "--threads", "2", "--name", name], {
    stdio: ["ignore", "pipe", "inherit"]
  })
  children.push(child)
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", (line: Buffer) => {
      process.stdout.write(`[${name}] ${line}`)
      child.stdout!.pipe(process.stdout) // task output appears prefixed with the task's key
      resolve()
    })
    child.once("exit", (code) => reject(new Error(`weft worker ${name} exited (${code}) before it was ready`)))
  })
}

const url = process.env.WEFT_REDIS_URL || (await startRedis())
await Promise.all([startWorker(url, "worker-1"), startWorker(url, "worker-2")])
console.log("")
// The tutorial connects with Client.connect(WEFT_CLUSTER_URL) when it is set, else it starts a local cluster.
process.env.WEFT_CLUSTER_URL = url
await import("./futures-tutorial.js")
// The tutorial's client is closed (await using); stop the workers (SIGTERM: they finish and exit), then Redis.
const stop = (child: ChildProcess) => {
  const exited = new Promise((resolve) => child.once("exit", resolve))
  child.kill("SIGTERM")
  return exited
}
const [first, ...rest] = children
await Promise.all((process.env.WEFT_REDIS_URL ? children : rest).map(stop))
if (!process.env.WEFT_REDIS_URL && first !== undefined) await stop(first)
