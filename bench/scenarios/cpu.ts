/**
 * Scenario 4: 200 tasks of 10 ms CPU each (a busy loop checking `performance.now()`) on 2 workers.
 *
 * - serial: the same function 200 times one after another in this thread;
 * - weft: `client.map(spin10, items)` then `gather` (fresh items every run: equal pure calls
 *   would share one computation);
 * - raw tinypool: 200 `pool.run(item, { name: "spin10" })` at once.
 *
 * Speed-up = serial time / parallel time. Target: at least 1.9 on 2 workers.
 */
import type { Tinypool } from "tinypool"
import type { Client } from "weft"
import { compare, expect, freshBase, range, stats, type Side } from "../measure.js"
import { withBoth, workers } from "../pools.js"
import type { Scenario } from "../scenario.js"

const tasks = 200
const targetSpeedUp = 1.9

/** 10 ms of CPU; the weft side ships it as source text, the baseline worker has the same code. */
const spin10 = (tag: number) => {
  const end = performance.now() + 10
  while (performance.now() < end) {
    // busy
  }
  return tag
}

const serial = (): number => {
  const items = range(freshBase(), tasks)
  const start = performance.now()
  let check = 0
  for (const item of items) check += spin10(item) - item
  const ms = performance.now() - start
  expect(check === 0, "serial spin")
  return ms
}

const weftSide =
  (client: Client): Side =>
  async () => {
    const items = range(freshBase(), tasks)
    const start = performance.now()
    const futures = client.map(spin10, items)
    const values = await client.gather(futures)
    const ms = performance.now() - start
    expect(
      values.every((v, i) => v === items[i]),
      "weft spin"
    )
    for (const future of futures) future.release()
    return ms
  }

const rawSide =
  (pool: Tinypool): Side =>
  async () => {
    const items = range(freshBase(), tasks)
    const start = performance.now()
    const values = (await Promise.all(items.map((item) => pool.run(item, { name: "spin10" })))) as number[]
    const ms = performance.now() - start
    expect(
      values.every((v, i) => v === items[i]),
      "tinypool spin"
    )
    return ms
  }

export const cpuScenario: Scenario = {
  id: "cpu",
  title: "4. 200 x 10 ms CPU tasks on 2 workers",
  async run({ reps }) {
    // The loop waits on the wall clock, so serial time hardly depends on load: 3 runs are plenty.
    const serialMs = stats(range(0, Math.min(3, reps)).map(serial))
    const results = await withBoth((client, pool) =>
      compare(reps, { weft: weftSide(client), raw: rawSide(pool) }, { warmups: 1 })
    )
    const weftSpeedUp = serialMs.median / results.weft.median
    const rawSpeedUp = serialMs.median / results.raw.median
    return {
      rows: [
        {
          scenario: `${tasks} x 10 ms CPU, speed-up over serial on ${workers} workers`,
          weft: `${weftSpeedUp.toFixed(2)}x (${results.weft.median.toFixed(0)} ms)`,
          raw: `${rawSpeedUp.toFixed(2)}x (${results.raw.median.toFixed(0)} ms)`,
          ratio: results.raw.median / results.weft.median,
          target: `>= ${targetSpeedUp}x`,
          met: weftSpeedUp >= targetSpeedUp,
          check: `${weftSpeedUp.toFixed(2)}x`
        }
      ],
      data: { tasks, serialMs, ms: results, speedUp: { weft: weftSpeedUp, raw: rawSpeedUp } }
    }
  }
}
