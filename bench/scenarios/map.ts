/**
 * Scenario 1: `client.map` of 20,000 trivial tasks, then `gather`.
 *
 * - weft: `client.map(inc, items)` then `client.gather(futures)` (fresh inputs every run, so no
 *   key is already known; the futures are released after the clock stops);
 * - raw tinypool, per item: a hand-written loop of `pool.run(item)` with 16 in flight;
 * - raw tinypool, floor: 100 inputs per message (`incMany`), all 200 messages at once.
 *
 * Targets: weft at least 4x faster than the per-item loop, and about 10 µs per task end to end.
 */
import type { Tinypool } from "tinypool"
import type { Client } from "weft"
import { compare, expect, freshBase, range, usPerTask, type Side } from "../measure.js"
import { withBoth } from "../pools.js"
import type { Scenario } from "../scenario.js"
import { perTask } from "../table.js"

const tasks = 20_000
const inFlight = 16
const perMessage = 100

const inc = (x: number) => x + 1

/** Checks that `values` are `items` each plus one (what every side computes). */
export const checkAll = (values: ReadonlyArray<number>, items: ReadonlyArray<number>, side: string) => {
  expect(values.length === items.length, `${side}: ${values.length} values for ${items.length} items`)
  for (let i = 0; i < items.length; i++) expect(values[i] === items[i] + 1, `${side}: item ${i}`)
}

/** weft's side: `client.map(inc, items)` of 20,000 fresh items, then `gather`; also scenario 9's clean map. */
export const weftSide =
  (client: Client): Side =>
  async () => {
    const items = range(freshBase(), tasks)
    const start = performance.now()
    const futures = client.map(inc, items)
    const values = await client.gather(futures)
    const ms = performance.now() - start
    checkAll(values, items, "weft map")
    for (const future of futures) future.release()
    return ms
  }

const perItemSide =
  (pool: Tinypool): Side =>
  async () => {
    const items = range(freshBase(), tasks)
    const start = performance.now()
    const values = new Array<number>(tasks)
    let next = 0
    const lane = async () => {
      while (next < tasks) {
        const i = next++
        values[i] = (await pool.run(items[i])) as number
      }
    }
    await Promise.all(Array.from({ length: inFlight }, lane))
    const ms = performance.now() - start
    checkAll(values, items, "tinypool per item")
    return ms
  }

const floorSide =
  (pool: Tinypool): Side =>
  async () => {
    const items = range(freshBase(), tasks)
    const start = performance.now()
    const chunks: Promise<number[]>[] = []
    for (let i = 0; i < tasks; i += perMessage)
      chunks.push(pool.run(items.slice(i, i + perMessage), { name: "incMany" }))
    const values = (await Promise.all(chunks)).flat()
    const ms = performance.now() - start
    checkAll(values, items, "tinypool 100 per message")
    return ms
  }

export const mapScenario: Scenario = {
  id: "map",
  title: "1. map 20,000 trivial tasks + gather",
  async run({ reps }) {
    const results = await withBoth((client, pool) =>
      compare(reps, { weft: weftSide(client), perItem: perItemSide(pool), floor: floorSide(pool) })
    )
    const weftUs = usPerTask(results.weft.median, tasks)
    const perItemUs = usPerTask(results.perItem.median, tasks)
    const floorUs = usPerTask(results.floor.median, tasks)
    const speedUp = results.perItem.median / results.weft.median
    return {
      rows: [
        {
          scenario: `map ${tasks / 1000}k trivial + gather vs pool.run per item (${inFlight} in flight)`,
          weft: perTask(weftUs),
          raw: perTask(perItemUs),
          ratio: speedUp,
          target: ">= 4x faster",
          met: speedUp >= 4
        },
        {
          scenario: `map ${tasks / 1000}k trivial + gather vs ${perMessage} inputs per message (floor)`,
          weft: perTask(weftUs),
          raw: perTask(floorUs),
          ratio: results.floor.median / results.weft.median,
          target: "weft ~10 µs/task",
          met: weftUs <= 10,
          check: `${weftUs.toFixed(1)} µs/task`
        }
      ],
      data: {
        tasks,
        inFlight,
        perMessage,
        ms: results,
        usPerTask: { weft: weftUs, perItem: perItemUs, floor: floorUs }
      }
    }
  }
}
