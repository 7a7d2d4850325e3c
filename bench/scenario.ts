/** What a scenario is given and what it gives back. */
import type { Row } from "./table.js"

export interface Context {
  /** Timed runs per side. */
  readonly reps: number
  /** Progress lines (stderr), so that stdout holds the table only. */
  readonly log: (line: string) => void
}

export interface ScenarioResult {
  readonly rows: ReadonlyArray<Row>
  /** Everything measured (all samples, medians, best), for `bench/results/latest.json`. */
  readonly data: Record<string, unknown>
}

export interface Scenario {
  /** Short name, for `--only`. */
  readonly id: string
  readonly title: string
  run(context: Context): Promise<ScenarioResult>
}
