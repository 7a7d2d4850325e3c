/**
 * The dashboard of a cluster on Redis, with a real redis-server and two real `weft worker`
 * processes (test/cluster/helpers.ts): `Client.connect(url, { dashboard })` serves the client's
 * page with bars named after the workers that ran them, and `weft dashboard URL` (a process of
 * its own) serves every client's work: progress, errors and workers, read in a real Chromium.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Browser } from "playwright-core"
import { Client } from "weft"
import { useCluster } from "../cluster/helpers.js"
import { launchBrowser } from "../support/browser.js"
import { inc } from "../fixtures/client-tasks.js"
import { dies } from "../fixtures/client-effect-tasks.js"

const cluster = useCluster({ workers: 2, threads: 1 })
const weftBin = fileURLToPath(new URL("../../dist/cli/weft.js", import.meta.url))
const xs = Array.from({ length: 200 }, (_, i) => i)

const json = async <T>(link: string, path: string): Promise<T> =>
  (await (await fetch(link.replace("/status", path))).json()) as T

interface Status {
  cluster: { workers: number; kind: string }
  counts: Record<string, number>
  progress: Array<{ name: string; total: number; done: number; erred: number }>
  workers: Array<{ name: string; tasks: number }>
}

describe("Client.connect(url, { dashboard })", () => {
  it("serves the client's progress and a task stream row per worker thread, named after its worker", async () => {
    const client = await cluster().connect({ dashboard: 0 })
    expect(client.dashboardLink).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/status$/)
    expect(String(client)).toContain(`dashboard: ${client.dashboardLink}`)
    // Small batches, so that both workers take some.
    await client.gather(xs.map((x) => client.submit(inc, x)))
    const link = client.dashboardLink!
    const status = await json<Status>(link, "/json/status")
    expect(status.progress.find((row) => row.name.startsWith("inc"))).toMatchObject({ total: 200, done: 200 })
    const events = await json<Array<{ worker: string }>>(link, "/json/tasks?since=0&limit=1000")
    expect(events).toHaveLength(200)
    const rows = new Set(events.map((event) => event.worker.replace(/ thread \d+$/, "")))
    expect([...rows].sort()).toEqual(["w1", "w2"])
    expect(status.workers.map((w) => w.name).every((name) => /^w[12] thread \d+$/.test(name))).toBe(true)
    await client.close()
    await expect(fetch(link)).rejects.toThrow()
  }, 60_000)

  it("refuses a bad dashboard option, naming the fix", async () => {
    await expect(Client.connect(cluster().redis.url, { dashboard: "yes" as never })).rejects.toThrow(
      /Client\.connect: dashboard must be a boolean, a port or \{ port, host \}, got .*Pass true/
    )
  })
})

/** `weft dashboard URL --port 0`: resolves with its link once it printed it. */
function startDashboard(url: string, extra: string[] = []): Promise<{ child: ChildProcess; link: string }> {
  const child = spawn(process.execPath, [weftBin, "dashboard", url, "--port", "0", ...extra], {
    stdio: ["ignore", "pipe", "pipe"]
  })
  running.push(child)
  let text = ""
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString()
      const link = /http:\/\/\S+\/status/.exec(text)?.[0]
      if (link !== undefined) resolve({ child, link })
    })
    child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString()))
    child.on("exit", (code) => reject(new Error(`weft dashboard exited (${code}):\n${text}`)))
  })
}
const running: ChildProcess[] = []

