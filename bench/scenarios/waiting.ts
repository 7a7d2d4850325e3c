/**
 * Scenario 5: `asCompleted` and `wait` over 20,000 trivial futures: the overhead per future on top
 * of the core map.
 *
 * Every side starts with `client.map(inc, items)` on fresh items (no key already known) and stops
 * the clock once it has seen the last future done:
 * - base: `client.gather(futures)` (scenario 1's weft side);
 * - asCompleted: `for await (const f of asCompleted(futures))` to the end; the values are not read
 *   (they are gathered and checked after the clock stops);
 * - asCompleted + result: the same loop with `await f.result()` on every future yielded (one more
 *   Promise per future; shown as its own row so that the target row stays the bare iteration);
 * - wait: `await wait(futures)`, then `done.length` checked;
 * - Effect API: `Weft.asCompleted(futures)` drained with `Stream.runDrain`, in
 *   `Effect.runPromise(... .pipe(Effect.provideService(Weft.Client, client)))`.
 *
 * Overhead per future = (side - base) / 20,000. Target: under 10 µs per future.
 */
import { Effect, Stream } from "effect"
import { asCompleted, wait, type Client, type Future } from "weft"
import { Weft } from "weft/effect"
import { compare, expect, freshBase, range, usPerTask, type Side } from "../measure.js"
import { startWeft } from "../pools.js"
import type { Scenario } from "../scenario.js"
import { perTask, type Row } from "../table.js"

const tasks = 20_000
const targetUs = 10

const inc = (x: number) => x + 1

/** After the clock: every future is done and holds `item + 1`; then releases them. */
async function checkAndRelease(
  client: Client,
  futures: Array<Future<number>>,
  items: ReadonlyArray<number>,
  side: string
) {
  expect(
    futures.every((f) => f.done()),
    `${side}: a future is not done after the loop`
  )
  const values = await client.gather(futures)
  for (let i = 0; i < items.length; i++) expect(values[i] === items[i] + 1, `${side}: item ${i}`)
  for (const future of futures) future.release()
}

/**
 * One timed side: `map` of fresh items, then `waitFor` on the Futures; the clock stops there, then
 * the values are checked and the Futures released (untimed).
 */
const side =
  (client: Client, label: string, waitFor: (futures: Future<number>[], items: number[]) => Promise<void>): Side =>
  async () => {
    const items = range(freshBase(), tasks)
    const start = performance.now()
    const futures = client.map(inc, items)
    await waitFor(futures, items)
    const ms = performance.now() - start
    await checkAndRelease(client, futures, items, label)
    return ms
  }

const baseSide = (client: Client): Side =>
  side(client, "base (map + gather)", async (futures) => {
    await client.gather(futures)
  })

const asCompletedSide = (client: Client): Side =>
  side(client, "asCompleted", async (futures) => {
    let seen = 0
    for await (const _future of asCompleted(futures)) seen++
    expect(seen === tasks, `asCompleted yielded ${seen} futures, expected ${tasks}`)
  })

const asCompletedResultSide = (client: Client): Side =>
  side(client, "asCompleted + result", async (futures, items) => {
    let seen = 0
    let total = 0
    for await (const future of asCompleted(futures)) {
      total += await future.result()
      seen++
    }
    const expected = items.reduce((s, x) => s + x + 1, 0)
    expect(
      seen === tasks && total === expected,
      `asCompleted + result: ${seen} futures summing to ${total}, expected ${tasks} and ${expected}`
    )
  })

const waitSide = (client: Client): Side =>
  side(client, "wait", async (futures) => {
    const { done, notDone } = await wait(futures)
    expect(done.length === tasks && notDone.length === 0, `wait: ${done.length} done, ${notDone.length} not done`)
  })

const effectSide = (client: Client): Side =>
  side(client, "Weft.asCompleted", async (futures) => {
    await Effect.runPromise(Stream.runDrain(Weft.asCompleted(futures)).pipe(Effect.provideService(Weft.Client, client)))
  })

export const waitingScenario: Scenario = {
  id: "waiting",
  title: "5. asCompleted and wait over 20,000 trivial futures",
  async run({ reps }) {
    const client = await startWeft()
    let results
    try {
      results = await compare(reps, {
        base: baseSide(client),
        asCompleted: asCompletedSide(client),
        asCompletedResult: asCompletedResultSide(client),
        wait: waitSide(client),
        effect: effectSide(client)
      })
    } finally {
      await client.close()
    }
    const baseUs = usPerTask(results.base.median, tasks)
    const overheadRow = (scenario: string, ms: number, judged: boolean): Row => {
      const us = usPerTask(ms, tasks)
      const overhead = us - baseUs
      const check = `${overhead >= 0 ? "+" : ""}${overhead.toFixed(1)} µs/future`
      return {
        scenario,
        weft: `${us.toFixed(1)} µs/future`,
        raw: "-",
        ratio: undefined,
        target: judged ? `overhead < ${targetUs} µs/future` : "-",
        met: judged ? overhead < targetUs : undefined,
        check
      }
    }
    const k = `${tasks / 1000}k`
    return {
      rows: [
        {
          scenario: `map ${k} trivial + gather (base of the 4 rows below)`,
          weft: perTask(baseUs),
          raw: "-",
          ratio: undefined,
          target: "-",
          met: undefined
        },
        overheadRow(`map ${k} + asCompleted to the end (values not read)`, results.asCompleted.median, true),
        overheadRow(`map ${k} + asCompleted + await f.result() each`, results.asCompletedResult.median, true),
        overheadRow(`map ${k} + await wait(futures)`, results.wait.median, true),
        overheadRow(`map ${k} + Weft.asCompleted |> Stream.runDrain (Effect)`, results.effect.median, true)
      ],
      data: {
        tasks,
        ms: results,
        usPerFuture: Object.fromEntries(Object.entries(results).map(([name, s]) => [name, usPerTask(s.median, tasks)])),
        overheadUsPerFuture: Object.fromEntries(
          Object.entries(results).map(([name, s]) => [name, usPerTask(s.median, tasks) - baseUs])
        )
      }
    }
  }
}
