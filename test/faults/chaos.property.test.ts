/**
 * Chaos: random DAGs of submissions on a real local cluster, where a random few per cent of the
 * tasks throw, kill their worker (`process.exit`, or an uncaught error thrown in a timer), or run
 * past their `timeout`, some with retries, while random futures are cancelled or released during
 * the run. Whatever happens:
 *
 * - every future settles, within a bound (a hang fails the test with the keys still pending);
 * - every future neither released nor touched by a cancel has the reference outcome: the value,
 *   or the error of one of its failing roots (`node i failed` for a throw, `KilledWorkerError` of
 *   the root's key after `allowedFailures + 1` deaths, `TimeoutError` naming the root's key);
 * - a future cancelled while pending rejects with `CancelledError`; one cancelled after it settled,
 *   or downstream of a cancelled one, has the reference outcome or `CancelledError` (and may read
 *   `"cancelled"` after its outcome: as in Dask, cancelling a settled future cancels it);
 * - after every future is released the cluster holds nothing (`heldKeys()` and the task table);
 * - no worker leaks: the count of live worker threads (exact, from `process.on("worker")`) and
 *   the OS threads of the process (`/proc/self/task`) are the baseline plus the workers while the
 *   client is open, and the baseline again after `close()`; child processes likewise under
 *   `isolation: "process"`;
 * - nothing reaches `unhandledRejection` or `uncaughtException`.
 *
 * Faults are decided per node, never at random inside a worker, so the reference is computable:
 * a task that crashes (or throws) on every attempt fails; one that crashes (or throws) on its
 * first run only, found by a marker file in a temp folder, succeeds on a later attempt. A crash
 * kills its whole batch, so an innocent task of that batch counts one death and runs alone from
 * then on (it can die with no other task after that): with `allowedFailures >= 2`, a task that
 * crashes once survives even after such a death. The same batch death also loses the outcomes of
 * the batch's tasks that had already run (they run again: at least once, not exactly once), so a
 * task that throws on its first run only is always given a retry.
 *
 * About 20 s on 2 cores. A failure prints fast-check's seed and path: `WEFT_CHAOS_SEED=<seed>
 * WEFT_CHAOS_PATH=<path>` replays it in the big-graph and small-graph tests (pick the one that
 * failed with `-t`); `WEFT_CHAOS_VERBOSE=1` prints what each
 * run did (task kinds, values, errors, cancellations, worker threads started).
 */
import { mkdtempSync, promises as fsp, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fc, test } from "@fast-check/vitest"
import { afterAll, beforeAll, describe, expect } from "vitest"
import { CancelledError, Client, KilledWorkerError, TimeoutError, type Future } from "weft"
import { childPids, EscapeRecorder, osThreads, until, watchWorkerThreads, within } from "./fault-helpers.js"
import { engineOf } from "../../dist/runtime/internal/client-engine.js"
import { propertyRuns } from "../support/runs.js"

/** What a node's task does (the numbers are what the task function reads). */
const Kind = {
  ok: 0,
  /** Throws `node i failed` on every attempt. */
  throws: 1,
  /** Throws on its first run only (always given a retry): succeeds. */
  throwsOnce: 2,
  /** `process.exit(1)` on every attempt: `KilledWorkerError`. */
  exits: 3,
  /** `process.exit(1)` on its first run only: succeeds on a fresh worker. */
  exitsOnce: 4,
  /** An uncaught error thrown in a timer while the task awaits: kills the worker on every attempt. */
  timerThrows: 5,
  /** Awaits a minute, with a `timeout` of a few hundred ms: `TimeoutError`. */
  sleepsPastTimeout: 6,
  /** A synchronous busy loop past its `timeout`: `TimeoutError` (the worker must be terminated). */
  spinsPastTimeout: 7,
  /** Has a (generous) `timeout` and returns at once. */
  timedOk: 8
} as const

