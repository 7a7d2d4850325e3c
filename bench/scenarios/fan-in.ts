/**
 * Scenario 2b: scheduler overhead on a wide fan-in: 10,000 independent `inc` tasks, summed in
 * groups of 100 (100 `sum` tasks), then one final `sum`: 10,101 tasks, 10,100 dependencies.
 *
 * - weft: `client.map(inc, items)`, `client.submit(sum, group)` per group of 100 futures,
 *   `client.submit(sum, partials)`, then `total.result()`;
 * - raw tinypool, per item (the straightforward code): every group runs its 100 `pool.run(x)`
 *   at once, then `pool.run(values, { name: "sum" })` when they are back; all groups at once;
 * - raw tinypool, batched by hand: one `incMany` message per group of 100, then its `sum`.
 *
 * Overhead per task = (weft - baseline) / 10,101, against each baseline. Target: under 10 µs.
 */
import type { Tinypool } from "tinypool"
import type { Client } from "weft"
import { compare, expect, freshBase, range, type Side } from "../measure.js"
import { withBoth } from "../pools.js"
import type { Scenario } from "../scenario.js"
import { overheadRow } from "../table.js"

const leaves = 10_000
const group = 100
const groups = leaves / group
const tasks = leaves + groups + 1

const inc = (x: number) => x + 1
const sum = (xs: number[]) => {
  let s = 0
  for (const x of xs) s += x
  return s
}

/** inc(base + i) summed over i < leaves. */
const expected = (base: number) => leaves * (base + 1) + (leaves * (leaves - 1)) / 2

const weftSide =
  (client: Client): Side =>
  async () => {
    const base = freshBase()
    const start = performance.now()
    const incs = client.map(inc, range(base, leaves))
    const partials = []
    for (let g = 0; g < groups; g++) partials.push(client.submit(sum, incs.slice(g * group, (g + 1) * group)))
    const total = client.submit(sum, partials)
    const value = await total.result()
    const ms = performance.now() - start
    expect(value === expected(base), `weft fan-in gave ${value}, expected ${expected(base)}`)
    for (const future of [...incs, ...partials, total]) future.release()
    return ms
  }

const perItemSide =
  (pool: Tinypool): Side =>
  async () => {
    const base = freshBase()
    const start = performance.now()
    const partials = range(0, groups).map(async (g) => {
      const values = await Promise.all(range(base + g * group, group).map((x) => pool.run(x) as Promise<number>))
      return pool.run(values, { name: "sum" }) as Promise<number>
    })
    const value = (await pool.run(await Promise.all(partials), { name: "sum" })) as number
    const ms = performance.now() - start
    expect(value === expected(base), `tinypool per-item fan-in gave ${value}, expected ${expected(base)}`)
    return ms
  }

const batchedSide =
  (pool: Tinypool): Side =>
  async () => {
    const base = freshBase()
    const start = performance.now()
    const partials = range(0, groups).map(async (g) => {
      const values = (await pool.run(range(base + g * group, group), { name: "incMany" })) as number[]
      return pool.run(values, { name: "sum" }) as Promise<number>
    })
    const value = (await pool.run(await Promise.all(partials), { name: "sum" })) as number
    const ms = performance.now() - start
    expect(value === expected(base), `tinypool batched fan-in gave ${value}, expected ${expected(base)}`)
    return ms
  }

export const fanInScenario: Scenario = {
  id: "fan-in",
  title: "2b. fan-in: 10,000 inc -> 100 sums of 100 -> 1 sum",
  async run({ reps }) {
    const results = await withBoth((client, pool) =>
      compare(reps, { weft: weftSide(client), perItem: perItemSide(pool), batched: batchedSide(pool) })
    )
    const name = `fan-in ${leaves / 1000}k inc -> ${groups} sums -> 1`
    return {
      rows: [
        overheadRow(`${name}, vs pool.run per item`, results.weft.median, results.perItem.median, tasks),
        overheadRow(`${name}, vs hand-batched (${group}/message)`, results.weft.median, results.batched.median, tasks)
      ],
      data: { leaves, group, tasks, ms: results }
    }
  }
}
