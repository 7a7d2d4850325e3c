/**
 * `/metrics` in the Prometheus text format (version 0.0.4): tasks by state, tasks finished by
 * name and outcome, task run time by name (a summary: sum and count), worker deaths, bytes held.
 *
 * @internal
 */
import { shownStates, type StatusSnapshot } from "./types.js"

/** A label value with `\`, `"` and newlines escaped, as the format requires. */
const label = (value: string): string => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")

/** The metrics page for a status snapshot. */
export function prometheusText(status: StatusSnapshot): string {
  const lines: string[] = []
  const metric = (name: string, type: string, help: string, samples: ReadonlyArray<string>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples)
  }
  metric(
    "weft_tasks",
    "gauge",
    "Tasks in the client's table, by state.",
    shownStates.map((state) => `weft_tasks{state="${state}"} ${status.counts[state]}`)
  )
  metric(
    "weft_tasks_finished_total",
    "counter",
    "Tasks that finished, erred or were cancelled, by task name.",
    status.progress.flatMap((row) => {
      const name = label(row.name)
      return [
        `weft_tasks_finished_total{name="${name}",outcome="memory"} ${row.done}`,
        `weft_tasks_finished_total{name="${name}",outcome="erred"} ${row.erred}`,
        `weft_tasks_finished_total{name="${name}",outcome="cancelled"} ${row.cancelled}`
      ]
    })
  )
  metric(
    "weft_task_duration_seconds",
    "summary",
    "Run time of task attempts on workers, by task name.",
    status.progress.flatMap((row) => [
      `weft_task_duration_seconds_sum{name="${label(row.name)}"} ${row.totalMs / 1000}`,
      `weft_task_duration_seconds_count{name="${label(row.name)}"} ${row.timed}`
    ])
  )
  metric("weft_worker_deaths_total", "counter", "Workers that died while running a batch.", [
    `weft_worker_deaths_total ${status.cluster.deaths}`
  ])
  metric("weft_workers", "gauge", "Workers the cluster was started with.", [`weft_workers ${status.cluster.workers}`])
  metric("weft_held_bytes", "gauge", "Estimated bytes of the results held in memory.", [
    `weft_held_bytes ${status.heldBytes}`
  ])
  return lines.join("\n") + "\n"
}
