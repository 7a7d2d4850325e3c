/**
 * Sums what the clients of a cluster publish (cluster-feed.ts) into one status and one graph, for
 * `weft dashboard redis://...` (redis-source.ts). Pure functions of plain data.
 *
 * @internal
 */
import type { WorkerInfo } from "../../executors/cluster/protocol.js"
import type { ClientReport } from "./cluster-keys.js"
import { groupState } from "./graph-data.js"
import {
  shownStates,
  type GraphNode,
  type GraphSnapshot,
  type ProgressRow,
  type ShownState,
  type StatusSnapshot,
  type WorkerRow
} from "./types.js"

const zeroCounts = (): Record<ShownState, number> =>
  Object.fromEntries(shownStates.map((state) => [state, 0])) as Record<ShownState, number>

/**
 * One status for the cluster: counts by state and held bytes of the clients still publishing
 * (report newer than `liveSince`); progress, deaths and errors of every report still in Redis
 * (a finished run keeps showing for two minutes); one worker row per worker thread that ran a
 * task, and one per registered worker that ran none yet.
 */
export function mergeStatus(
  reports: ReadonlyArray<ClientReport>,
  registered: ReadonlyArray<WorkerInfo>,
  liveSince: number,
  lastSeq: number
): StatusSnapshot {
  const counts = zeroCounts()
  let heldBytes = 0
  let deaths = 0
  let dropped = 0
  let errors = 0
  const progress = new Map<string, ProgressRow>()
  const workers = new Map<string, WorkerRow>()
  for (const { status } of reports) {
    if (status.time >= liveSince) {
      for (const state of shownStates) counts[state] += status.counts[state]
      heldBytes += status.heldBytes
    }
    deaths += status.cluster.deaths
    dropped += status.dropped
    errors += status.errors
    for (const row of status.progress) progress.set(row.name, addProgress(progress.get(row.name), row))
    for (const row of status.workers) workers.set(row.name, addWorker(workers.get(row.name), row))
  }
  for (const info of registered) {
    const prefix = `${info.name} `
    if ([...workers.keys()].some((name) => name.startsWith(prefix))) continue
    workers.set(info.name, {
      name: info.name,
      tasks: 0,
      busy: 0,
      heapUsed: undefined,
      rss: undefined,
      cpu: undefined,
      lastSeen: 0
    })
  }
  return {
    time: Date.now(),
    cluster: {
      workers: registered.reduce((sum, info) => sum + info.threads, 0),
      kind: `threads of ${registered.length} ${registered.length === 1 ? "worker" : "workers"}, ${reports.length} ${reports.length === 1 ? "client" : "clients"}`,
      deaths
    },
    counts,
    heldBytes,
    progress: [...progress.values()],
    workers: [...workers.values()].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true })),
    lastSeq,
    dropped,
    errors
  }
}

function addProgress(a: ProgressRow | undefined, b: ProgressRow): ProgressRow {
  if (a === undefined) return b
  return {
    name: a.name,
    total: a.total + b.total,
    done: a.done + b.done,
    erred: a.erred + b.erred,
    cancelled: a.cancelled + b.cancelled,
    processing: a.processing + b.processing,
    timed: a.timed + b.timed,
    totalMs: a.totalMs + b.totalMs,
    maxMs: Math.max(a.maxMs, b.maxMs)
  }
}

/** One worker thread seen by several clients: its tasks and busy share add up; its stats are the latest. */
function addWorker(a: WorkerRow | undefined, b: WorkerRow): WorkerRow {
  if (a === undefined) return b
  const latest = b.lastSeen > a.lastSeen ? b : a
  return { ...latest, tasks: a.tasks + b.tasks, busy: Math.min(100, a.busy + b.busy) }
}

/** The clients' grouped graphs as one: nodes of one task name merged, edges by name. */
export function mergeGraphs(graphs: ReadonlyArray<GraphSnapshot>): GraphSnapshot {
  const nodes = new Map<string, { node: GraphNode; states: Partial<Record<ShownState, number>> }>()
  const edges = new Set<string>()
  let tasks = 0
  for (const graph of graphs) {
    tasks += graph.tasks
    for (const node of graph.nodes) {
      let merged = nodes.get(node.name)
      if (merged === undefined) nodes.set(node.name, (merged = { node: { ...node, count: 0 }, states: {} }))
      merged.node = { ...merged.node, count: merged.node.count + node.count }
      for (const [state, n] of Object.entries(node.states ?? { [node.state]: node.count }))
        merged.states[state as ShownState] = (merged.states[state as ShownState] ?? 0) + (n ?? 0)
    }
    for (const [from, to] of graph.edges) edges.add(`${graph.nodes[from].name}\u0000${graph.nodes[to].name}`)
  }
  const names = [...nodes.keys()]
  const index = new Map(names.map((name, i) => [name, i]))
  return {
    grouped: true,
    tasks,
    nodes: names.map((name) => {
      const { node, states } = nodes.get(name)!
      return { id: name, name, state: groupState(states), count: node.count, states }
    }),
    edges: [...edges].map((pair) => {
      const [from, to] = pair.split("\u0000")
      return [index.get(from)!, index.get(to)!] as const
    })
  }
}
