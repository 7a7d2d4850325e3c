/**
 * Letting go of a huge graph yields to the event loop (scheduler/release.ts, `releaseSlice`):
 * releasing the output of a graph that is still pending forgets every record of it, which for a
 * million nodes is about a second of work. The cascade forgets `releaseSlice.records` records per
 * turn of the loop; here that is lowered so that a graph of a few thousand nodes shows it.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { delayed, type Delayed } from "weft"
import { inc, sleepy, sum } from "../fixtures/client-tasks.js"
import { useClient } from "../client/helpers.js"
import { engineOf } from "../../dist/runtime/internal/client-engine.js"
import { releaseSlice } from "../../dist/scheduler/release.js"

const client = useClient({ workers: 2 })
const saved = { ...releaseSlice }
beforeAll(() => {
  releaseSlice.records = 100
})
afterAll(() => {
  Object.assign(releaseSlice, saved)
})

/** Settles once the scheduler holds no record (polled once per turn of the loop). */
const untilEmpty = async (): Promise<number> => {
  let turns = 0
  while (engineOf(client()).scheduler.size > 0) {
    await new Promise((resolve) => setImmediate(resolve))
    turns++
  }
  return turns
}

/** 20 chains of 100 incs, each starting from a task that sleeps `ms`, summed: 2,021 records, all waiting while it sleeps. */
const waitingGraph = (ms: number, base: number): Delayed<number> => {
  const ends: Delayed<number>[] = []
  for (let c = 0; c < 20; c++) {
    let d: Delayed<number> = delayed(sleepy)(ms + c)
    d = delayed(inc)(delayed(sum)([d, base]))
    for (let k = 1; k < 100; k++) d = delayed(inc)(d)
    ends.push(d)
  }
  return delayed(sum)(ends)
}

describe("releasing a huge pending graph", () => {
  test("a timer scheduled before the release runs before the release has forgotten every record, and then nothing is left", async () => {
    const future = client().compute(waitingGraph(1_500, 1))
    // Until all 2,041 records are in (a loaded machine may add the graph in slices).
    while (engineOf(client()).scheduler.size < 2_041) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(future.status).toBe("pending")
    const records = engineOf(client()).scheduler.size
    let sizeWhenTimerRan = -1
    setImmediate(() => {
      sizeWhenTimerRan = engineOf(client()).scheduler.size
    })
    future.release()
    // The release went on in later turns: the timer saw records of the graph still in the table.
    expect(engineOf(client()).scheduler.size).toBeGreaterThan(0)
    const turns = await untilEmpty()
    expect(sizeWhenTimerRan).toBeGreaterThan(0)
    expect(sizeWhenTimerRan).toBeLessThan(records)
    expect(turns).toBeGreaterThan(1)
  })

  test("a key submitted again while the release goes on keeps its record and gives its value", async () => {
    const graph = waitingGraph(300, 2)
    const first = client().compute(graph)
    await new Promise((resolve) => setTimeout(resolve, 30))
    first.release()
    // The same graph again, before the cascade reached its records: those it meets are kept, the rest made again.
    const again = client().compute(graph)
    expect(await again.result()).toBe(20 * (2 + 100) + 20 * 300 + (20 * 19) / 2)
    again.release()
    await untilEmpty()
  })
})
