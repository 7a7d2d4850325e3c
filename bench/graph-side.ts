/**
 * The weft side of the graph scenarios (tree, 100k graph): build a graph with `delayed`, submit it
 * with `client.compute`, wait for the value; the total is timed, and build, submit and compute
 * each on their own in the same runs.
 */
import type { Client, Delayed } from "weft"
import { expect, freshBase, stats, type Side } from "./measure.js"

/** The phases' times of every run, warm-ups included. */
export interface GraphTimes {
  readonly build: number[]
  readonly submit: number[]
  readonly compute: number[]
}

/** Empty phase times. */
export const graphTimes = (): GraphTimes => ({ build: [], submit: [], compute: [] })

/** The phases' statistics without the warm-up runs. */
export const graphStats = (times: GraphTimes, warmups: number) => ({
  build: stats(times.build.slice(warmups)),
  submit: stats(times.submit.slice(warmups)),
  compute: stats(times.compute.slice(warmups))
})

/** A timed side: `build(base)` then `client.compute(...).result()`, checked against `expected(base)`. */
export const graphSide =
  (
    client: Client,
    times: GraphTimes,
    label: string,
    build: (base: number) => Delayed<number>,
    expected: (base: number) => number
  ): Side =>
  async () => {
    const base = freshBase()
    const start = performance.now()
    const root = build(base)
    const built = performance.now()
    const future = client.compute(root)
    const submitted = performance.now()
    const value = await future.result()
    const end = performance.now()
    expect(value === expected(base), `weft ${label} gave ${value}, expected ${expected(base)}`)
    future.release()
    times.build.push(built - start)
    times.submit.push(submitted - built)
    times.compute.push(end - submitted)
    return end - start
  }
