/**
 * Scenario `cache` (issue 17): the result cache on the example pipeline's shape over 100 input
 * files (load, clean, summarize each; aggregate all: 301 tasks), 2 worker threads.
 *
 * - cold: a fresh cache folder; warm: the same run again (nothing changed): target >= 10x faster;
 * - one input file changed: only its branch runs (counted from the run's record: target 4 tasks);
 * - the pipeline is a computed graph (as the example's `@graph`): only its output is asked for;
 * - overhead of `cache: true` on a cold `map` of 20,000 trivial tasks (fresh items each run), in
 *   µs/task with and without: target <= 10%.
 *
 * Times run from the first submit to the last result and `close()` (which waits for the writes),
 * with the workers' task module already imported.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { Client, delayed } from "weft"
import { compare, expect, freshBase, range, stats, usPerTask } from "../measure.js"
import { workers } from "../pools.js"
import type { Scenario } from "../scenario.js"
import { perTask } from "../table.js"
import { aggregate, cleanRows, loadRows, summarize } from "./cache-tasks.js"

const files = 100
const rowsPerFile = 1000
const mapTasks = 20_000
const regions = ["north", " South", "east ", "WEST", ""]

const writeInputs = (dir: string, version: number) => {
  const paths: string[] = []
  for (let f = 0; f < files; f++) {
    const rows = Array.from({ length: rowsPerFile }, (_, i) => ({
      id: `${f}-${i}`,
      region: regions[(i * 7 + f) % regions.length],
      amount: i % 11 === 0 ? String((i % 97) + version) : ((i * 13) % 500) / 4 + version
    }))
    const file = path.join(dir, `day-${String(f).padStart(3, "0")}.json`)
    writeFileSync(file, JSON.stringify(rows))
    paths.push(file)
  }
  return paths
}

/**
 * One pipeline run on a new client, as the example pipeline's `@graph` runs: the graph is
 * computed and only its output is asked for. Its time, total rows and the cache's record of the run.
 */
const runPipeline = async (cacheDir: string | undefined, paths: string[]) => {
  const client = await Client.local({ workers, ...(cacheDir === undefined ? {} : { cache: { dir: cacheDir } }) })
  // Each worker imports the tasks' module before the clock starts (under tsx that takes about a
  // second on a quiet machine): the rows compare the pipeline's runs, not module loading.
  const warmUp = client.with({ pure: false, cache: false })
  await client.gather(
    warmUp.map(
      aggregate,
      Array.from({ length: workers * 8 }, () => [])
    )
  )
  const start = performance.now()
  const parts = paths.map((p) =>
    delayed(summarize)(delayed(cleanRows)(delayed(loadRows, { cacheInputs: { files: [p] } })(p)))
  )
  const [total] = client.compute([delayed(aggregate)(parts)])
  const { rows } = await total.result()
  const resultMs = performance.now() - start
  await client.close()
  const ms = performance.now() - start
  const run =
    cacheDir === undefined ? undefined : JSON.parse(readFileSync(path.join(cacheDir, "weft", "last-run.json"), "utf8"))
  return { ms, rows, run, closeMs: ms - resultMs }
}

const inc = (x: number) => x + 1

const mapSide = (client: Client) => async () => {
  const items = range(freshBase(), mapTasks)
  const start = performance.now()
  const futures = client.map(inc, items)
  const values = await client.gather(futures)
  const ms = performance.now() - start
  expect(values[mapTasks - 1] === items[mapTasks - 1] + 1, "cache map")
  for (const future of futures) future.release()
  return ms
}

export const cacheScenario: Scenario = {
  id: "cache",
  title: "17. result cache: example pipeline over 100 files; overhead on a trivial map",
  async run({ reps, log }) {
    const dir = mkdtempSync(path.join(tmpdir(), "weft-bench-cache-"))
    try {
      const paths = writeInputs(dir, 0)
      const rounds = Math.max(1, Math.min(reps, 3))
      const cold: number[] = []
      const warm: number[] = []
      let changedRun: { ms: number; run: { misses: number; hits: number; lookups: number } } | undefined
      for (let r = 0; r < rounds; r++) {
        const cacheDir = path.join(dir, `cache-${r}`)
        const first = await runPipeline(cacheDir, paths)
        cold.push(first.ms)
        const again = await runPipeline(cacheDir, paths)
        log(
          `cache: cold ${first.ms.toFixed(0)} ms (close ${first.closeMs.toFixed(0)}) ${JSON.stringify(first.run)}, ` +
            `warm ${again.ms.toFixed(0)} ms (close ${again.closeMs.toFixed(0)}) ${JSON.stringify(again.run)}`
        )
        // Top-down lookups: the aggregate is found, nothing runs and nothing else is read.
        expect(again.rows === first.rows && again.run.misses === 0, "warm rerun")
        warm.push(again.ms)
        if (r === 0) {
          // One input changed (a new value in each row): its branch and the aggregate rerun.
          const file = paths[17]
          writeFileSync(file, readFileSync(file, "utf8").replace(/"amount":(\d)/g, '"amount":9$1'))
          const changed = await runPipeline(cacheDir, paths)
          changedRun = { ms: changed.ms, run: changed.run }
          writeInputs(dir, 0)
        }
      }
      const coldStats = stats(cold)
      const warmStats = stats(warm)
      const speedUp = coldStats.median / warmStats.median
      const plain = await Client.local({ workers })
      const cached = await Client.local({ workers, cache: { dir: path.join(dir, "map-cache") } })
      const map = await compare(reps, { plain: mapSide(plain), cached: mapSide(cached) })
      await plain.close()
      await cached.close()
      const plainUs = usPerTask(map.plain.median, mapTasks)
      const cachedUs = usPerTask(map.cached.median, mapTasks)
      const overhead = cachedUs / plainUs - 1
      // Tasks run: the changed file's load, clean and summarize, and the aggregate.
      const rerun = changedRun!.run.misses
      return {
        rows: [
          {
            scenario: `pipeline ${files} files (${files * 3 + 1} tasks): warm rerun vs cold`,
            weft: `${warmStats.median.toFixed(0)} ms warm`,
            raw: `${coldStats.median.toFixed(0)} ms cold`,
            ratio: speedUp,
            target: ">= 10x faster",
            met: speedUp >= 10
          },
          {
            scenario: "pipeline: one input file changed",
            weft: `${rerun} tasks ran, ${changedRun!.run.lookups} lookups`,
            raw: `${changedRun!.ms.toFixed(0)} ms`,
            ratio: undefined,
            target: "only its branch (4 tasks)",
            met: rerun === 4
          },
          {
            scenario: `map ${mapTasks / 1000}k trivial, cold: cache: true vs off`,
            weft: perTask(cachedUs),
            raw: perTask(plainUs),
            ratio: undefined,
            target: "overhead <= 10%",
            met: overhead <= 0.1,
            check: `${(overhead * 100).toFixed(1)}%`
          }
        ],
        data: {
          files,
          rowsPerFile,
          cold: coldStats,
          warm: warmStats,
          changed: changedRun,
          map,
          plainUs,
          cachedUs,
          overhead
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
