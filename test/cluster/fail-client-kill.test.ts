/**
 * A client that dies (SIGKILL) mid-map of long tasks leaves nothing behind for long: once its
 * lease lapses, the workers stop its running tasks (CPU loops of ten minutes), drop its queued
 * batches and delete its keys, and take new work.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { expect, onTestFinished, test } from "vitest"
import { eventually } from "./fail-support.js"
import { allKeys, startCluster } from "./helpers.js"

const script = fileURLToPath(new URL("./fixtures/run-client.ts", import.meta.url))
const root = fileURLToPath(new URL("../..", import.meta.url))

/** Starts run-client.ts in a process of its own and resolves once it said "submitted". */
async function startClientProcess(url: string, scenario: string, leaseMs: number) {
  const child = spawn(process.execPath, ["--import", "tsx", script, url, scenario, String(leaseMs)], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"]
  })
  onTestFinished(() => {
    child.kill("SIGKILL")
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (data: Buffer) => String(data).includes('"submitted"') && resolve())
    child.once("exit", (code) => reject(new Error(`the client exited (${code}) before submitting`)))
  })
  return child
}

test("SIGKILL of a client mid-map: within its lease plus a margin Redis holds nothing of it, and workers take new work", async () => {
  const cluster = await startCluster({ workers: 2, threads: 1 })
  onTestFinished(() => cluster.stop())
  const redis = cluster.inspect()
  const leaseMs = 3000
  const child = await startClientProcess(cluster.redis.url, "long-map", leaseMs)
  const [lease] = await allKeys(redis, "weft:lease:*")
  const clientId = lease!.slice("weft:lease:".length)
  // Both workers are busy with its ten-minute tasks.
  expect(await eventually(async () => (await redis.llen("weft:weft:active")) >= 2, 20_000)).toBe(true)
  child.kill("SIGKILL")
  await new Promise((resolve) => child.once("exit", resolve))

  /** Every key that names the client, and every BullMQ list or set entry that names one of its jobs. */
  const leftovers = async () => {
    const keys = (await allKeys(redis)).filter((key) => key.includes(clientId))
    const queued = [
      ...(await redis.lrange("weft:weft:wait", 0, -1)),
      ...(await redis.lrange("weft:weft:active", 0, -1)),
      ...(await redis.zrange("weft:weft:prioritized", 0, -1)),
      ...(await redis.zrange("weft:weft:delayed", 0, -1))
    ].filter((id) => id.includes(clientId))
    return [...keys, ...queued]
  }
  expect(await leftovers()).not.toEqual([])
  const margin = 15_000
  const clean = await eventually(async () => (await leftovers()).length === 0, leaseMs + margin)
  expect(clean ? [] : await leftovers()).toEqual([])

  // The workers' threads are free again: a new client's work runs on them.
  const client = await cluster.connect()
  expect(await client.workerCount()).toBe(2)
  const values = await client.gather(client.map((x: number) => x * 3, [1, 2, 3, 4, 5, 6, 7, 8]))
  expect(values).toEqual([3, 6, 9, 12, 15, 18, 21, 24])
  // The new client's last job may still be moving from active to completed in BullMQ when its
  // results are in; a job of the dead client would stay active for good.
  const idle = await eventually(async () => (await redis.llen("weft:weft:active")) === 0, 5_000)
  expect(idle ? 0 : await redis.llen("weft:weft:active")).toBe(0)
}, 90_000)

test("SIGKILL of an idle client that holds results: its results go too, though no worker runs anything of it", async () => {
  const cluster = await startCluster({ workers: 1, threads: 1 })
  onTestFinished(() => cluster.stop())
  const redis = cluster.inspect()
  const leaseMs = 2000
  const child = await startClientProcess(cluster.redis.url, "hold", leaseMs)
  const [lease] = await allKeys(redis, "weft:lease:*")
  const clientId = lease!.slice("weft:lease:".length)
  const mine = async () => (await allKeys(redis)).filter((key) => key.includes(clientId))
  expect((await mine()).filter((key) => key.startsWith("weft:r:"))).toHaveLength(10)
  child.kill("SIGKILL")
  await new Promise((resolve) => child.once("exit", resolve))
  await eventually(async () => (await mine()).length === 0, leaseMs + 15_000)
  expect(await mine()).toEqual([])
}, 60_000)
