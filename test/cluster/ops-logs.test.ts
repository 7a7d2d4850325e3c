/**
 * Task console output on the cluster (issue 14, logs): each line a task prints appears in its
 * worker's output prefixed with the task's key, and `forwardLogs` brings the lines to the client,
 * bounded, as Dask's `forward_logging`. Real redis-server and `weft worker` processes.
 */
import { describe, expect, test, vi } from "vitest"
import { Client, type TaskLogLine } from "weft"
import { allKeys, useCluster } from "./helpers.js"
import { engineOf } from "../../dist/runtime/internal/client-engine.js"

const cluster = useCluster({ workers: 2, threads: 1 })

const eventually = async (check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> => {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const clientIdOf = (client: Client): string => (engineOf(client).executor as unknown as { clientId: string }).clientId
const workerOutput = () =>
  cluster()
    .workers.map((w) => w.output())
    .join("")

describe("task console output on the cluster", () => {
  test("a task's lines appear in its worker's output prefixed with its key", async () => {
    const client = await cluster().connect()
    const f = client.submit((x: number) => {
      console.log(`hello ${x}\nsecond line`)
      console.error("to stderr")
      return x
    }, 7)
    expect(await f.result()).toBe(7)
    await eventually(() => workerOutput().includes(`[${f.key}] hello 7\n[${f.key}] second line\n`))
    expect(workerOutput()).toContain(`[${f.key}] to stderr\n`)
    // Not forwarded unless asked: the client has no log stream.
    expect(await allKeys(cluster().inspect(), `weft:log:${clientIdOf(client)}`)).toEqual([])
    await client.close()
  })

  test("forwardLogs: a function gets each line with its key, stream and worker", async () => {
    const lines: TaskLogLine[] = []
    const client = await cluster().connect({ forwardLogs: (line) => lines.push(line) })
    const fs = client.map(
      (i: number) => {
        console.log(`out ${i}`)
        console.warn(`err ${i}`)
        return i
      },
      [1, 2, 3],
      { pure: false }
    )
    expect(await client.gather(fs)).toEqual([1, 2, 3])
    await eventually(() => lines.length >= 6)
    for (const [i, f] of fs.entries()) {
      expect(lines).toContainEqual(expect.objectContaining({ key: f.key, stream: "stdout", text: `out ${i + 1}` }))
      expect(lines).toContainEqual(expect.objectContaining({ key: f.key, stream: "stderr", text: `err ${i + 1}` }))
    }
    expect(new Set(lines.map((l) => l.worker)).size).toBeGreaterThan(0)
    expect(lines.every((l) => ["w1", "w2"].includes(l.worker))).toBe(true)
    await client.close()
    expect(await allKeys(cluster().inspect(), `*${clientIdOf(client)}*`)).toEqual([])
  })

  test("forwardLogs: true writes the lines to the client's stdout as [key] text", async () => {
    const written: string[] = []
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk))
      return true
    })
    try {
      const client = await cluster().connect({ forwardLogs: true })
      const f = client.submit(() => console.log("forwarded"))
      await f.result()
      await eventually(() => written.includes(`[${f.key}] forwarded\n`))
      await client.close()
    } finally {
      spy.mockRestore()
    }
  })

  test("forwarding is bounded: a task printing 50,000 lines forwards fewer, and says how many were dropped", async () => {
    const lines: TaskLogLine[] = []
    const client = await cluster().connect({ forwardLogs: (line) => lines.push(line) })
    const f = client.submit(() => {
      for (let i = 0; i < 50_000; i++) console.log(`line ${i}`)
    })
    await f.result()
    await eventually(() => lines.some((l) => /lines of this worker's tasks were dropped/.test(l.text)))
    expect(lines.length).toBeLessThan(50_000)
    await client.close()
  })

  test("forwardLogs must be a boolean or a function", async () => {
    await expect(Client.connect(cluster().redis.url, { forwardLogs: "yes" } as never)).rejects.toThrow(
      /forwardLogs must be true, false or a function/
    )
    await expect(Client.connect(cluster().redis.url, { nope: 1 } as never)).rejects.toThrow(/forwardLogs/)
  })
})