/** Faulty kinds and their weights (out of 100). */
const faultWeights: ReadonlyArray<readonly [number, number]> = [
  [Kind.throws, 25],
  [Kind.throwsOnce, 15],
  [Kind.exits, 15],
  [Kind.exitsOnce, 10],
  [Kind.timerThrows, 10],
  [Kind.sleepsPastTimeout, 8],
  [Kind.spinsPastTimeout, 7],
  [Kind.timedOk, 10]
]

interface ChaosNode {
  readonly deps: ReadonlyArray<number>
  readonly kind: number
  readonly retries: number
  readonly priority: number
  readonly timeout: number | undefined
}
interface Action {
  readonly node: number
  /** Cancel, or release. */
  readonly cancel: boolean
  /** Fired once this many futures have settled. */
  readonly afterSettled: number
}
interface Plan {
  readonly nodes: ReadonlyArray<ChaosNode>
  readonly allowedFailures: number
  readonly actions: ReadonlyArray<Action>
}

/**
 * Node i adds its inputs to i (mod a prime, so that sums stay small), after doing what its kind
 * says. Inline (it travels as source text): globals only, `fs` through `process.getBuiltinModule`.
 */
const chaosTask = (i: number, kind: number, dir: string, inputs: number[]): number | Promise<number> => {
  let value = i
  for (const x of inputs) value = (value + x) % 1_000_003
  if (kind === 0) return value
  const fs = process.getBuiltinModule("node:fs")
  const firstRun = (): boolean => {
    const marker = `${dir}/${i}`
    if (fs.existsSync(marker)) return false
    fs.writeFileSync(marker, "")
    return true
  }
  if (kind === 1) throw new Error(`node ${i} failed`)
  if (kind === 2) {
    if (firstRun()) throw new Error(`node ${i} failed`)
    return value
  }
  if (kind === 3) process.exit(1)
  if (kind === 4) {
    if (firstRun()) process.exit(1)
    return value
  }
  if (kind === 5) {
    setTimeout(() => {
      throw new Error(`node ${i}: thrown in a timer`)
    }, 0)
    return new Promise((resolve) => setTimeout(() => resolve(value), 60_000))
  }
  if (kind === 6) return new Promise((resolve) => setTimeout(() => resolve(value), 60_000))
  if (kind === 7) {
    const end = Date.now() + 30_000
    while (Date.now() < end) {
      // busy: only terminating the worker stops it
    }
  }
  return value
}

interface PlanShape {
  readonly minNodes: number
  readonly maxNodes: number
  /** Range of the share of faulty nodes. */
  readonly minRate: number
  readonly maxRate: number
  readonly minActions: number
  readonly maxActions: number
  /** A node's inputs are among the `window` nodes before it (longer paths than uniform picks). */
  readonly window: number
  readonly allowedFailures: ReadonlyArray<number>
}

/** A uniform number in [0, 1) (fast-check's numbers lean to the edges of their range unless told not to). */
const unit = fc.noBias(fc.integer({ min: 0, max: 9_999 })).map((x) => x / 10_000)