describe("weft dashboard URL", () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launchBrowser()
  }, 60_000)
  afterAll(async () => {
    for (const child of running) child.kill("SIGKILL")
    await browser?.close()
  })

  it("shows every client's progress, errors and both workers, without credentials", async () => {
    const { link, child } = await startDashboard(cluster().redis.url)
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/status$/)
    // Two clients, neither with a dashboard of its own: they publish because one watches.
    const a = await cluster().connect()
    const b = await cluster().connect()
    // A client looks for the dashboard every 2 s: wait until both feed it.
    await expect
      .poll(async () => (await json<Status>(link, "/json/status")).cluster.kind, { timeout: 15_000, interval: 250 })
      .toMatch(/2 clients/)
    await Promise.all([
      a.gather(xs.slice(0, 100).map((x) => a.submit(inc, x))),
      b.gather(xs.slice(100).map((x) => b.submit(inc, x)))
    ])
    await expect(b.submit(dies, "boom from the cluster").result()).rejects.toThrow("boom from the cluster")

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(link)
    const row = page.locator('#progress tr[data-name^="inc"]')
    await expect.poll(() => row.locator("td.done").textContent(), { timeout: 15_000 }).toBe("200/200")
    const workers = page.locator("#workers tbody tr")
    await expect.poll(async () => (await workers.allTextContents()).join(" "), { timeout: 10_000 }).toMatch(/w1.*w2/s)
    await expect
      .poll(async () => Number(await page.locator("#stream-rows li").count()), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(2)
    await page.screenshot({ path: new URL("../../test-artifacts/dashboard-cluster.png", import.meta.url).pathname })
    await page.getByRole("link", { name: "Errors" }).first().click()
    await expect.poll(() => page.locator("body").textContent(), { timeout: 10_000 }).toContain("boom from the cluster")
    const text = (await page.locator("body").textContent()) ?? ""
    expect(text).not.toMatch(/redis:\/\/[^ ]*@/)
    await page.close()
    child.kill("SIGTERM")
    expect(await new Promise((resolve) => child.on("exit", resolve))).toBe(0)
  }, 120_000)

  it("refuses a missing URL or a bad port with a message and exit code 2", async () => {
    for (const [args, message] of [
      [[], /give the Redis URL/],
      [["redis://127.0.0.1:1", "--port", "http"], /--port must be a whole number/]
    ] as const) {
      const child = spawn(process.execPath, [weftBin, "dashboard", ...args], { stdio: ["ignore", "pipe", "pipe"] })
      let err = ""
      child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()))
      expect(await new Promise((resolve) => child.on("exit", resolve))).toBe(2)
      expect(err).toMatch(message)
    }
  }, 30_000)
})

describe("reports of a cluster client", () => {
  it("timeline and performanceReport of a cluster client: a track per worker thread, a slice per task, every task in the report", async () => {
    const client = await cluster().connect()
    const dir = mkdtempSync(join(tmpdir(), "weft-cluster-reports-"))
    let keys: string[] = []
    await client.timeline(join(dir, "trace.json"), () => {
      const futures = xs.map((x) => client.submit(inc, x))
      keys = futures.map((f) => f.key)
      return client.gather(futures)
    })
    const trace = JSON.parse(readFileSync(join(dir, "trace.json"), "utf8")) as {
      traceEvents: Array<{ ph: string; name: string; args?: { key?: string; name?: string } }>
    }
    const slices = trace.traceEvents.filter((e) => e.ph === "X")
    expect(new Set(slices.map((e) => e.args?.key))).toEqual(new Set(keys))
    const tracks = trace.traceEvents.filter((e) => e.ph === "M" && e.name === "thread_name")
    expect(new Set(tracks.map((t) => t.args?.name?.replace(/ thread \d+$/, "")))).toEqual(new Set(["w1", "w2"]))
    let reported: string[] = []
    const values = await client.performanceReport(join(dir, "report.html"), () => {
      const futures = xs.map((x) => client.submit(inc, x + 1_000))
      reported = futures.map((f) => f.key)
      return client.gather(futures)
    })
    expect(values).toEqual(xs.map((x) => x + 1_001))
    const html = readFileSync(join(dir, "report.html"), "utf8")
    expect(reported.filter((key) => !html.includes(key))).toEqual([])
    await client.close()
  }, 60_000)
})
