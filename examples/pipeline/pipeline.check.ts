/**
 * The pipeline's property tests with `weft/testing` (docs/testing.md): every task is checked for
 * determinism and clone safety, `regionTotals` with the arbitrary `weft build --arbitraries`
 * derived from its parameter types, and the whole `salesReport` (which reads files and writes a
 * report) with random sales exports written to a scratch folder, under injected faults.
 *
 *     npx weft build --project examples/pipeline/tsconfig.json --arbitraries
 *     npx tsx examples/pipeline/pipeline.check.ts
 *
 * `test/compiler/pipeline.test.ts` runs `checkPipeline` on a build in a temp folder.
 *
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import fc from "fast-check"
import type { Client, GraphModule } from "weft"
import { checkGraph, checkTask } from "weft/testing"
import type * as Source from "./pipeline.js"

/** What the compiled module (`pipeline.weft.ts`) exports: the source's tasks and graphs, compiled. */
export interface CompiledPipeline {
  readonly loadSales: typeof Source.loadSales
  readonly clean: typeof Source.clean
  readonly aggregate: typeof Source.aggregate
  readonly salesReport: GraphModule<Parameters<typeof Source.salesReport>, ReturnType<typeof Source.salesReport>>
  readonly regionTotals: GraphModule<Parameters<typeof Source.regionTotals>, ReturnType<typeof Source.regionTotals>>
}

/** A row as an export might have it: untidy regions, amounts as numbers or strings, some bad. */
const rawSale: fc.Arbitrary<Source.RawSale> = fc.record({
  id: fc.constantFrom("s1", "s2", "s3", "s4", "s5", "s6"),
  region: fc.constantFrom("north", " North", "south", "SOUTH ", "west", ""),
  amount: fc.oneof(
    fc.integer({ min: -5, max: 500 }),
    fc.integer({ min: 1, max: 50_000 }).map((c) => (c / 100).toFixed(2)),
    fc.constant("n/a")
  ),
  day: fc.constantFrom("2026-11-01", "2026-11-02")
})

/** Runs every check; `scratch` is a folder for the generated exports and reports. */
export async function checkPipeline(pipeline: CompiledPipeline, scratch: string, client?: Client): Promise<void> {
  const on = client === undefined ? {} : { client }
  await checkTask(pipeline.clean, fc.tuple(fc.array(rawSale, { maxLength: 20 })), { ...on, numRuns: 50 })
  await checkTask(
    pipeline.aggregate,
    fc.tuple(fc.array(fc.array(rawSale.map((r) => ({ ...r, amount: Number(r.amount) || 1 }))), { maxLength: 4 })),
    { ...on, numRuns: 50 }
  )

  // No arbitrary written by hand: the one `weft build --arbitraries` emitted for RawSale[][].
  await checkGraph(pipeline.regionTotals, undefined, { ...on, numRuns: 20, faults: { seed: 1, rate: 0.5 } })

  // The whole pipeline reads files: each case writes its exports to a folder of its own.
  let n = 0
  const exports = fc
    .array(fc.array(rawSale, { maxLength: 8 }), { minLength: 1, maxLength: 4 })
    .map((files): [string[], string] => {
      const dir = join(scratch, `case-${n++}`)
      mkdirSync(dir, { recursive: true })
      const paths = files.map((rows, i) => {
        const path = join(dir, `export-${i}.json`)
        writeFileSync(path, JSON.stringify(rows))
        return path
      })
      return [paths, join(dir, "report.md")]
    })
  await checkGraph(pipeline.salesReport, exports, { ...on, numRuns: 15, faults: { seed: 2, rate: 0.5 } })
}

// Run directly: check the module `weft build` wrote beside the source.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const compiled = (await import(new URL("./pipeline.weft.ts", import.meta.url).href)) as CompiledPipeline
  const scratch = mkdtempSync(join(tmpdir(), "weft-pipeline-check-"))
  try {
    await checkPipeline(compiled, scratch)
    console.log("pipeline: every task and graph passed weft/testing's checks")
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}