function planArbitrary(shape: PlanShape): fc.Arbitrary<Plan> {
  return fc
    .record({
      rate: unit.map((x) => shape.minRate + x * (shape.maxRate - shape.minRate)),
      raw: fc.array(
        fc.record({
          deps: fc.array(fc.nat(), { maxLength: 3 }),
          roll: unit,
          fault: fc.noBias(fc.nat({ max: 99 })),
          retries: fc.nat({ max: 2 }),
          priority: fc.integer({ min: -2, max: 2 }),
          timeout: fc.integer({ min: 150, max: 400 })
        }),
        { minLength: shape.minNodes, maxLength: shape.maxNodes, size: "max" }
      ),
      allowedFailures: fc.constantFrom(...shape.allowedFailures),
      actions: fc.array(fc.record({ node: fc.nat(), cancel: fc.boolean(), at: unit }), {
        minLength: shape.minActions,
        maxLength: shape.maxActions
      })
    })
    .map(({ rate, raw, allowedFailures, actions }) => {
      const nodes = raw.map((r, i): ChaosNode => {
        const deps = i === 0 ? [] : [...new Set(r.deps.map((d) => i - 1 - (d % Math.min(i, shape.window))))]
        const kind = r.roll < rate ? faultKind(r.fault) : Kind.ok
        const slow = kind === Kind.sleepsPastTimeout || kind === Kind.spinsPastTimeout
        return {
          deps,
          kind,
          // A throw on the first run can be lost when a later task of the same batch kills the
          // worker (the batch runs again, and the task succeeds): with a retry it succeeds either way.
          retries: slow ? r.retries % 2 : kind === Kind.throwsOnce ? Math.max(1, r.retries) : r.retries,
          priority: r.priority,
          timeout: slow ? r.timeout : kind === Kind.timedOk ? 15_000 : undefined
        }
      })
      const seen = new Set<number>()
      const picked: Action[] = []
      for (const a of actions) {
        const node = a.node % nodes.length
        if (seen.has(node)) continue
        seen.add(node)
        // Early more often than late (at squared), so that most cancels find their task pending.
        picked.push({ node, cancel: a.cancel, afterSettled: Math.floor(a.at * a.at * nodes.length) })
      }
      picked.sort((a, b) => a.afterSettled - b.afterSettled)
      return { nodes, allowedFailures, actions: picked }
    })
}

function faultKind(roll: number): number {
  let left = roll
  for (const [kind, weight] of faultWeights) {
    if (left < weight) return kind
    left -= weight
  }
  return Kind.throws
}

type Expected =
  { readonly ok: true; readonly value: number } | { readonly ok: false; readonly roots: ReadonlySet<number> }

/** Does the node's own task fail for good (retries, crash limits and all)? */
function failsForGood(node: ChaosNode): boolean {
  switch (node.kind) {
    case Kind.throws:
    case Kind.exits:
    case Kind.timerThrows:
    case Kind.sleepsPastTimeout:
    case Kind.spinsPastTimeout:
      return true
    default:
      return false
  }
}

/** What every node must give with no cancels: its value, or the error of one of these roots. */
function reference(nodes: ReadonlyArray<ChaosNode>): Expected[] {
  const out: Expected[] = []
  nodes.forEach((node, i) => {
    const roots = new Set<number>()
    for (const d of node.deps) {
      const r = out[d]
      if (!r.ok) for (const x of r.roots) roots.add(x)
    }
    if (roots.size > 0) out.push({ ok: false, roots })
    else if (failsForGood(node)) out.push({ ok: false, roots: new Set([i]) })
    else {
      let value = i
      for (const d of node.deps) value = (value + (out[d] as { value: number }).value) % 1_000_003
      out.push({ ok: true, value })
    }
  })
  return out
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown }

const workers = 2

/** `WEFT_CHAOS_SEED=n` replays a reported seed (with its path, `WEFT_CHAOS_PATH`). */
const replay =
  process.env.WEFT_CHAOS_SEED === undefined
    ? {}
    : { seed: Number(process.env.WEFT_CHAOS_SEED), path: process.env.WEFT_CHAOS_PATH ?? "0" }

let watch: ReturnType<typeof watchWorkerThreads>
let escapes: EscapeRecorder

beforeAll(async () => {
  watch = watchWorkerThreads()
  escapes = new EscapeRecorder()
  // Start libuv's thread pool now (it starts on first use and never shrinks), so that it cannot
  // count as a leak in the OS thread count of a later run.
  await fsp.stat(tmpdir())
})

afterAll(() => {
  watch.stop()
  escapes.stop()
  expect(escapes.escaped).toEqual([])
})

