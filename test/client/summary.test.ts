/**
 * `String(client)`, `console.log(client)` and `util.inspect(client)` give a one-line summary, as
 * Dask's `<Client: ...>` repr: the workers and how they run, memory, tasks by state and the
 * results held; never the engine's internals.
 */
import { inspect } from "node:util"
import { describe, expect, test } from "vitest"
import { Client, type ClientOptions } from "weft"

const nap = async (ms: number) => {
  await new Promise((resolve) => setTimeout(resolve, ms))
  return ms
}

const cases: ReadonlyArray<[string, ClientOptions, string]> = [
  ["threads", { workers: 2 }, "2 workers (threads)"],
  ["processes", { workers: 1, isolation: "process" }, "1 worker (processes)"],
  ["in-process", { workers: 0 }, "no workers (tasks run in this thread)"]
]

describe.each(cases)("a client on %s", (_, options, workers) => {
  test(
    "summarizes itself for String() and util.inspect, tasks by state and held results",
    { timeout: 60_000 },
    async () => {
      const client = await Client.local(options)
      try {
        expect(String(client)).toMatch(
          new RegExp(
            `^<Client: ${escape(workers)}, memory: [\\d.]+ GB \\(this machine\\), tasks: none pending, held results: 0>$`
          )
        )
        const done = client.submit((x: number) => x + 1, 1)
        await done.result()
        const slow = client.submit(nap, 60_000)
        const after = client.submit((x: number) => x * 2, slow)
        await until(
          () => String(client).includes("processing"),
          () => String(client)
        )
        const summary = String(client)
        // The dependent waits, or runs fused into its input's batch.
        expect(summary).toMatch(
          new RegExp(
            `^<Client: ${escape(workers)}, memory: [\\d.]+ GB \\(this machine\\), tasks: (1 waiting, 1 processing|2 processing), held results: 1>$`
          )
        )
        expect(inspect(client)).toBe(summary)
        expect(inspect({ client })).toContain(summary)
        expect(inspect(client, { depth: 10, showHidden: true })).not.toMatch(/scheduler|engine|executor/i)
        await client.cancel([slow, after])
        expect(String(client)).toContain("tasks: 2 cancelled, held results: 1") // their Futures still hold them
        slow.release()
        after.release()
        expect(String(client)).toContain("tasks: none pending, held results: 1") // forgotten
      } finally {
        await client.close()
      }
      expect(String(client)).toBe("<Client: closed>")
      expect(inspect(client)).toBe("<Client: closed>")
    }
  )
})

test("a memoryLimit is shown per worker", async () => {
  const client = await Client.local({ workers: 1, memoryLimit: "512 MB" })
  try {
    expect(`${client}`).toBe(
      "<Client: 1 worker (threads), memory limit: 512 MB per worker, tasks: none pending, held results: 0>"
    )
  } finally {
    await client.close()
  }
})

const escape = (text: string) => text.replace(/[()]/g, "\\$&")

async function until(check: () => boolean, show: () => string): Promise<void> {
  const end = Date.now() + 20_000
  while (!check()) {
    if (Date.now() > end) throw new Error(`condition not met within 20 s: ${show()}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
