/**
 * Micro-benchmark of the scheduler's hot path: ns per task for add + popReady + succeed.
 * Run with `npx tsx bench/micro/scheduler.ts`. Not part of the test suite.
 *
 * Cases:
 * - independent: 100,000 tasks without inputs (`client.map`), each held by a handle (acquire),
 *   all added, then all popped and finished;
 * - independent, released: the same, then every handle released (forgetting cost);
 * - independent, no handles: add + popReady + succeed only; nothing holds the results, so each
 *   is forgotten as it finishes (the literal add+popReady+succeed of the brief);
 * - shared input: 20,000 tasks on one input, each held, then all released in submission order
 *   (checks that unlinking a dependent is O(1), not a scan of the input's 20,000 dependents);
 * - chain: 10,000 tasks each depending on the previous one, only the last held (a delayed chain):
 *   each finished link is forgotten as soon as its dependent finishes.
 *
 * @internal
 * @module
 */
import { Scheduler, type TaskRecord } from "../../scheduler/scheduler.js"

const hooks = {
  onSettled(_task: TaskRecord<null>): void {},
  onAbort(_task: TaskRecord<null>): void {}
}

function keys(prefix: string, n: number): string[] {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(`${prefix}-${i.toString(16).padStart(32, "0")}`)
  return out
}

function independent(names: string[], release: boolean): number {
  const s = new Scheduler<null>(hooks)
  const n = names.length
  const held: TaskRecord<null>[] = []
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) {
    const t = s.add(names[i], "inc", null, [], 0)
    s.acquire(t)
    held.push(t)
  }
  for (let t = s.popReady(); t !== undefined; t = s.popReady()) s.succeed(t, 1)
  if (release) for (let i = 0; i < n; i++) s.release(held[i])
  const t1 = process.hrtime.bigint()
  if (s.heldKeys().length !== (release ? 0 : n)) throw new Error("bench: wrong result")
  return Number(t1 - t0) / n
}

function unheld(names: string[]): number {
  const s = new Scheduler<null>(hooks)
  const n = names.length
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) s.add(names[i], "inc", null, [], 0)
  for (let t = s.popReady(); t !== undefined; t = s.popReady()) s.succeed(t, 1)
  const t1 = process.hrtime.bigint()
  if (s.size !== 0) throw new Error("bench: wrong result")
  return Number(t1 - t0) / n
}

function shared(names: string[]): number {
  const s = new Scheduler<null>(hooks)
  const n = names.length
  const t0 = process.hrtime.bigint()
  const input = s.add("input", "input", null, [], 0)
  s.acquire(input)
  const held: TaskRecord<null>[] = []
  for (let i = 0; i < n; i++) {
    const t = s.add(names[i], "inc", null, [input], 0)
    s.acquire(t)
    held.push(t)
  }
  for (let t = s.popReady(); t !== undefined; t = s.popReady()) s.succeed(t, 1)
  for (let i = 0; i < n; i++) s.release(held[i])
  const t1 = process.hrtime.bigint()
  if (s.size !== 1) throw new Error("bench: wrong result")
  return Number(t1 - t0) / n
}

function chain(names: string[]): number {
  const s = new Scheduler<null>(hooks)
  const n = names.length
  const t0 = process.hrtime.bigint()
  let prev = s.add(names[0], "inc", null, [], 0)
  for (let i = 1; i < n; i++) prev = s.add(names[i], "inc", null, [prev], 0)
  s.acquire(prev)
  for (let t = s.popReady(); t !== undefined; t = s.popReady()) s.succeed(t, 1)
  const t1 = process.hrtime.bigint()
  if (s.size !== 1 || prev.state !== "memory") throw new Error("bench: wrong result")
  return Number(t1 - t0) / n
}

function best(label: string, run: () => number): void {
  const runs: number[] = []
  for (let i = 0; i < 15; i++) runs.push(run())
  runs.sort((a, b) => a - b)
  const median = runs[runs.length >> 1]
  console.log(
    `${label.padEnd(62)} best ${runs[0].toFixed(0).padStart(5)} ns/task   median ${median.toFixed(0).padStart(5)} ns/task`
  )
}

const many = keys("inc", 100_000)
const links = keys("chain", 10_000)
best("100,000 independent: add+acquire+popReady+succeed", () => independent(many, false))
best("100,000 independent: ... + release (forget)", () => independent(many, true))
best("100,000 independent, no handles: add+popReady+succeed", () => unheld(many))
best("20,000 on one shared input: add+acquire+pop+succeed+release", () => shared(many.slice(0, 20_000)))
best("10,000 chain: add+popReady+succeed (links forgotten)", () => chain(links))
