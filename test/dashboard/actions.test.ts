/**
 * Retry from the errors page: a POST carrying the page's per-session token. In Chromium, the
 * errors page's "Retry" button reruns an erred task (which then succeeds); a POST without the
 * token, or with another site's Origin, is refused and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Browser } from "playwright-core"
import { Client } from "weft"
import { launchBrowser } from "../support/browser.js"

/** Fails while `globalThis.weftFlaky` > 0 (in-process: this thread's global), then succeeds. */
function flaky(x: number): number {
  const g = globalThis as unknown as { weftFlaky: number }
  if (g.weftFlaky-- > 0) throw new RangeError(`flaky ${x}`)
  return x * 10
}

let browser: Browser
beforeAll(async () => {
  browser = await launchBrowser()
}, 60_000)
afterAll(() => browser?.close())

const post = (link: string, action: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(link.replace("/status", `/api/${action}`), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body)
  })

describe("actions from the dashboard", () => {
  it("refuses a POST without the page's token, and retries an erred key from the errors page's button", async () => {
    ;(globalThis as unknown as { weftFlaky: number }).weftFlaky = 1
    await using client = await Client.local({ workers: 0, dashboard: 0 })
    const link = client.dashboardLink!
    const future = client.submit(flaky, 4)
    await expect(future.result()).rejects.toThrow("flaky 4")

    const refused = await post(link, "retry", { keys: [future.key] })
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { error: string }).error).toMatch(/x-weft-token/)
    expect(future.status).toBe("error")

    const page = await browser.newPage()
    await page.goto(link.replace("/status", "/errors"))
    const token = await page.locator('meta[name="weft-token"]').getAttribute("content")
    expect(token).toMatch(/^[\w-]{20,}$/)
    const foreign = await post(
      link,
      "retry",
      { keys: [future.key] },
      { "x-weft-token": token!, origin: "http://evil.example" }
    )
    expect(foreign.status).toBe(403)
    expect((await post(link, "retry", { nope: 1 }, { "x-weft-token": token! })).status).toBe(400)
    expect(future.status).toBe("error")

    await page.getByRole("button", { name: `Retry ${future.key}` }).click()
    expect(await future.result()).toBe(40)
    await expect.poll(() => page.locator("#errors-summary").textContent()).toMatch(/retry: 1 of 1/)
    await page.close()
  })

  it("offers no action on a read-only source (the whole-cluster dashboard): POST is 405", async () => {
    const { serveDashboard } = await import("../../dist/runtime/dashboard/server.js")
    const server = await serveDashboard(
      {
        label: "read-only",
        status: () => {
          throw new Error("not used")
        },
        events: () => [],
        errors: () => [],
        graph: () => ({ grouped: false, tasks: 0, nodes: [], edges: [] })
      },
      { port: 0 }
    )
    try {
      expect((await post(server.link, "retry", { keys: ["x"] }, { "x-weft-token": "x" })).status).toBe(405)
      const html = await (await fetch(server.link.replace("/status", "/errors"))).text()
      expect(html).not.toContain("weft-token")
    } finally {
      await server.close()
    }
  })
})
