/**
 * Several hosts (when running as root): Redis, two workers and the client in four network
 * namespaces on a bridge (test/support/netns.ts), so that traffic crosses real interfaces. Cutting
 * one worker's link mid-map reruns its tasks on the other worker, and the map finishes with the
 * right values; restoring the link lets the worker rejoin and take work again.
 */
import { fileURLToPath } from "node:url"
import { Redis } from "ioredis"
import { expect, onTestFinished, test } from "vitest"
import { netnsSupport, startNetwork, startRedisOn, type Network } from "../support/netns.js"
import { eventually } from "./fail-support.js"

const weftBin = fileURLToPath(new URL("../../dist/cli/weft.js", import.meta.url))
const clientScript = fileURLToPath(new URL("./fixtures/run-client.ts", import.meta.url))
const root = fileURLToPath(new URL("../..", import.meta.url))
const support = netnsSupport()

/** Runs `node --import tsx ...args` in a host; resolves with the child once `ready(output)` holds. */
async function nodeIn(network: Network, host: string, args: string[], ready: (output: string) => boolean) {
  const child = network.spawn(host, process.execPath, ["--import", "tsx", ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk))
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk))
  const ok = await eventually(() => ready(output) || child.exitCode !== null, 30_000)
  if (!ok || !ready(output)) throw new Error(`${host}: ${args.join(" ")} did not get ready:\n${output}`)
  return { child, output: () => output }
}

/** The JSON events a run-client.ts process printed. */
const events = (output: string) =>
  output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { event: string; values?: unknown[] })

// Runs when root (netns.test.ts fails, as root, if namespaces do not work here).
test.runIf(support.ok)(
  "a worker whose link is cut mid-map: its tasks rerun on the other worker; restored, it rejoins and takes work",
  async () => {
    const network = startNetwork(["redis", "w1", "w2", "client"])
    onTestFinished(() => network.close())
    const redis = await startRedisOn(network, "redis")
    onTestFinished(() => redis.stop())
    const admin = new Redis({ path: redis.socket, maxRetriesPerRequest: null })
    onTestFinished(() => {
      admin.disconnect()
    })
    const worker = (name: string) =>
      nodeIn(network, name, [weftBin, "worker", redis.url, "--threads", "1", "--name", name], (out) =>
        out.includes(`weft worker ${name}:`)
      )
    const [w1, w2] = [await worker("w1"), await worker("w2")]
    expect(w1.output()).toContain(`Redis ${redis.url}`) // it reached Redis at its namespace address

    const first = await nodeIn(network, "client", [clientScript, redis.url, "sleepy-map", "30000"], (out) =>
      out.includes('"submitted"')
    )
    // Both workers run batches; then w1's cable is pulled.
    expect(await eventually(async () => (await admin.llen("weft:weft:active")) >= 2, 20_000)).toBe(true)
    network.cut("w1")
    const done = await eventually(() => events(first.output()).some((e) => e.event === "done"), 60_000)
    expect(done ? "" : first.output()).toBe("")
    const values = events(first.output()).find((e) => e.event === "done")!.values
    expect(values).toEqual(Array.from({ length: 40 }, (_, i) => i * 2))
    // Cut for longer than its registration lives: w1 has dropped out of the worker list.
    expect(await eventually(async () => (await admin.exists("weft:w:w1")) === 0, 20_000)).toBe(true)

    network.restore("w1")
    expect(await eventually(async () => (await admin.exists("weft:w:w1")) === 1, 60_000)).toBe(true)
    const second = await nodeIn(network, "client", [clientScript, redis.url, "pids", "30000"], (out) =>
      out.includes('"done"')
    )
    const pids = new Set(
      (events(second.output()).find((e) => e.event === "done")!.values as Array<[number, number]>).map(([, pid]) => pid)
    )
    expect(pids).toEqual(new Set([w1.child.pid, w2.child.pid]))
  },
  180_000
)
