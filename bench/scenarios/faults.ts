/**
 * Scenario 9: what a worker death costs.
 *
 * (a) One worker replacement, on one worker (so that the re-run has to wait for the replacement;
 *     with two workers it would run on the other one and the replacement would happen off the
 *     critical path):
 *     - weft: `Client.local({ workers: 1 })`; `submit` of an inline task that calls
 *       `process.exit(1)` on its first run (a marker file per call) and returns `x + 1` when run
 *       again; the clock runs from `submit` to `result()`: the worker's exit, its replacement
 *       (a new thread, weft's worker module, compiling the task again) and the re-run. Minus the
 *       median clean round trip (`submit` + `result()` of `x => x + 1`) in the same rounds.
 *     - raw tinypool: tinypool cannot survive `process.exit` in a thread (its task stays pending
 *       and `destroy()` hangs), so the baseline is a deliberate recreation of its one worker:
 *       `await pool.recycleWorkers()` (terminates the idle worker, starts a new one) then
 *       `await pool.run(x)`, minus the median clean `pool.run(x)`.
 *     Both sides alternate, `max(reps, 7)` rounds after one untimed round.
 * (b) Scenario 1's map (20,000 trivial tasks + `gather`) where 1% of the tasks (every hundredth
 *     item) call `process.exit(1)` on their first run (a marker file per item), on the usual two
 *     workers, against the clean map (`x => x + 1`) on the same client, sides alternating, after
 *     one clean warm-up run; `min(reps, 3)` runs per side, as a run with crashes takes 20-30 s. Every
 *     crash kills its whole batch: its tasks count a death and run alone from then on (to find
 *     the culprit), which is what the throughput pays for.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Tinypool } from "tinypool"
import { Client } from "weft"
import { compare, expect, freshBase, range, stats, usPerTask, type Side } from "../measure.js"
import { baselineWorker, workers } from "../pools.js"
import { checkAll, weftSide } from "./map.js"
import type { Scenario } from "../scenario.js"
import { perTask, type Row } from "../table.js"

const tasks = 20_000
/** One task in `crashEvery` crashes its worker once. */
const crashEvery = 100
/** The folder of the marker files, read by the tasks from the environment (workers copy it when they start). */
const dirVariable = "WEFT_BENCH_FAULTS_DIR"

const inc = (x: number) => x + 1

/** `x + 1`, after killing its worker on the first run (for every item when `every` is 1). */
const crashOnce = (x: number, every: number): number => {
  if (x % every === 0) {
    const fs = process.getBuiltinModule("node:fs")
    const marker = `${process.env.WEFT_BENCH_FAULTS_DIR}/${x}`
    if (!fs.existsSync(marker)) {
      fs.writeFileSync(marker, "")
      process.exit(1)
    }
  }
  return x + 1
}

/** Timed runs per side of (b): at most 3 (each run with crashes takes 20-30 s). */
const mapRounds = (reps: number) => Math.min(reps, 3)

const median = (samples: ReadonlyArray<number>) => stats(samples).median

/** A side timing one `run(x)` for a fresh `x`, which must give `x + 1`. */
const roundTrip =
  (label: string, run: (x: number) => Promise<unknown>): Side =>
  async () => {
    const x = freshBase()
    const start = performance.now()
    const value = await run(x)
    const ms = performance.now() - start
    expect(value === x + 1, label)
    return ms
  }