async function runChaos(plan: Plan, isolation: "thread" | "process", deadlineMs: number): Promise<void> {
  const { nodes, allowedFailures, actions } = plan
  const dir = mkdtempSync(join(tmpdir(), "weft-chaos-"))
  const threadsBefore = osThreads()
  const liveBefore = watch.live()
  const childrenBefore = childPids().length
  const client = await Client.local({ workers, isolation, allowedFailures })
  try {
    const futures: Future<number>[] = []
    nodes.forEach((node, i) => {
      const options = {
        retries: node.retries,
        priority: node.priority,
        ...(node.timeout === undefined ? {} : { timeout: node.timeout })
      }
      futures.push(
        client.with(options).submit(
          chaosTask,
          i,
          node.kind,
          dir,
          node.deps.map((d) => futures[d])
        )
      )
    })
    const indexOf = new Map(futures.map((f, i) => [f.key, i]))
    const outcomes: Promise<Outcome>[] = futures.map((f) =>
      f.result().then(
        (value) => ({ ok: true, value }),
        (error: unknown) => ({ ok: false, error })
      )
    )

    // Cancels and releases, each once a given number of futures have settled (after the engine's
    // own call stack has returned).
    const cancelled = new Set<number>()
    /** Cancelled while pending: these must end cancelled. */
    const cancelledPending = new Set<number>()
    const released = new Set<number>()
    const cancels: Promise<void>[] = []
    let settled = 0
    let next = 0
    let stopped = false
    const fire = () => {
      while (!stopped && next < actions.length && actions[next].afterSettled <= settled) {
        const action = actions[next++]
        if (action.cancel) {
          cancelled.add(action.node)
          if (!futures[action.node].done()) cancelledPending.add(action.node)
          cancels.push(futures[action.node].cancel())
        } else {
          released.add(action.node)
          futures[action.node].release()
        }
      }
    }
    for (const f of futures) {
      f.onDone(() => {
        settled++
        setImmediate(fire)
      })
    }
    setImmediate(fire)

    const pending = () => {
      const left = futures.flatMap((f, i) => (f.done() ? [] : [i]))
      const shown = left.slice(0, 15).map((i) => {
        const record = engineOf(client).scheduler.get(futures[i].key)
        const payload = record?.payload
        return (
          `node ${i} (kind ${nodes[i].kind}, deps ${nodes[i].deps.join(",")}): ${record?.state ?? "forgotten"}, attempts ${record?.attempts ?? "?"}, ` +
          `in a batch ${payload?.flight !== undefined}, deaths ${payload?.deaths ?? "?"}, failures ${payload?.failures ?? "?"}`
        )
      })
      const executor = engineOf(client).executor as { liveWorkers?: () => number }
      const flights = new Set<unknown>()
      const running: string[] = []
      for (const task of engineOf(client).scheduler.tasks()) {
        if (task.payload.flight === undefined) continue
        flights.add(task.payload.flight)
        const i = indexOf.get(task.key)
        if (running.length < 15)
          running.push(
            `${i === undefined ? task.key : `node ${i} (kind ${nodes[i].kind})`} attempts ${task.attempts} deaths ${task.payload.deaths}`
          )
      }
      return (
        `${left.length} of ${futures.length} futures still pending (batches in flight ${flights.size}, live workers ${executor.liveWorkers?.() ?? "?"}, ` +
        `worker threads ${watch.live() - liveBefore}), e.g.\n${shown.join("\n")}\nin batches: ${running.join("; ")}`
      )
    }
    const results = await within(Promise.all(outcomes), deadlineMs, pending)
    stopped = true
    await within(Promise.all(cancels), 5_000, () => "cancel() promises")

    // Compare with the reference.
    const expected = reference(nodes)
    const touched: boolean[] = []
    nodes.forEach((node, i) => touched.push(cancelled.has(i) || node.deps.some((d) => touched[d])))
    const problems: string[] = []
    const rootOf = (error: unknown): { root: number | undefined; kinds: ReadonlyArray<number>; detail?: string } => {
      if (error instanceof KilledWorkerError) {
        return {
          root: indexOf.get(error.key),
          kinds: [Kind.exits, Kind.timerThrows],
          ...(error.failures === allowedFailures + 1
            ? {}
            : { detail: `${error.failures} deaths, expected ${allowedFailures + 1}` })
        }
      }
      const message = error instanceof Error ? error.message : String(error)
      if (error instanceof TimeoutError) {
        const key = /^Task (\S+) ran longer than its timeout/.exec(message)?.[1]
        return {
          root: key === undefined ? undefined : indexOf.get(key),
          kinds: [Kind.sleepsPastTimeout, Kind.spinsPastTimeout]
        }
      }
      const index = /^node (\d+) failed$/.exec(message)?.[1]
      return { root: index === undefined ? undefined : Number(index), kinds: [Kind.throws, Kind.throwsOnce] }
    }
    results.forEach((outcome, i) => {
      if (released.has(i)) return
      const want = expected[i]
      const status = futures[i].status
      const where = `node ${i} (kind ${nodes[i].kind}, retries ${nodes[i].retries}, deps ${nodes[i].deps.join(",")})`
      if (cancelledPending.has(i) && !(!outcome.ok && outcome.error instanceof CancelledError)) {
        problems.push(`${where}: cancelled while pending, but ${outcome.ok ? "finished" : "failed with another error"}`)
        return
      }
      if (outcome.ok) {
        if (!want.ok)
          problems.push(`${where}: got ${String(outcome.value)}, expected a failure from ${[...want.roots].join(",")}`)
        else if (outcome.value !== want.value)
          problems.push(`${where}: got ${String(outcome.value)}, expected ${want.value}`)
        else if (status !== "finished" && !(touched[i] && status === "cancelled"))
          problems.push(`${where}: status ${status}, expected finished`)
      } else if (outcome.error instanceof CancelledError) {
        if (!touched[i]) problems.push(`${where}: cancelled, but neither it nor an input was: ${outcome.error.message}`)
        else if (status !== "cancelled") problems.push(`${where}: status ${status}, expected cancelled`)
      } else {
        const { root, kinds, detail } = rootOf(outcome.error)
        const message =
          outcome.error instanceof Error ? `${outcome.error.name}: ${outcome.error.message}` : String(outcome.error)
        if (want.ok) problems.push(`${where}: failed with ${message}, expected ${want.value}`)
        else if (root === undefined || !want.roots.has(root))
          problems.push(`${where}: failed with ${message}, not the error of a root among ${[...want.roots].join(",")}`)
        else if (!kinds.includes(nodes[root].kind))
          problems.push(`${where}: failed with ${message}, but root ${root} is of kind ${nodes[root].kind}`)
        else if (detail !== undefined) problems.push(`${where}: ${message}: ${detail}`)
        else if (status !== "error" && !(touched[i] && status === "cancelled"))
          problems.push(`${where}: status ${status}, expected error`)
      }
    })
    if (problems.length > 0)
      throw new Error(`${problems.length} outcomes differ from the reference:\n${problems.slice(0, 20).join("\n")}`)
    if (process.env.WEFT_CHAOS_VERBOSE !== undefined) {
      const count = (test: (o: Outcome) => boolean) => results.filter(test).length
      const kinds = nodes.reduce<Record<number, number>>(
        (acc, node) => ((acc[node.kind] = (acc[node.kind] ?? 0) + 1), acc),
        {}
      )
      console.log(
        `chaos ${isolation}: ${nodes.length} tasks, kinds ${JSON.stringify(kinds)}, allowedFailures ${allowedFailures}, ` +
          `${count((o) => o.ok)} values, ${count((o) => !o.ok && !(o.error instanceof CancelledError))} errors, ` +
          `${count((o) => !o.ok && o.error instanceof CancelledError)} cancelled (${cancelled.size} cancel() calls), ${released.size} released, ` +
          `${watch.created()} worker threads created so far`
      )
    }

    // Released, the cluster holds nothing.
    for (const f of futures) f.release()
    expect(client.heldKeys()).toEqual([])
    expect(engineOf(client).scheduler.size).toBe(0)

    // While open: exactly the pool's workers are alive (replacements included, none left over).
    if (isolation === "thread") {
      await until(() => watch.live() === liveBefore + workers, 10_000)
      expect(watch.live(), "live worker threads while the client is open").toBe(liveBefore + workers)
      expect(osThreads()).toBeGreaterThanOrEqual(threadsBefore + workers)
    } else {
      await until(() => childPids().length === childrenBefore + workers, 10_000)
      expect(childPids().length, "child processes while the client is open").toBe(childrenBefore + workers)
      expect(watch.live(), "worker threads under isolation: process").toBe(liveBefore)
    }
  } finally {
    await within(client.close(), 10_000, () => "client.close()")
    rmSync(dir, { recursive: true, force: true })
  }

  // Closed: back to the baseline.
  if (isolation === "thread") {
    await until(() => watch.live() === liveBefore && osThreads() <= threadsBefore, 5_000)
    expect(watch.live(), "live worker threads after close()").toBe(liveBefore)
    expect(osThreads(), "OS threads after close()").toBeLessThanOrEqual(threadsBefore)
  } else {
    await until(() => childPids().length === childrenBefore, 5_000)
    expect(childPids().length, "child processes after close()").toBe(childrenBefore)
  }
  expect(escapes.escaped).toEqual([])
}

