/**
 * Scenario 12: streamed results. The time from a task's end, in its worker, to its Future
 * settling on the client while a batch-mate (a fused dependent) still runs: before issue 12 the
 * Future waited for the whole batch (here `blockMs`).
 *
 * Each sample starts a fresh `Client.local({ workers: 2 })` (a client that has seen slow tasks
 * sends one task per batch, so nothing would share the batch), submits `x = stamp(seed)` and
 * `y = blocker(x, blockMs)` in the same tick (y is fused into x's batch), and reads
 * `performance.timeOrigin + performance.now()` when `x.result()` resolves; `x`'s value is the same
 * clock read in the worker as it returned. Two blockers: one that awaits a timer, one that spins
 * in synchronous code (its worker reads no message meanwhile).
 *
 * Target: under 5 ms (issue 12). No tinypool side: tinypool has no batches.
 */
import { Client } from "weft"
import { expect, freshBase, stats } from "../measure.js"
import { workers } from "../pools.js"
import type { Scenario } from "../scenario.js"
import type { Row } from "../table.js"

/** How long the batch-mate runs: what the Future waited before results were streamed. */
const blockMs = 200
const targetMs = 5

// Inline tasks: self-contained, `performance` is a global in every worker.
const stamp = (seed: number): number => {
  void seed
  return performance.timeOrigin + performance.now()
}
const awaitsFor = (x: number, ms: number): Promise<number> => new Promise((resolve) => setTimeout(() => resolve(x), ms))
const spinsFor = (x: number, ms: number): number => {
  const until = Date.now() + ms
  while (Date.now() < until) {
    // blocks the worker
  }
  return x
}

/** One sample: milliseconds from x's end in its worker to `x.result()` resolving here. */
async function sample(blocker: typeof awaitsFor | typeof spinsFor): Promise<number> {
  const client = await Client.local({ workers })
  try {
    const x = client.submit(stamp, freshBase())
    const y = client.submit(blocker, x, blockMs)
    const ended = await x.result()
    const latency = performance.timeOrigin + performance.now() - ended
    const mate = await y.result()
    expect(mate === ended, "the batch-mate's value is x's")
    return latency
  } finally {
    await client.close()
  }
}

export const streamScenario: Scenario = {
  id: "stream",
  title: "10. a finished task's Future while its batch-mate runs",
  async run({ reps, log }) {
    const samples = Math.max(9, reps * 2)
    const awaits: number[] = []
    const blocks: number[] = []
    await sample(awaitsFor) // warm-up: modules, JIT
    for (let i = 0; i < samples; i++) {
      awaits.push(await sample(awaitsFor))
      blocks.push(await sample(spinsFor))
    }
    log(`  awaits: ${awaits.map((ms) => ms.toFixed(2)).join(" ")}`)
    log(`  blocks: ${blocks.map((ms) => ms.toFixed(2)).join(" ")}`)
    const row = (scenario: string, ms: ReadonlyArray<number>): Row => {
      const s = stats(ms)
      return {
        scenario,
        weft: `${s.median.toFixed(2)} ms (worst ${s.worst.toFixed(2)})`,
        raw: "-",
        ratio: undefined,
        target: `< ${targetMs} ms (was ${blockMs} ms: the batch)`,
        met: s.median < targetMs,
        check: `median ${s.median.toFixed(2)} ms`
      }
    }
    return {
      rows: [
        row(`streamed result: task end -> Future settled, batch-mate awaits ${blockMs} ms`, awaits),
        row(`streamed result: task end -> Future settled, batch-mate spins ${blockMs} ms (sync)`, blocks)
      ],
      data: { blockMs, samples, awaitsMs: stats(awaits), blocksMs: stats(blocks) }
    }
  }
}
