/**
 * The rows every scenario reports, and the table `npm run bench` prints.
 */

/** One line of the table. */
export interface Row {
  readonly scenario: string
  /** The weft figure, formatted. */
  readonly weft: string
  /** The raw tinypool figure, formatted. */
  readonly raw: string
  /** Raw tinypool time / weft time: above 1, weft is faster. Undefined when it means nothing. */
  readonly ratio: number | undefined
  /** The target from the issue, as text. */
  readonly target: string
  /** Whether the target is met; undefined for rows that only inform. */
  readonly met: boolean | undefined
  /** What the verdict is based on, when it is not the ratio (an overhead, a median). */
  readonly check?: string
}

const headers = ["scenario", "weft", "raw tinypool", "ratio", "target", "result"] as const

const verdict = (row: Row): string => {
  const word = row.met === undefined ? "(info)" : row.met ? "met" : "NOT met"
  return row.check === undefined ? word : `${word}: ${row.check}`
}

/** The table as text, columns padded to their widest cell. */
export function formatTable(rows: ReadonlyArray<Row>): string {
  const cells = rows.map((row) => [
    row.scenario,
    row.weft,
    row.raw,
    row.ratio === undefined ? "-" : `${row.ratio.toFixed(2)}x`,
    row.target,
    verdict(row)
  ])
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((line) => line[i].length)))
  const line = (parts: ReadonlyArray<string>) =>
    parts
      .map((part, i) => (i === 3 ? part.padStart(widths[i]) : part.padEnd(widths[i])))
      .join("   ")
      .trimEnd()
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n")
}

/** `12.3 µs/task (81k tasks/s)`. */
export const perTask = (us: number): string => `${us.toFixed(1)} µs/task (${formatRate(1e6 / us)} tasks/s)`

const formatRate = (perSecond: number): string =>
  perSecond >= 1e6
    ? `${(perSecond / 1e6).toFixed(2)}M`
    : perSecond >= 1e3
      ? `${(perSecond / 1e3).toFixed(0)}k`
      : perSecond.toFixed(0)

/** Scheduler overhead target of scenario 2: (weft - baseline) / tasks under 10 µs. */
export const overheadLimitUs = 10

/** A row of scenario 2: µs per task on each side, and weft's overhead on top of the executor baseline. */
export function overheadRow(scenario: string, weftMs: number, rawMs: number, tasks: number): Row {
  const weftUs = (weftMs * 1000) / tasks
  const rawUs = (rawMs * 1000) / tasks
  const overhead = weftUs - rawUs
  return {
    scenario,
    weft: `${weftUs.toFixed(1)} µs/task`,
    raw: `${rawUs.toFixed(1)} µs/task`,
    ratio: rawMs / weftMs,
    target: `overhead < ${overheadLimitUs} µs/task`,
    met: overhead < overheadLimitUs,
    check: `${overhead >= 0 ? "+" : ""}${overhead.toFixed(1)} µs/task`
  }
}