describe("chaos: crashes, throws, timeouts, cancels and releases on a real cluster", () => {
  test.prop(
    [
      planArbitrary({
        minNodes: 1_000,
        maxNodes: 2_000,
        minRate: 0.01,
        maxRate: 0.05,
        minActions: 3,
        maxActions: 10,
        window: 40,
        allowedFailures: [2, 3]
      })
    ],
    { numRuns: propertyRuns(4), endOnFailure: true, ...replay }
  )("big graphs (1,000-2,000 tasks) on worker threads", (plan) => runChaos(plan, "thread", 60_000), 180_000)

  test.prop(
    [
      planArbitrary({
        minNodes: 1,
        maxNodes: 40,
        minRate: 0,
        maxRate: 0.3,
        minActions: 0,
        maxActions: 4,
        window: 8,
        allowedFailures: [2, 3]
      })
    ],
    { numRuns: propertyRuns(20), interruptAfterTimeLimit: 60_000, ...replay }
  )("small graphs on worker threads", (plan) => runChaos(plan, "thread", 30_000), 180_000)

  test.prop(
    [
      planArbitrary({
        minNodes: 20,
        maxNodes: 60,
        minRate: 0.05,
        maxRate: 0.15,
        minActions: 1,
        maxActions: 3,
        window: 10,
        allowedFailures: [2]
      })
    ],
    { numRuns: propertyRuns(3), endOnFailure: true }
  )('child processes (isolation: "process")', (plan) => runChaos(plan, "process", 60_000), 180_000)
})

