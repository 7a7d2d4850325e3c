/**
 * The tasks of the `cache` scenario: the shape of examples/pipeline (read a daily export, clean
 * it, summarize it; aggregate every summary), as registered tasks so that workers import them.
 */
import { readFileSync } from "node:fs"
import { task } from "weft"

/** A row as an export writes it. */
export interface Row {
  readonly id: string
  readonly region: string
  readonly amount: number | string
}

/** Reads one export (its content is a declared input of the call: `cacheInputs.files`). */
export const loadRows = task(import.meta, function loadRows(path: string): Row[] {
  return JSON.parse(readFileSync(path, "utf8")) as Row[]
})

/** Tidies the rows and gives each a checksum (string work: what makes cleaning take milliseconds). */
export const cleanRows = task(import.meta, function cleanRows(rows: Row[]) {
  const out: Array<{ id: string; region: string; cents: number; check: number }> = []
  for (const row of rows) {
    const region = row.region.trim().toLowerCase()
    const amount = typeof row.amount === "number" ? row.amount : Number(row.amount)
    if (region === "" || !Number.isFinite(amount) || amount <= 0) continue
    let check = 0
    const text = `${row.id}|${region}|${amount.toFixed(2)}`.repeat(48)
    for (let i = 0; i < text.length; i++) check = (Math.imul(check, 31) + text.charCodeAt(i)) | 0
    out.push({ id: row.id, region, cents: Math.round(amount * 100), check })
  }
  return out
})

/** Totals of one file by region. */
export const summarize = task(
  import.meta,
  function summarize(rows: Array<{ region: string; cents: number; check: number }>) {
    const byRegion: Record<string, number> = {}
    let check = 0
    for (const row of rows) {
      byRegion[row.region] = (byRegion[row.region] ?? 0) + row.cents
      check ^= row.check
    }
    return { rows: rows.length, byRegion, check }
  }
)

/** Totals over every file. */
export const aggregate = task(
  import.meta,
  function aggregate(parts: Array<{ rows: number; byRegion: Record<string, number> }>) {
    const byRegion: Record<string, number> = {}
    let rows = 0
    for (const part of parts) {
      rows += part.rows
      for (const [region, cents] of Object.entries(part.byRegion)) byRegion[region] = (byRegion[region] ?? 0) + cents
    }
    return { files: parts.length, rows, byRegion }
  }
)