export const faultsScenario: Scenario = {
  id: "faults",
  title: "9. faults: one worker replacement; map 20,000 with 1% crashing once",
  async run({ reps, log }) {
    const dir = mkdtempSync(join(tmpdir(), "weft-bench-faults-"))
    const previous = process.env[dirVariable]
    process.env[dirVariable] = dir // before any worker starts: workers copy the environment
    try {
      // (a) one replacement, one worker on each side.
      const rounds = Math.max(reps, 7)
      const single = await Client.local({ workers: 1 })
      const pool = new Tinypool({ filename: baselineWorker, minThreads: 1, maxThreads: 1, idleTimeout: 2 ** 31 - 1 })
      const replace = {
        weftClean: [] as number[],
        weftCrash: [] as number[],
        rawClean: [] as number[],
        rawRecycle: [] as number[]
      }
      try {
        await pool.run(0)
        const weftClean = roundTrip("weft clean round trip", (x) => single.submit(inc, x).result())
        const weftCrash = roundTrip("weft re-run after process.exit", (x) => single.submit(crashOnce, x, 1).result())
        const rawClean = roundTrip("tinypool clean round trip", (x) => pool.run(x))
        const rawRecycle = roundTrip("tinypool run after recycleWorkers", async (x) => {
          await pool.recycleWorkers()
          return pool.run(x)
        })
        for (const side of [weftCrash, weftClean, rawRecycle, rawClean]) await side() // warm-up
        for (let round = 0; round < rounds; round++) {
          const order: Array<[keyof typeof replace, Side]> = [
            ["weftCrash", weftCrash],
            ["weftClean", weftClean],
            ["rawRecycle", rawRecycle],
            ["rawClean", rawClean]
          ]
          if (round % 2 === 1) order.reverse()
          for (const [name, side] of order) replace[name].push(await side())
        }
      } finally {
        await pool.destroy()
        await single.close()
      }
      const weftReplaceMs = median(replace.weftCrash) - median(replace.weftClean)
      const rawReplaceMs = median(replace.rawRecycle) - median(replace.rawClean)
      log(
        `  replacement: weft ${median(replace.weftCrash).toFixed(1)} - ${median(replace.weftClean).toFixed(2)} ms, ` +
          `tinypool ${median(replace.rawRecycle).toFixed(1)} - ${median(replace.rawClean).toFixed(2)} ms`
      )

      // (b) the 20k map, clean and with 1% crashing once, on two workers.
      const client = await Client.local({ workers })
      let crashRuns = 0
      /** Worker threads started during each run with crashes (replacements). */
      const replacements: number[] = []
      let threadsStarted = 0
      const onWorker = () => threadsStarted++
      process.on("worker", onWorker)
      let map: Record<"clean" | "crashing", ReturnType<typeof stats>>
      try {
        const clean = weftSide(client)
        const crashing: Side = async () => {
          const items = range(freshBase(), tasks)
          const start = performance.now()
          const startedBefore = threadsStarted
          const futures = client.starmap(
            crashOnce,
            items.map((x) => [x, crashEvery] as [number, number])
          )
          const values = await client.gather(futures)
          const ms = performance.now() - start
          checkAll(values, items, "map with crashes")
          for (const future of futures) future.release()
          crashRuns++
          replacements.push(threadsStarted - startedBefore)
          log(
            `  map with 1% crashing: ${(ms / 1000).toFixed(2)} s, ${threadsStarted - startedBefore} worker threads started`
          )
          return ms
        }
        // A run with crashes takes 20-30 s (under tsx): a few of them, after one clean warm-up run.
        await clean()
        map = await compare(mapRounds(reps), { clean, crashing }, { warmups: 0 })
      } finally {
        process.off("worker", onWorker)
        await client.close()
      }
      const cleanUs = usPerTask(map.clean.median, tasks)
      const crashUs = usPerTask(map.crashing.median, tasks)
      const throughput = map.clean.median / map.crashing.median
      const rows: Row[] = [
        {
          scenario:
            "one worker replacement (process.exit, re-run on a new worker; 1 worker) vs tinypool recycleWorkers() + run",
          weft: `${weftReplaceMs.toFixed(0)} ms`,
          raw: `${rawReplaceMs.toFixed(0)} ms`,
          ratio: rawReplaceMs / weftReplaceMs,
          target: "-",
          met: undefined,
          check: `submit -> result ${median(replace.weftCrash).toFixed(0)} ms, minus a clean round trip of ${median(replace.weftClean).toFixed(2)} ms`
        },
        {
          scenario: `map ${tasks / 1000}k trivial + gather, 1% of tasks crash their worker once (starmap), vs the clean map`,
          weft: perTask(crashUs),
          raw: "-",
          ratio: undefined,
          target: "-",
          met: undefined,
          check: `${throughput.toFixed(3)}x the clean map's throughput (${cleanUs.toFixed(1)} µs/task in the same run), ${tasks / crashEvery} crashes per run, median of ${mapRounds(reps)}`
        }
      ]
      return {
        rows,
        data: {
          replacement: { rounds, samplesMs: replace, weftMs: weftReplaceMs, rawMs: rawReplaceMs },
          map: {
            tasks,
            crashEvery,
            crashRuns,
            replacements,
            ms: map,
            usPerTask: { clean: cleanUs, crashing: crashUs },
            throughputRatio: throughput
          }
        }
      }
    } finally {
      if (previous === undefined) delete process.env[dirVariable]
      else process.env[dirVariable] = previous
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
