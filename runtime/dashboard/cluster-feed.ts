/**
 * A cluster client's side of `weft dashboard redis://...`: every connected client looks for the
 * dashboard's watch flag every 2 s (one EXISTS: the whole cost while nobody watches); while it is
 * there, the client attaches a `Recorder` to its engine (as `Client.local({ dashboard })` does)
 * and publishes every 500 ms its status, newest errors and grouped graph (one key with a TTL) and
 * its new task events (one entry on a capped stream). Worker-side times come back with each
 * batch's last completion (`Completion.timing`), so bars carry the worker's name and thread.
 *
 * @internal
 */
import type { ClusterExecutor } from "../../executors/cluster/client-executor.js"
import type { Engine } from "../internal/engine.js"
import {
  dashKeys,
  errorsPerReport,
  eventsPerPublish,
  publishEveryMs,
  reportTtlMs,
  streamEntries,
  watchPollMs,
  type ClientReport,
  type WireEvent
} from "./cluster-keys.js"
import { groupedGraph } from "./graph-data.js"
import { attach } from "./hub.js"
import { LocalSource } from "./local-source.js"
import { Recorder } from "./recorder.js"

/** Publishes one client's view while a dashboard watches. */
class ClusterFeed {
  readonly #recorder: Recorder
  readonly #source: LocalSource
  readonly #detach: () => void
  readonly #timer: NodeJS.Timeout
  #seq = 0
  #ticks = 0
  #busy = false

  constructor(
    readonly engine: Engine,
    readonly executor: ClusterExecutor
  ) {
    this.#recorder = new Recorder(engine.scheduler.tasks())
    this.#detach = attach(engine, this.#recorder)
    this.#source = new LocalSource(engine, this.#recorder, "cluster")
    this.#timer = setInterval(() => void this.#publish(), publishEveryMs)
    this.#timer.unref()
    void this.#publish()
  }

  async #publish(): Promise<void> {
    if (this.#busy || this.engine.closed) return
    this.#busy = true
    try {
      const { prefix } = this.executor.settings
      const client = this.executor.clientId
      const events = this.#source.events(this.#seq, eventsPerPublish)
      const dropped = this.#recorder.events.pushed - this.#seq - events.length
      this.#seq = this.#recorder.events.pushed
      const status = this.#source.status()
      // The grouped graph walks the table: every 4th publish (2 s), as the graph page refreshes.
      const graph = this.#ticks++ % 4 === 0 ? groupedGraph(this.engine.scheduler.tasks()) : this.#lastGraph
      this.#lastGraph = graph
      const report: ClientReport = {
        client,
        status: { ...status, dropped: status.dropped + Math.max(0, dropped) },
        errors: this.#source.errors(errorsPerReport),
        graph
      }
      const batch = this.executor.cmd.multi()
      batch.set(dashKeys.report(prefix, client), JSON.stringify(report), "PX", reportTtlMs)
      if (events.length > 0) {
        const wire: WireEvent[] = events.map(({ seq: _seq, ...event }) => event)
        batch.xadd(dashKeys.events(prefix), "MAXLEN", "~", streamEntries, "*", "e", JSON.stringify(wire))
      }
      await batch.exec()
    } catch {
      // Redis away: the next tick tries again.
    } finally {
      this.#busy = false
    }
  }

  #lastGraph: ClientReport["graph"] = { grouped: true, tasks: 0, nodes: [], edges: [] }

  stop(): void {
    clearInterval(this.#timer)
    this.#detach()
  }
}

/**
 * Looks for a watching dashboard every 2 s until the engine closes; feeds it while it watches.
 * Called by `Client.connect` for every cluster client.
 */
export function watchForDashboard(engine: Engine, executor: ClusterExecutor): void {
  let feed: ClusterFeed | undefined
  const timer = setInterval(() => {
    if (engine.closed) {
      clearInterval(timer)
      feed?.stop()
      feed = undefined
      return
    }
    executor.cmd.exists(dashKeys.watch(executor.settings.prefix)).then(
      (watched) => {
        if (engine.closed) return
        if (watched === 1 && feed === undefined) feed = new ClusterFeed(engine, executor)
        else if (watched === 0 && feed !== undefined) {
          feed.stop()
          feed = undefined
        }
      },
      () => {}
    )
  }, watchPollMs)
  timer.unref()
}
