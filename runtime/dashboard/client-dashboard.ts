/**
 * What a `Client` does for the dashboard, reports and timelines, loaded only when one of them is
 * asked for (`Client.local({ dashboard })`, `performanceReport`, `timeline`): the client imports
 * this module lazily, so `import "weft"` loads no HTTP server and a client without a dashboard
 * records nothing.
 *
 * @internal
 */
import { writeFile } from "node:fs/promises"
import { describeGot } from "../../core/duration.js"
import type { Engine } from "../internal/engine.js"
import { attach } from "./hub.js"
import { LocalSource } from "./local-source.js"
import { Recorder } from "./recorder.js"
import { chromeTrace, writeReport } from "./report.js"
import { serveDashboard, type DashboardServer } from "./server.js"
import type { TaskEvent } from "./types.js"

/** Where to serve, after validation. */
export interface DashboardSettings {
  readonly port: number
  readonly host: string | undefined
}

/** How often the recorder is drained when no page is open, so that its buffers stay small (ms). */
const drainEveryMs = 500

/** A client's live dashboard: a recorder on its engine and the server reading it. */
export class ClientDashboard {
  private constructor(
    readonly recorder: Recorder,
    readonly server: DashboardServer,
    readonly detach: () => void,
    readonly timer: NodeJS.Timeout
  ) {}

  /** Attaches a recorder to `engine` and serves it. */
  static async start(engine: Engine, kind: string, settings: DashboardSettings): Promise<ClientDashboard> {
    const recorder = new Recorder(engine.scheduler.tasks())
    const detach = attach(engine, recorder)
    try {
      const server = await serveDashboard(new LocalSource(engine, recorder, kind), settings)
      const timer = setInterval(() => recorder.drain(), drainEveryMs)
      timer.unref()
      return new ClientDashboard(recorder, server, detach, timer)
    } catch (error) {
      detach()
      throw error
    }
  }

  /** `http://127.0.0.1:8787/status`. */
  get link(): string {
    return this.server.link
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    this.detach()
    await this.server.close()
  }
}

/** What a recording of one piece of work gives. */
interface Recording<T> {
  readonly source: LocalSource
  readonly wallMs: number
  readonly outcome: { ok: true; value: T } | { ok: false; error: unknown }
}

/** Runs `work` with a recorder of its own attached to `engine`. */
async function record<T>(engine: Engine, kind: string, work: () => T | PromiseLike<T>): Promise<Recording<T>> {
  const recorder = new Recorder(engine.scheduler.tasks())
  const detach = attach(engine, recorder)
  const start = performance.now()
  let outcome: Recording<T>["outcome"]
  try {
    outcome = { ok: true, value: await work() }
  } catch (error) {
    outcome = { ok: false, error }
  } finally {
    detach()
  }
  return { source: new LocalSource(engine, recorder, kind), wallMs: performance.now() - start, outcome }
}

const unwrap = <T>(outcome: Recording<T>["outcome"]): T => {
  if (outcome.ok) return outcome.value
  throw outcome.error
}

/**
 * Runs `work`, then writes `file`: the HTML report of what ran meanwhile. The report is written
 * when `work` fails too; the result is `work`'s (or its error).
 */
export async function performanceReport<T>(
  engine: Engine,
  kind: string,
  file: string,
  work: () => T | PromiseLike<T>
): Promise<T> {
  checkFileWork("performanceReport", file, work, true)
  const { source, wallMs, outcome } = await record(engine, kind, work)
  const status = source.status()
  const events = source.events(0, Infinity)
  await writeReport(file, { title: file, status, events, errors: source.errors(1_000), wallMs })
  return unwrap(outcome)
}

/**
 * Writes `file`: Chrome trace JSON of the task attempts of `work` when given, else of those the
 * client's dashboard still holds (its last 200,000). Without either, nothing was recorded: a
 * `TypeError` says how to record.
 */
export async function timeline<T>(
  engine: Engine,
  kind: string,
  file: string,
  dashboard: ClientDashboard | undefined,
  work: (() => T | PromiseLike<T>) | undefined
): Promise<T | undefined> {
  checkFileWork("timeline", file, work, false)
  let events: ReadonlyArray<TaskEvent>
  let outcome: Recording<T>["outcome"] | undefined
  if (work !== undefined) {
    const recording = await record(engine, kind, work)
    events = recording.source.events(0, Infinity)
    outcome = recording.outcome
  } else if (dashboard !== undefined) {
    dashboard.recorder.drain()
    events = dashboard.recorder.events.since(0)
  } else {
    throw new TypeError(
      "client.timeline(file): nothing was recorded. Pass the work to record, client.timeline(file, () => work()), or start the client with { dashboard: true }, which records every task."
    )
  }
  await writeFile(file, chromeTrace(events, `weft ${kind}`))
  return outcome === undefined ? undefined : unwrap(outcome)
}

/** Checks `performanceReport`/`timeline` arguments: a file path and (when `required`) a function. */
function checkFileWork(where: string, file: unknown, work: unknown, required: boolean): void {
  if (typeof file !== "string" || file.length === 0)
    throw new TypeError(`client.${where}: the first argument must be a file path, got ${describeGot(file)}.`)
  if ((required || work !== undefined) && typeof work !== "function")
    throw new TypeError(
      `client.${where}: the second argument must be a function that runs the work, e.g. () => client.gather(client.map(f, xs)); got ${describeGot(work)}.`
    )
}