describe("regressions found by the chaos test", () => {
  test("a task with a timeout starts while a steady supply of ready tasks keeps the workers busy", async () => {
    // It waited for an idle worker while the engine kept both workers busy with the tasks queued
    // after it (lower priority, or not its dependents), so it ran only once the whole ready queue
    // had drained: in the chaos test, a timed task of priority -1 near the root of a big graph
    // held its subgraph back for more than a minute.
    const client = await Client.local({ workers: 2 })
    try {
      const others = client.map(
        (i: number) => {
          const end = performance.now() + 3
          while (performance.now() < end) {
            // 3 ms of work
          }
          return i
        },
        Array.from({ length: 400 }, (_, i) => i)
      )
      let done = 0
      for (const f of others) f.onDone(() => done++)
      await within(others[0].result(), 20_000, () => "the first task")
      // Submitted while the workers are busy, ahead of the tasks still queued.
      const timed = client.with({ timeout: 30_000, priority: 1 }).submit((x: number) => x, 1)
      let doneBeforeTimed = -1
      timed.onDone(() => {
        doneBeforeTimed = done
      })
      expect(await within(timed.result(), 20_000, () => "the timed task")).toBe(1)
      expect(await within(client.gather(others), 20_000, () => "the other tasks")).toHaveLength(400)
      expect(doneBeforeTimed).toBeLessThan(300)
    } finally {
      await client.close()
    }
  })
})
