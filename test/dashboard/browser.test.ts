/**
 * The live dashboard as a person sees it, in a real headless Chromium (test/support/browser.ts):
 * progress reads 200/200 after a map of 200 tasks, the task stream has bars for both workers, a
 * failing task is on the errors page with its message, and a 100,000-task graph page loads.
 * Screenshots of the pages are kept in test-artifacts/.
 */
import { mkdirSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Browser, Page } from "playwright-core"
import { Client } from "weft"
import { launchBrowser } from "../support/browser.js"

const artifacts = new URL("../../test-artifacts/", import.meta.url).pathname
mkdirSync(artifacts, { recursive: true })

/** A task that takes about a millisecond, so that both workers get some. */
function spin(x: number): number {
  const until = performance.now() + 1
  while (performance.now() < until);
  return x + 1
}

function explode(x: number): number {
  throw new RangeError(`no good: ${x}`)
}

const double = (x: number) => x * 2

let browser: Browser
beforeAll(async () => {
  browser = await launchBrowser()
}, 60_000)
afterAll(() => browser?.close())

async function open(client: Client, path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await page.goto(client.dashboardLink!.replace("/status", path))
  return page
}

describe("the status page", () => {
  it("shows 200/200 for a map of 200 tasks, bars for both workers, and the workers", async () => {
    await using client = await Client.local({ workers: 2, dashboard: 0 })
    await client.gather(
      client.map(
        spin,
        Array.from({ length: 200 }, (_, i) => i)
      )
    )
    const page = await open(client, "/status")
    const row = page.locator('#progress tr[data-name="spin"]')
    await expect.poll(() => row.locator("td.done").textContent(), { timeout: 10_000 }).toBe("200/200")
    const streamRows = page.locator("#stream-rows li")
    await expect.poll(() => streamRows.count(), { timeout: 10_000 }).toBe(2)
    for (const li of await streamRows.all()) expect(Number(await li.getAttribute("data-bars"))).toBeGreaterThan(0)
    const bars = (await streamRows.allTextContents()).join(" ")
    expect(bars).toMatch(/thread \d+: \d+ tasks.*thread \d+: \d+ tasks/)
    expect(await page.locator("#workers tbody tr").count()).toBe(2)
    expect(await page.locator('#summary tr[data-row="workers"]').textContent()).toContain("2 (threads)")
    // Every page is an ordinary link away.
    for (const href of ["/graph", "/errors", "/json/status", "/metrics"])
      expect(await page.locator(`header a[href="${href}"]`).count()).toBe(1)
    await page.screenshot({ path: `${artifacts}dashboard-status.png`, fullPage: true })
  })
})

describe("the errors page", () => {
  it("lists a failing task with its error message and traceback", async () => {
    await using client = await Client.local({ workers: 2, dashboard: 0 })
    const failed = client.submit(explode, 7)
    await expect(failed.result()).rejects.toThrow("no good: 7")
    const page = await open(client, "/status")
    await page.locator('header a[href="/errors"]').click()
    const entry = page.locator(`article.error[data-key="${failed.key}"]`)
    await expect.poll(() => entry.count(), { timeout: 10_000 }).toBe(1)
    expect(await entry.locator(".message").textContent()).toBe("RangeError: no good: 7")
    expect(await entry.locator("pre").textContent()).toContain("explode")
    expect(await page.locator("#errors-summary").textContent()).toBe("1 erred key, newest first.")
    await page.screenshot({ path: `${artifacts}dashboard-errors.png`, fullPage: true })
  })
})

describe("the graph page", () => {
  it("loads a 100,000-task graph, grouped by task name", async () => {
    await using client = await Client.local({ workers: 2, dashboard: 0 })
    const firsts = client.map(
      double,
      Array.from({ length: 50_000 }, (_, i) => i)
    )
    const seconds = client.map(double, firsts, { key: "twice" })
    await client.gather(seconds)
    const page = await open(client, "/graph")
    const summary = page.locator("#graph-summary")
    await expect.poll(() => summary.textContent(), { timeout: 15_000 }).toContain("100000 tasks in 2 groups")
    const double_ = page.locator('#graph-nodes tr[data-node="double"] td')
    expect(await double_.allTextContents()).toEqual(["double", "memory", "50000", "memory 50000"])
    expect(await page.locator("#graph-nodes tbody tr").count()).toBe(2)
    // Still responsive: its main thread runs a script between two refreshes.
    expect(await page.evaluate("document.querySelectorAll('#graph-nodes tbody tr').length")).toBe(2)
    await page.screenshot({ path: `${artifacts}dashboard-graph.png` })
  }, 60_000)
})
