/**
 * The dashboard's server without a browser: where it listens (loopback, next free port), what
 * its JSON, `/health` and `/metrics` say, what it refuses, and that closing the client stops it.
 */
import { once } from "node:events"
import { createServer, request } from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it, vi } from "vitest"
import { Client } from "weft"

const inc = (x: number) => x + 1
const fail = (x: number) => {
  throw new Error(`bad ${x}`)
}

const base = (client: Client) => client.dashboardLink!.replace(/\/status$/, "")
const text = async (url: string) => (await fetch(url)).text()
const getJson = async (url: string): Promise<any> => (await fetch(url)).json()

/** A raw GET with a chosen Host header (fetch does not let one set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on("error", reject)
    req.end()
  })
}

describe("where the dashboard listens", () => {
  it("serves on 127.0.0.1, takes the next port when the one asked is taken, and shows the link in the summary", async () => {
    const blocker = createServer()
    blocker.listen(0, "127.0.0.1")
    await once(blocker, "listening")
    const taken = (blocker.address() as AddressInfo).port
    try {
      await using client = await Client.local({ workers: 1, dashboard: taken })
      const link = client.dashboardLink!
      const port = Number(new URL(link).port)
      expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/status$/)
      expect(port).toBeGreaterThan(taken)
      expect(String(client)).toContain(`dashboard: ${link}`)
      expect(await text(`${base(client)}/health`)).toBe("ok")
    } finally {
      blocker.close()
    }
  })

  it("defaults to port 8787 or the next free one", async () => {
    await using client = await Client.local({ workers: 0, dashboard: true })
    expect(Number(new URL(client.dashboardLink!).port)).toBeGreaterThanOrEqual(8787)
  })

  it("has no dashboard unless asked", async () => {
    await using client = await Client.local({ workers: 0 })
    expect(client.dashboardLink).toBeUndefined()
    expect(String(client)).not.toContain("dashboard")
  })

  it("warns when told to listen beyond loopback", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {})
    try {
      await using client = await Client.local({ workers: 0, dashboard: { port: 0, host: "0.0.0.0" } })
      expect(client.dashboardLink).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/status$/)
      expect(warn).toHaveBeenCalledWith(expect.stringContaining("reachable from other machines"))
    } finally {
      warn.mockRestore()
    }
  })

  it("refuses requests for another host name (DNS rebinding) and anything but GET", async () => {
    await using client = await Client.local({ workers: 0, dashboard: 0 })
    expect(await getWithHost(`${base(client)}/json/status`, "evil.example:80")).toBe(403)
    expect(await getWithHost(`${base(client)}/json/status`, `localhost:${new URL(base(client)).port}`)).toBe(200)
    expect((await fetch(`${base(client)}/json/status`, { method: "POST" })).status).toBe(405)
    expect((await fetch(`${base(client)}/nothing`)).status).toBe(404)
  })

  it("stops serving when the client closes", async () => {
    const client = await Client.local({ workers: 0, dashboard: 0 })
    const url = `${base(client)}/health`
    expect(await text(url)).toBe("ok")
    await client.close()
    await expect(fetch(url)).rejects.toThrow()
  })

  it.each([
    ["yes", 'dashboard must be a boolean, a port or { port, host }, got the string "yes"'],
    [70_000, "dashboard must be a boolean, a port or { port, host }"],
    [{ port: -1 }, "dashboard.port must be a whole number from 0 to 65535"],
    [{ where: 1 }, 'unknown dashboard option "where"']
  ])("rejects dashboard: %j with a TypeError naming the fix", async (dashboard, message) => {
    const error = await Client.local({ workers: 0, dashboard: dashboard as never }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect((error as Error).message).toContain(message)
    expect((error as Error).message).toContain("Pass true (127.0.0.1:8787)")
  })
})

describe("what it serves", () => {
  it("counts tasks by state and name in /json/status and /metrics, and lists attempts in /json/tasks", async () => {
    await using client = await Client.local({ workers: 2, dashboard: 0 })
    const held = client.map(inc, [1, 2, 3])
    await client.gather(held)
    await client.gather(client.map(fail, [1, 2]), { errors: "skip" })
    const status = await getJson(`${base(client)}/json/status`)
    expect(status.counts.memory).toBe(3)
    expect(status.cluster).toEqual({ workers: 2, kind: "threads", deaths: 0 })
    const byName = Object.fromEntries(status.progress.map((row: { name: string }) => [row.name, row]))
    expect(byName.inc).toMatchObject({ total: 3, done: 3, erred: 0, timed: 3 })
    expect(byName.fail).toMatchObject({ total: 2, done: 0, erred: 2 })
    expect(status.heldBytes).toBeGreaterThan(0)
    const metrics = await text(`${base(client)}/metrics`)
    expect(metrics).toContain('weft_tasks{state="memory"} 3')
    expect(metrics).toContain('weft_tasks_finished_total{name="inc",outcome="memory"} 3')
    expect(metrics).toContain('weft_tasks_finished_total{name="fail",outcome="erred"} 2')
    expect(metrics).toContain('weft_task_duration_seconds_count{name="inc"} 3')
    expect(metrics).toContain("weft_worker_deaths_total 0")
    expect(metrics).toMatch(/^weft_held_bytes \d+$/m)
    const events = await getJson(`${base(client)}/json/tasks?since=0`)
    expect(events).toHaveLength(5)
    expect(events.filter((e: { failed: boolean }) => e.failed).map((e: { name: string }) => e.name)).toEqual([
      "fail",
      "fail"
    ])
    for (const e of events) expect(e.end).toBeGreaterThanOrEqual(e.start)
    const later = await getJson(`${base(client)}/json/tasks?since=${events[2].seq}`)
    expect(later.map((e: { seq: number }) => e.seq)).toEqual([events[3].seq, events[4].seq])
    const errors = await getJson(`${base(client)}/json/errors`)
    expect(errors.map((e: { message: string }) => e.message).sort()).toEqual(["bad 1", "bad 2"])
  })

  it("counts a worker death", async () => {
    await using client = await Client.local({ workers: 1, dashboard: 0, allowedFailures: 0 })
    const dies = client.submit(() => process.exit(3))
    await dies.exception()
    const status = await getJson(`${base(client)}/json/status`)
    expect(status.cluster.deaths).toBe(1)
    expect(await text(`${base(client)}/metrics`)).toContain("weft_worker_deaths_total 1")
  })
})
