/**
 * The graph page's data from a task table: every task and its dependencies, or, for big graphs,
 * one node per task name with its tasks counted by state and an edge wherever a task of one name
 * feeds a task of another. Grouping keeps the page light: a 100,000-task graph of a few names is a
 * handful of nodes (Dask's graph view hangs the browser on such graphs, dask/distributed#2979).
 *
 * @internal
 */
import type { TaskRecord } from "../../scheduler/scheduler.js"
import { shownStates, type GraphNode, type GraphSnapshot, type ShownState } from "./types.js"

type Record_ = TaskRecord<unknown>

const isShown = (state: string): state is ShownState => (shownStates as ReadonlyArray<string>).includes(state)

/** One node per task. */
export function taskGraph(tasks: Iterable<Record_>): GraphSnapshot {
  const index = new Map<Record_, number>()
  const nodes: GraphNode[] = []
  for (const task of tasks) {
    if (!isShown(task.state)) continue
    index.set(task, nodes.length)
    nodes.push({ id: task.key, name: task.name, state: task.state, count: 1 })
  }
  const edges: Array<readonly [number, number]> = []
  for (const [task, i] of index) {
    for (const dependency of task.dependencies) {
      const j = index.get(dependency)
      if (j !== undefined) edges.push([j, i])
    }
  }
  return { grouped: false, tasks: nodes.length, nodes, edges }
}

/** The most advanced unfinished state of a group, else its most common finished one. */
export function groupState(states: Partial<Record<ShownState, number>>): ShownState {
  for (const state of ["processing", "queued", "waiting"] as const) if ((states[state] ?? 0) > 0) return state
  if ((states.erred ?? 0) > 0) return "erred"
  if ((states.memory ?? 0) > 0) return "memory"
  return (states.cancelled ?? 0) > 0 ? "cancelled" : "lost"
}

/** One node per task name. */
export function groupedGraph(tasks: Iterable<Record_>): GraphSnapshot {
  const groups = new Map<string, { index: number; count: number; states: Partial<Record<ShownState, number>> }>()
  const edgeSet = new Set<string>()
  let total = 0
  for (const task of tasks) {
    const state = task.state
    if (!isShown(state)) continue
    total++
    let group = groups.get(task.name)
    if (group === undefined) groups.set(task.name, (group = { index: groups.size, count: 0, states: {} }))
    group.count++
    group.states[state] = (group.states[state] ?? 0) + 1
    for (const dependency of task.dependencies)
      if (dependency.name !== task.name) edgeSet.add(`${dependency.name}\u0000${task.name}`)
  }
  const nodes = Array.from(groups, ([name, g]) => ({
    id: name,
    name,
    state: groupState(g.states),
    count: g.count,
    states: g.states
  }))
  const edges: Array<readonly [number, number]> = []
  for (const edge of edgeSet) {
    const [from, to] = edge.split("\u0000")
    const a = groups.get(from)
    const b = groups.get(to)
    if (a !== undefined && b !== undefined) edges.push([a.index, b.index])
  }
  return { grouped: true, tasks: total, nodes, edges }
}
