/**
 * `client.performanceReport` (one self-contained HTML file, read here offline in Chromium) and
 * `client.timeline` (Chrome trace JSON), and their Effect forms.
 */
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { Client } from "weft"
import { Weft } from "weft/effect"
import { engineOf } from "../../dist/runtime/internal/client-engine.js"
import { launchBrowser } from "../support/browser.js"

const dir = mkdtempSync(join(tmpdir(), "weft-reports-"))
const inc = (x: number) => x + 1
const fail = (x: number) => {
  throw new TypeError(`not this one: ${x}`)
}

interface TraceEvent {
  name: string
  ph: string
  tid: number
  ts?: number
  dur?: number
  args?: { key?: string; name?: string; failed?: boolean }
}

describe("client.performanceReport", () => {
  it("writes one HTML page of the run that shows its progress, task stream and errors with no server", async () => {
    await using client = await Client.local({ workers: 2 })
    const file = join(dir, "report.html")
    const values = await client.performanceReport(file, async () => {
      await client.gather(client.map(fail, [1]), { errors: "skip" })
      return client.gather(
        client.map(
          inc,
          Array.from({ length: 200 }, (_, i) => i)
        )
      )
    })
    expect(values).toHaveLength(200)
    const html = readFileSync(file, "utf8")
    expect(html).not.toMatch(/<script src=|<link /) // self-contained
    await using browser = await launchBrowser()
    const page = await browser.newPage()
    // Offline: any request but the file itself fails.
    await page.route(/^(?!file:)/, (route) => route.abort())
    await page.goto(pathToFileURL(file).href)
    expect(await page.locator('#progress tr[data-name="inc"] td.done').textContent()).toBe("200/200")
    expect(await page.locator("#report-summary").textContent()).toContain("200 tasks done, 1 erred")
    expect(await page.locator("#stream-rows li").count()).toBeGreaterThanOrEqual(1)
    expect(await page.locator("article.error .message").textContent()).toBe("TypeError: not this one: 1")
  }, 60_000)

  it("still writes the report when the work fails, then rejects with its error", async () => {
    await using client = await Client.local({ workers: 1 })
    const file = join(dir, "failed.html")
    await expect(
      client.performanceReport(file, async () => {
        await client.submit(fail, 2).result()
      })
    ).rejects.toThrow("not this one: 2")
    expect(readFileSync(file, "utf8")).toContain("weft performance report")
    expect(engineOf(client).monitor).toBeUndefined() // recording stopped with the work
  })

  it("rejects bad arguments with a TypeError naming what to pass", async () => {
    await using client = await Client.local({ workers: 0 })
    await expect(client.performanceReport("", () => 1)).rejects.toThrow("the first argument must be a file path")
    await expect(client.performanceReport("x.html", "work" as never)).rejects.toThrow(
      "the second argument must be a function"
    )
  })
})

describe("client.timeline", () => {
  it("writes Chrome trace JSON: a track per worker, a slice per task attempt with its key", async () => {
    await using client = await Client.local({ workers: 2 })
    const file = join(dir, "trace.json")
    let futures: Array<{ key: string }> = []
    await client.timeline(file, () => {
      const mapped = client.map(
        inc,
        Array.from({ length: 100 }, (_, i) => i)
      )
      futures = mapped
      return client.gather(mapped)
    })
    const trace = JSON.parse(readFileSync(file, "utf8")) as { traceEvents: TraceEvent[] }
    const slices = trace.traceEvents.filter((e) => e.ph === "X")
    expect(slices).toHaveLength(100)
    expect(new Set(slices.map((e) => e.args?.key))).toEqual(new Set(futures.map((f) => f.key)))
    const tracks = trace.traceEvents.filter((e) => e.ph === "M" && e.name === "thread_name")
    expect(new Set(slices.map((e) => e.tid))).toEqual(new Set(tracks.map((e) => e.tid)))
    for (const track of tracks) expect(track.args?.name).toMatch(/^thread \d+$/)
    for (const slice of slices) expect(slice.dur).toBeGreaterThanOrEqual(0)
  })

  it("writes what the dashboard recorded when given no work, and says how to record when nothing was", async () => {
    await using live = await Client.local({ workers: 1, dashboard: 0 })
    await live.gather(live.map(inc, [1, 2, 3]))
    const file = join(dir, "live.json")
    await live.timeline(file)
    const trace = JSON.parse(readFileSync(file, "utf8")) as { traceEvents: TraceEvent[] }
    expect(trace.traceEvents.filter((e) => e.ph === "X")).toHaveLength(3)
    await using plain = await Client.local({ workers: 0 })
    await expect(plain.timeline(join(dir, "none.json"))).rejects.toThrow(
      "nothing was recorded. Pass the work to record"
    )
  })
})

describe("Weft.performanceReport and Weft.timeline", () => {
  it("record an Effect's tasks and keep its typed outcome", async () => {
    const file = join(dir, "effect.html")
    const trace = join(dir, "effect.json")
    const program = Effect.gen(function* () {
      const sum = yield* Weft.performanceReport(
        file,
        Effect.flatMap(Weft.map(inc, [1, 2, 3]), (fs) => Weft.gather(fs))
      )
      const failed = yield* Effect.exit(Weft.timeline(trace, Effect.fail("typed" as const)))
      return { sum, failed }
    }).pipe(Effect.provide(Weft.local({ workers: 1 })))
    const { sum, failed } = await Effect.runPromise(program)
    expect(sum).toEqual([2, 3, 4])
    expect(failed).toEqual(Exit.fail("typed"))
    expect(readFileSync(file, "utf8")).toContain("3 tasks done")
    expect(JSON.parse(readFileSync(trace, "utf8")).traceEvents).toBeInstanceOf(Array)
  })
})
