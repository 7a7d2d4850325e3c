/**
 * Scenario 14: what the dashboard costs (issue 15).
 *
 * - map 20,000 trivial tasks + gather, and the 8,192-leaf tree reduction (16,383 tasks), on a
 *   client with the dashboard on (no page open: the recorder fills its rings, the server drains
 *   them every 500 ms) against one with it off, in the same run, sides alternating. Target: within 5%.
 * - the same map with a headless Chromium showing the status page (live updates 4 times a
 *   second): reported only; on two cores the browser takes CPU from the workers.
 * - the graph page of a 100,000-task graph (two maps of 50,000, held): from `goto` to the page
 *   showing its summary. Target: under 3 s.
 */
import { Client, delayed, type Delayed } from "weft"
import { launchBrowser } from "../../test/support/browser.js"
import { compare, expect, freshBase, type Side } from "../measure.js"
import { workers } from "../pools.js"
import type { Scenario } from "../scenario.js"
import type { Row } from "../table.js"
import { weftSide as mapSide } from "./map.js"
// The built modules, as "weft" resolves to dist/: one engine registry.
import { engineOf } from "../../dist/runtime/internal/client-engine.js"
import { attach } from "../../dist/runtime/dashboard/hub.js"
import { Recorder } from "../../dist/runtime/dashboard/recorder.js"

/**
 * `side` on `client` with a dashboard's recorder attached for the run (drained every 500 ms, as
 * the dashboard does with no page open), detached after: on and off on ONE client, so the two
 * sides share their worker threads and heap (two clients differed by 13-42% with no monitor).
 */
const recorded =
  (client: Client, side: Side): Side =>
  async () => {
    const engine = engineOf(client)
    const recorder = new Recorder(engine.scheduler.tasks())
    const detach = attach(engine, recorder)
    const timer = setInterval(() => recorder.drain(), 500)
    try {
      return await side()
    } finally {
      clearInterval(timer)
      detach()
    }
  }

const leaves = 8_192
const limit = 1.05
const graphTasks = 100_000

const inc = (x: number) => x + 1
const add = (a: number, b: number) => a + b
const double = (x: number) => x * 2

/** The tree reduction on fresh leaves, timed from the first `delayed` call to the root's value. */
const treeSide =
  (client: Client): Side =>
  async () => {
    const base = freshBase()
    const start = performance.now()
    let level: Array<Delayed<number>> = Array.from({ length: leaves }, (_, i) => delayed(inc)(base + i))
    while (level.length > 1)
      level = Array.from({ length: level.length >> 1 }, (_, i) => delayed(add)(level[2 * i], level[2 * i + 1]))
    const future = client.compute(level[0])
    const value = await future.result()
    const ms = performance.now() - start
    expect(value === leaves * (base + 1) + (leaves * (leaves - 1)) / 2, `dashboard tree gave ${value}`)
    future.release()
    return ms
  }

/** Milliseconds from opening the graph page of a held 100,000-task graph to its summary. */
async function graphLoadMs(client: Client): Promise<number> {
  const firsts = client.map(
    double,
    Array.from({ length: graphTasks / 2 }, (_, i) => freshBase() + i)
  )
  const seconds = client.map(double, firsts, { key: "twice" })
  await client.gather(seconds)
  await using browser = await launchBrowser()
  const page = await browser.newPage()
  const start = performance.now()
  await page.goto(client.dashboardLink!.replace("/status", "/graph"))
  await page.locator("#graph-summary", { hasText: `${graphTasks} tasks` }).waitFor({ timeout: 30_000 })
  const ms = performance.now() - start
  for (const f of [...firsts, ...seconds]) f.release()
  return ms
}

const ratioRow = (scenario: string, off: number, on: number): Row => ({
  scenario,
  weft: `on ${on.toFixed(1)} ms`,
  raw: `off ${off.toFixed(1)} ms`,
  ratio: off / on,
  target: "on within 5% of off",
  met: on <= off * limit,
  check: `${((on / off - 1) * 100).toFixed(1)}%`
})

export const dashboardScenario: Scenario = {
  id: "dashboard",
  title: "14. dashboard on vs off (no browser), with a browser, 100k graph page",
  async run({ reps, log }) {
    const off = await Client.local({ workers })
    const on = await Client.local({ workers, dashboard: 0 })
    try {
      const results = await compare(reps, {
        mapOff: mapSide(off),
        mapOn: mapSide(on),
        treeOff: treeSide(off),
        treeOn: treeSide(on),
        mapSameOff: mapSide(off),
        mapSameOn: recorded(off, mapSide(off)),
        treeSameOff: treeSide(off),
        treeSameOn: recorded(off, treeSide(off))
      })
      log("dashboard: map with a browser on the status page")
      await using browser = await launchBrowser()
      const page = await browser.newPage()
      await page.goto(on.dashboardLink!)
      const browsed = await compare(reps, { mapBrowsed: mapSide(on) })
      await page.close()
      log("dashboard: 100k graph page")
      const graphMs = await graphLoadMs(on)
      const mapOn = results.mapOn.median
      return {
        rows: [
          ratioRow("dashboard: map 20k + gather, on vs off", results.mapOff.median, mapOn),
          ratioRow(`dashboard: tree ${leaves} leaves, on vs off`, results.treeOff.median, results.treeOn.median),
          ratioRow(
            "dashboard: map 20k, recorder on/off on one client",
            results.mapSameOff.median,
            results.mapSameOn.median
          ),
          ratioRow(
            `dashboard: tree ${leaves} leaves, recorder on/off on one client`,
            results.treeSameOff.median,
            results.treeSameOn.median
          ),
          {
            scenario: "dashboard: map 20k with a browser on /status vs off",
            weft: `${browsed.mapBrowsed.median.toFixed(1)} ms`,
            raw: `off ${results.mapOff.median.toFixed(1)} ms`,
            ratio: results.mapOff.median / browsed.mapBrowsed.median,
            target: "reported",
            met: undefined
          },
          {
            scenario: "dashboard: 100k-task graph page loads",
            weft: `${graphMs.toFixed(0)} ms`,
            raw: "",
            ratio: undefined,
            target: "< 3 s",
            met: graphMs < 3000
          }
        ],
        data: { ms: { ...results, ...browsed }, graphMs }
      }
    } finally {
      await Promise.all([off.close(), on.close()])
    }
  }
}
