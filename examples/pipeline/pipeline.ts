/**
 * A realistic pipeline written with `@task` and `@graph` (issue 5): read daily sales exports
 * (JSON files), clean each one, aggregate them, and write a report. `weft build` turns this file
 * into `pipeline.weft.ts` (see docs/compiler.md); `test/compiler/pipeline.test.ts` builds it into a
 * temp folder and runs it on a local cluster.
 *
 *     npx weft build --project examples/pipeline/tsconfig.json
 *
 * @module
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { readFile } from "node:fs/promises"
import { join } from "node:path"

/** A row as the export writes it: amounts are sometimes strings, regions untidy. */
export interface RawSale {
  readonly id: string
  readonly region: string
  readonly amount: number | string
  readonly day: string
}

/** A clean row. */
export interface Sale {
  readonly id: string
  readonly region: string
  readonly amount: number
  readonly day: string
}

/** Totals over every file. */
export interface Summary {
  readonly files: number
  readonly rows: number
  readonly byRegion: Record<string, number>
  readonly total: number
}

/** Cents, so that sums of prices do not drift. */
const cents = (amount: number): number => Math.round(amount * 100)

/**
 * Reads one export. Reading is pure enough: the same path gives the same rows within a run.
 *
 * @task retries=2 timeout=10s
 */
export function loadSales(path: string): RawSale[] {
  return JSON.parse(readFileSync(path, "utf8")) as RawSale[]
}

/**
 * Drops rows without a region or with an amount that is not a positive number; tidies the rest.
 *
 * @task
 */
export function clean(rows: RawSale[]): Sale[] {
  const out: Sale[] = []
  for (const row of rows) {
    const region = row.region.trim().toLowerCase()
    const amount = typeof row.amount === "number" ? row.amount : Number(row.amount)
    if (region === "" || !Number.isFinite(amount) || amount <= 0) continue
    out.push({ id: row.id, region, amount, day: row.day })
  }
  return out
}

/**
 * Sums the clean rows of every file by region; a row id seen in two files counts once.
 *
 * @task
 */
export function aggregate(batches: Sale[][]): Summary {
  const seen = new Set<string>()
  const byRegion: Record<string, number> = {}
  let rows = 0
  let total = 0
  for (const batch of batches) {
    for (const sale of batch) {
      if (seen.has(sale.id)) continue
      seen.add(sale.id)
      rows++
      byRegion[sale.region] = (byRegion[sale.region] ?? 0) + cents(sale.amount)
      total += cents(sale.amount)
    }
  }
  const sorted = Object.fromEntries(
    Object.keys(byRegion)
      .sort()
      .map((r) => [r, byRegion[r] / 100])
  )
  return { files: batches.length, rows, byRegion: sorted, total: total / 100 }
}

/**
 * Writes the report as Markdown and returns its text. Writing a file is a side effect: impure.
 *
 * @task impure
 */
export function writeReport(summary: Summary, out: string): string {
  const lines = [
    "# Sales report",
    "",
    `${summary.rows} sales from ${summary.files} files, ${summary.total.toFixed(2)} in all.`,
    "",
    "| region | total |",
    "| --- | ---: |",
    ...Object.entries(summary.byRegion).map(([region, amount]) => `| ${region} | ${amount.toFixed(2)} |`)
  ]
  const text = `${lines.join("\n")}\n`
  writeFileSync(out, text)
  return text
}

/**
 * The whole pipeline: one load and one clean per file (in parallel), then one aggregate and the report.
 *
 * @graph
 */
export function salesReport(paths: string[], out: string) {
  const cleaned = paths.map((path) => clean(loadSales(path)))
  const summary = aggregate(cleaned)
  const report = writeReport(summary, out)
  return { summary, report }
}

/**
 * Totals by region of rows already in memory: the same tasks without the files, a graph whose
 * parameters are plain data, so `weft build --arbitraries` can derive their arbitrary for
 * `checkGraph` (examples/pipeline/pipeline.check.ts).
 *
 * @graph
 */
export function regionTotals(files: RawSale[][]) {
  const cleaned = files.map((rows) => clean(rows))
  return aggregate(cleaned)
}

/**
 * The exports in a folder: the `.json` files, sorted, as paths. What it finds is known only when
 * it runs, so `folderReport`'s `.map` over it is a fan-out at run time.
 *
 * @task impure
 */
export function listExports(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => join(dir, name))
}

/**
 * Reads one export without blocking the worker's thread: an async task.
 *
 * @task retries=2 timeout=10s
 */
export async function readExport(path: string): Promise<RawSale[]> {
  return JSON.parse(await readFile(path, "utf8")) as RawSale[]
}

/**
 * The report of every export in a folder: one read and one clean per file it finds (a run-time
 * fan-out), then one aggregate and the report. Run it with
 *
 *     npx weft run examples/pipeline/pipeline.ts#folderReport -p examples/pipeline --args '["examples/pipeline/data", "report.md"]'
 *
 * @graph
 */
export async function folderReport(dir: string, out: string) {
  const paths = listExports(dir)
  const cleaned = await Promise.all(paths.map(async (path) => clean(await readExport(path))))
  const summary = aggregate(cleaned)
  const report = writeReport(summary, out)
  return { summary, report }
}
