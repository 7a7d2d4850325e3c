/**
 * The weft side of the `cluster` scenario: `Client.connect` to the scenario's Redis with two
 * `weft worker --threads 1` processes (the command a user runs), and the measurements of issue
 * 14's speed section: map + gather, the 16,383-task tree, 200 x 10 ms CPU, the rerun time after a
 * worker is SIGKILLed, and the bytes the client reads before `gather` (counted by a TCP proxy
 * between the client and Redis: the workers connect to Redis directly).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer, connect, type Server } from "node:net"
import { fileURLToPath } from "node:url"
import { Client, delayed, wait, type Delayed } from "weft"
import { expect, freshBase, range } from "../measure.js"

const weftBin = fileURLToPath(new URL("../../dist/cli/weft.js", import.meta.url))

/** Starts `weft worker url --threads 1 --name name` and resolves once it printed its status line. */
export function startWeftWorker(url: string, name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [weftBin, "worker", url, "--threads", "1", "--name", name], {
    stdio: ["ignore", "pipe", "inherit"]
  })
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", () => resolve(child))
    child.once("exit", (code) => reject(new Error(`weft worker ${name} exited (${code}) before it was ready`)))
  })
}

export async function stopWeftWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once("exit", resolve))
  child.kill("SIGTERM")
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000)
  await exited
  clearTimeout(timer)
}

const inc = (x: number) => x + 1
const add = (a: number, b: number) => a + b

/** One map of `tasks` trivial tasks + gather; ms. */
export async function mapGather(client: Client, tasks: number): Promise<number> {
  const items = range(freshBase(), tasks)
  const start = performance.now()
  const futures = client.map(inc, items)
  const values = await client.gather(futures)
  const ms = performance.now() - start
  expect(
    values.every((v, i) => v === items[i]! + 1),
    "weft cluster map"
  )
  for (const future of futures) future.release()
  return ms
}

/** The 8,192-leaf tree (16,383 tasks) with `delayed`, build + compute; ms. */
export async function tree(client: Client, leaves = 8192): Promise<number> {
  const base = freshBase()
  const start = performance.now()
  let level: Array<Delayed<number>> = range(base, leaves).map((x) => delayed(inc)(x))
  while (level.length > 1)
    level = range(0, level.length >> 1).map((i) => delayed(add)(level[2 * i]!, level[2 * i + 1]!))
  const value = await client.compute(level[0]!).result()
  const ms = performance.now() - start
  expect(value === leaves * (base + 1) + (leaves * (leaves - 1)) / 2, "weft cluster tree")
  return ms
}

const spin10 = (tag: number) => {
  const end = performance.now() + 10
  while (performance.now() < end) {
    // busy
  }
  return tag
}

/** 200 tasks of 10 ms CPU; ms. */
export async function cpu(client: Client): Promise<number> {
  const items = range(freshBase(), 200)
  const start = performance.now()
  const futures = client.map(spin10, items)
  const values = await client.gather(futures)
  const ms = performance.now() - start
  expect(
    values.every((v, i) => v === items[i]),
    "weft cluster spin"
  )
  for (const future of futures) future.release()
  return ms
}

/** Serial time of the 200 x 10 ms in this thread; ms. */
export function cpuSerial(): number {
  const start = performance.now()
  for (const item of range(freshBase(), 200)) spin10(item)
  return performance.now() - start
}

const sleepy = async (x: number) => {
  await new Promise((resolve) => setTimeout(resolve, 100))
  return x
}

/**
 * A map of 100 tasks of 100 ms on two workers; one worker is SIGKILLed once 20 are done. Returns
 * the ms from the kill until every task finished, and what the survivor alone needed for the rest.
 */
export async function killRerun(
  client: Client,
  victim: ChildProcess
): Promise<{ afterKillMs: number; floorMs: number }> {
  const futures = client.map(sleepy, range(freshBase(), 100))
  while (futures.filter((f) => f.status === "finished").length < 20) await new Promise((r) => setTimeout(r, 10))
  const left = futures.filter((f) => f.status !== "finished").length
  victim.kill("SIGKILL")
  const killed = performance.now()
  await wait(futures)
  const afterKillMs = performance.now() - killed
  expect(
    futures.every((f) => f.status === "finished"),
    "every task reran after the kill"
  )
  return { afterKillMs, floorMs: left * 100 }
}

/** A TCP proxy to Redis that counts the bytes Redis sends through it. */
export async function countingProxy(port: number): Promise<{ url: string; bytes: () => number; close: () => void }> {
  let bytes = 0
  const server: Server = createServer((socket) => {
    const upstream = connect(port, "127.0.0.1")
    upstream.on("data", (chunk: Buffer) => (bytes += chunk.length))
    socket.pipe(upstream).pipe(socket)
    socket.on("error", () => upstream.destroy())
    upstream.on("error", () => socket.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address() as { port: number }
  return { url: `redis://127.0.0.1:${address.port}`, bytes: () => bytes, close: () => server.close() }
}

const big = (seed: number) => new Uint8Array(10 * 1024 * 1024).fill(seed % 256)
const next = (previous: Uint8Array) => new Uint8Array(previous.length).fill((previous[0]! + 1) % 256)

/** A chain of ten tasks returning 10 MB each; the bytes the client read before its gather, and during it. */
export async function chainBytes(url: string, redisPort: number): Promise<{ before: number; gather: number }> {
  const proxy = await countingProxy(redisPort)
  const client = await Client.connect(proxy.url)
  try {
    let future = client.submit(big, freshBase())
    for (let i = 1; i < 10; i++) future = client.submit(next, future)
    await wait([future])
    const before = proxy.bytes()
    const value = await future.result()
    expect(value.length === 10 * 1024 * 1024, "10 MB chain")
    return { before, gather: proxy.bytes() - before }
  } finally {
    await client.close()
    proxy.close()
    void url
  }
}
