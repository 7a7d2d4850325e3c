/**
 * The headless Chromium of the dashboard tests (test/support/browser.ts): the system's Chromium,
 * driven by playwright-core, reads what a page shows, and leaves no process behind.
 */
import { readdirSync, readFileSync } from "node:fs"
import { describe, expect, it, onTestFinished } from "vitest"
import { launchBrowser } from "./browser.js"

/** Pids of every live descendant of this process (Linux `/proc`). */
function descendants(): number[] {
  const parent = new Map<number, number>()
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      if (state !== "Z") parent.set(Number(entry), Number(ppid))
    } catch {
      // gone while we looked
    }
  }
  const isOurs = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true
    return false
  }
  return [...parent.keys()].filter(isOurs)
}

describe("launchBrowser", () => {
  it("loads a page and reads its text, then closes without leaving a process", async () => {
    const before = new Set(descendants())
    const browser = await launchBrowser()
    onTestFinished(() => browser.close())
    expect(descendants().some((pid) => !before.has(pid))).toBe(true)
    const page = await browser.newPage()
    await page.goto(
      `data:text/html,${encodeURIComponent('<title>weft</title><h1>Progress</h1><p id="inc">inc 200/200</p>')}`
    )
    expect(await page.title()).toBe("weft")
    expect(await page.locator("#inc").textContent()).toBe("inc 200/200")
    expect(await page.locator("body").innerText()).toContain("Progress")
    await browser.close()
    expect(descendants().filter((pid) => !before.has(pid))).toEqual([])
  })
})
