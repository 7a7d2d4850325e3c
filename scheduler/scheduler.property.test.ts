/**
 * Property tests of the scheduler: random DAGs of pure keys (so keys are shared between
 * submissions), driven by a fake executor that pops in priority order, finishes running tasks in
 * random order with random outcomes (success, failure, retryable failure handled by requeue),
 * interleaved with random cancels, releases, retries, keepalives, stale outcomes and submissions on
 * stale records. After every step: `checkInvariants()` and the checks below.
 */
import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { Scheduler, type TaskRecord } from "./scheduler.js"
import { isPending, isTerminal } from "./state.js"
import { canTransition } from "./transitions.js"

type Rec = TaskRecord<number> // payload: the index of the key in the DAG spec

/** A DAG over keys k0..k(n-1): `deps[i]` are distinct indices below i, in argument order. */
interface Spec {
  readonly deps: ReadonlyArray<ReadonlyArray<number>>
}

type Op =
  | { readonly t: "submit"; readonly k: number; readonly prio: number; readonly viaHandle: boolean; readonly h: number }
  | { readonly t: "pop" }
  | { readonly t: "claim"; readonly r: number }
  | { readonly t: "scatter"; readonly k: number }
  | { readonly t: "finish"; readonly r: number; readonly outcome: "ok" | "fail" | "retryable" }
  | { readonly t: "stale"; readonly r: number; readonly kind: "succeed" | "fail" | "requeue" }
  | { readonly t: "cancel" | "release" | "retry" | "keep"; readonly h: number }

const specArb: fc.Arbitrary<Spec> = fc
  .array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: 1, maxLength: 8, size: "max" })
  .map((raw) => ({ deps: raw.map((ds, i) => (i === 0 ? [] : [...new Set(ds.map((d) => d % i))])) }))

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant("submit" as const),
      k: fc.nat(),
      prio: fc.integer({ min: -2, max: 2 }),
      viaHandle: fc.boolean(),
      h: fc.nat()
    })
  },
  { weight: 6, arbitrary: fc.record({ t: fc.constant("pop" as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("claim" as const), r: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("scatter" as const), k: fc.nat() }) },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant("finish" as const),
      r: fc.nat(),
      outcome: fc.constantFrom("ok" as const, "ok" as const, "fail" as const, "retryable" as const)
    })
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant("stale" as const),
      r: fc.nat(),
      kind: fc.constantFrom("succeed" as const, "fail" as const, "requeue" as const)
    })
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("cancel" as const), h: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("release" as const), h: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("retry" as const), h: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("keep" as const), h: fc.nat() }) }
)

/** How many times a retryable failure is requeued before it becomes final. */
const maxRetries = 2
const prime = 1_000_003
/** Runs per property; raise it for a soak run: `WEFT_PROP_RUNS=20000 npx vitest run scheduler/`. */
const runs = Number(process.env.WEFT_PROP_RUNS ?? 400)

/** The value of task i from its inputs' values: order-sensitive, so a mis-wired input shows. */
function compute(i: number, inputs: ReadonlyArray<number>): number {
  let v = ((i + 1) * 7919) % prime
  for (let j = 0; j < inputs.length; j++) v = (v + (j + 1) * inputs[j]) % prime
  return v
}

interface Handle {
  readonly rec: Rec
  released: boolean
}

interface TaskError {
  readonly root: string
  readonly id: number
}

const key = (i: number): string => `k${i}`

/** Every transition the random runs made, to check that they reach the rare edges. */
const edgesSeen = new Set<string>()

/** The fake engine: holds handles, runs tasks, and checks everything it sees. */
class Driver {
  readonly s: Scheduler<number>
  readonly handles: Handle[] = []
  private running: { rec: Rec; pop: number }[] = []
  private readonly popOf = new WeakMap<Rec, number>()
  private pops = 0
  private readonly seen = new Set<Rec>()
  /** Records that made a terminal transition whose onSettled has not come yet. */
  private readonly settling = new Set<Rec>()
  private readonly produced = new Set<unknown>()
  private errorIds = 0
  private events = 0
  private readonly ref: number[] = []
  private readonly ancestors: Set<number>[] = []

  constructor(private readonly spec: Spec) {
    spec.deps.forEach((deps, i) => {
      this.ref.push(
        compute(
          i,
          deps.map((d) => this.ref[d])
        )
      )
      const up = new Set<number>()
      for (const d of deps) {
        up.add(d)
        for (const a of this.ancestors[d]) up.add(a)
      }
      this.ancestors.push(up)
    })
    this.s = new Scheduler<number>({
      onTransition: (t, from, to) => {
        this.events++
        this.seen.add(t)
        expect(canTransition(from, to), `${t.key}: ${from} -> ${to}`).toBe(true)
        edgesSeen.add(`${from} -> ${to}`)
        if (isTerminal(to)) this.settling.add(t)
      },
      onSettled: (t) => {
        this.events++
        expect(this.settling.delete(t), `onSettled(${t.key}) without a terminal transition, or twice`).toBe(true)
        expect(isTerminal(t.state)).toBe(true)
        if (t.state === "erred") this.checkError(t)
        if (t.state === "cancelled") expect(["cancel", "lost dependencies", "released"]).toContain(t.cancelReason)
      },
      onAbort: (t) => {
        this.events++
        expect(t.state).toBe("processing")
      },
      onForget: (t) => {
        this.events++
        expect(t.inTable).toBe(false)
      }
    })
  }

  /** An erred record carries its root's error: the root is itself or an ancestor, and the error came from the executor. */
  private checkError(t: Rec): void {
    const error = t.error as TaskError
    expect(this.produced.has(error)).toBe(true)
    expect(error.root).toBe(t.erredKey)
    const i = t.payload
    expect(t.erredKey === t.key || [...this.ancestors[i]].some((a) => key(a) === t.erredKey)).toBe(true)
  }

  /** The records in the table that depend on `rec`, transitively. */
  private downstream(rec: Rec): Rec[] {
    const found = new Set<Rec>()
    const stack = [...rec.dependents]
    while (stack.length > 0) {
      const t = stack.pop()!
      if (found.has(t)) continue
      found.add(t)
      stack.push(...t.dependents)
    }
    return [...found]
  }

  private liveHandles(): Handle[] {
    return this.handles.filter((h) => !h.released)
  }

  apply(op: Op): void {
    switch (op.t) {
      case "submit":
        return this.submit(op.k % this.spec.deps.length, op.prio, op.viaHandle, op.h)
      case "pop":
        return this.pop()
      case "claim":
        return this.claim(op.r)
      case "scatter":
        return this.scatter(op.k % this.spec.deps.length)
      case "finish":
        return this.finish(op.r, op.outcome)
      case "stale":
        return this.stale(op.r, op.kind)
      default: {
        const live = this.liveHandles()
        if (live.length === 0) return
        const h = live[op.h % live.length]
        const before = h.rec.state
        if (op.t === "cancel") {
          // As Dask: a pending, finished or erred key is cancelled with every transitive dependent
          // (whatever its state), and its value leaves heldKeys.
          const acts = h.rec.inTable && (isPending(before) || before === "memory" || before === "erred")
          // An already cancelled key: cancelled again, it cancels whatever was added on it since.
          const again = h.rec.inTable && before === "cancelled"
          const downstream = acts || again ? this.downstream(h.rec) : []
          this.s.cancel(h.rec, "cancel")
          if (acts) {
            expect(h.rec.state).toBe("cancelled")
            expect(h.rec.value).toBeUndefined()
            expect(this.s.heldKeys()).not.toContain(h.rec.key)
            for (const t of downstream)
              expect(`${t.key}:${t.state}`).toBe(`${t.key}:${t.inTable ? "cancelled" : "released"}`)
          } else expect(h.rec.state).toBe(before)
          if (again)
            for (const t of downstream)
              expect(`${t.key}:${t.state}`).toBe(`${t.key}:${t.inTable ? "cancelled" : "released"}`)
        } else if (op.t === "release") {
          h.released = true
          this.s.release(h.rec)
        } else if (op.t === "retry") {
          this.s.retry(h.rec)
          // Cancelled when an input it needs was a scattered value that has been forgotten.
          if (before === "erred") expect(["waiting", "queued", "cancelled"]).toContain(h.rec.state)
          else expect(h.rec.state).toBe(before)
          if (before === "erred" && h.rec.state === "cancelled") expect(h.rec.cancelReason).toBe("lost dependencies")
        } else {
          this.s.keep(h.rec)
        }
      }
    }
  }

  /**
   * Submits key k as the engine submits a graph: adds its missing inputs bottom-up (holding each
   * added record until the output is held), or, with `viaHandle`, passes an existing handle's
   * record (possibly cancelled, released or forgotten) for an input that has one.
   */
  private submit(k: number, prio: number, viaHandle: boolean, h: number): void {
    const held: Rec[] = []
    const ensure = (j: number): Rec => {
      if (viaHandle) {
        const candidates = this.handles.filter((x) => x.rec.payload === j)
        if (candidates.length > 0) return candidates[h % candidates.length].rec
      }
      const r = this.s.add(key(j), "k", j, this.spec.deps[j].map(ensure), prio)
      this.s.acquire(r)
      held.push(r)
      return r
    }
    const rec = this.s.add(key(k), "k", k, this.spec.deps[k].map(ensure), prio)
    this.s.acquire(rec)
    this.handles.push({ rec, released: false })
    this.seen.add(rec)
    for (const r of held) this.s.release(r)
  }

  /** Scatters key k's reference value (an existing record of k is returned unchanged, as for add). */
  private scatter(k: number): void {
    const rec = this.s.addValue(key(k), "k", k, this.ref[k])
    this.s.acquire(rec)
    this.handles.push({ rec, released: false })
    this.seen.add(rec)
    expect(rec.state === "memory" ? rec.value : this.ref[k]).toBe(this.ref[k])
  }

  private pop(): void {
    const t = this.s.popReady()
    if (t === undefined) {
      expect(this.s.readyCount).toBe(0)
      return
    }
    this.checkPopped(t)
    this.popOf.set(t, ++this.pops)
    this.running.push({ rec: t, pop: this.pops })
  }

  /**
   * Fusion, as the engine's `#fuse`: claims a waiting record whose inputs not in memory are all
   * running, to run in their batch.
   */
  private claim(r: number): void {
    const candidates = [...this.s.tasks()].filter(
      (t) => t.state === "waiting" && t.dependencies.every((d) => d.state === "memory" || d.state === "processing")
    )
    if (candidates.length === 0) return
    const t = candidates[r % candidates.length]
    const attempts = t.attempts
    this.s.claim(t)
    expect(t.state).toBe("processing")
    expect(t.attempts).toBe(attempts + 1)
    this.popOf.set(t, ++this.pops)
    this.running.push({ rec: t, pop: this.pops })
  }

  /**
   * As the engine: the claimed dependents of a task that runs again (or waits again) cannot run in
   * its batch any more: they wait again, and so do theirs.
   */
  private unclaimDependents(rec: Rec): void {
    const stack = [...rec.dependents]
    while (stack.length > 0) {
      const d = stack.pop()!
      if (d.state !== "processing" || d.waitingOn === 0) continue
      this.s.unclaim(d)
      expect(d.state).toBe("waiting")
      stack.push(...d.dependents)
    }
  }

  /** A popped task: processing, inputs in memory with the reference values, best of the queue. */
  private checkPopped(t: Rec): void {
    expect(t.state).toBe("processing")
    expect(t.heapIndex).toBe(-1)
    expect(t.scattered, `${t.key} was scattered: nothing to run`).toBe(false)
    const i = t.payload
    expect(t.dependencies.map((d) => d.key)).toEqual(this.spec.deps[i].map(key))
    for (const d of t.dependencies) {
      expect(d.state, `input ${d.key} of ${t.key}`).toBe("memory")
      expect(d.value).toBe(this.ref[d.payload])
    }
    for (let j = 0; j < this.spec.deps.length; j++) {
      const q = this.s.get(key(j))
      if (q !== undefined && q.state === "queued")
        expect(
          q.priority > t.priority || (q.priority === t.priority && q.seq < t.seq),
          `${q.key} should pop before ${t.key}`
        ).toBe(false)
    }
  }

  private valid(): { rec: Rec; pop: number }[] {
    this.running = this.running.filter((e) => e.rec.state === "processing" && this.popOf.get(e.rec) === e.pop)
    return this.running
  }

  private finish(r: number, outcome: "ok" | "fail" | "retryable"): void {
    const running = this.valid()
    if (running.length === 0) return
    const [entry] = running.splice(r % running.length, 1)
    const t = entry.rec
    if (t.waitingOn > 0) {
      // A claimed task whose inputs have not all arrived: its batch stopped before them.
      this.s.unclaim(t)
      expect(t.state).toBe("waiting")
      this.unclaimDependents(t)
      return
    }
    if (outcome === "ok") {
      const value = compute(
        t.payload,
        t.dependencies.map((d) => d.value as number)
      )
      expect(value).toBe(this.ref[t.payload])
      this.s.succeed(t, value)
      expect(t.state === "memory" || (t.state === "released" && !t.inTable)).toBe(true)
    } else if (outcome === "retryable" && t.attempts <= maxRetries) {
      this.s.requeue(t)
      expect(t.state).toBe("queued")
      this.unclaimDependents(t)
    } else {
      const error: TaskError = { root: t.key, id: ++this.errorIds }
      this.produced.add(error)
      this.s.fail(t, error)
      expect(t.state === "erred" || (t.state === "released" && !t.inTable)).toBe(true)
    }
  }

  /** An outcome for a task that is not processing (aborted, finished, ...) changes nothing. */
  private stale(r: number, kind: "succeed" | "fail" | "requeue"): void {
    const candidates = [...this.seen].filter((t) => t.state !== "processing")
    if (candidates.length === 0) return
    const t = candidates[r % candidates.length]
    const before = { state: t.state, value: t.value, error: t.error, events: this.events, ready: this.s.readyCount }
    if (kind === "succeed") this.s.succeed(t, -1)
    else if (kind === "fail") this.s.fail(t, "stale")
    else this.s.requeue(t)
    expect({ state: t.state, value: t.value, error: t.error, events: this.events, ready: this.s.readyCount }).toEqual(
      before
    )
  }

  /** Runs after every step. */
  check(): void {
    this.s.checkInvariants()
    expect(this.settling.size, "a terminal transition without onSettled").toBe(0)
    for (let j = 0; j < this.spec.deps.length; j++) {
      const t = this.s.get(key(j))
      if (t === undefined) continue
      // The driver holds every record it adds until the output is held, so no pending record is unwanted.
      if (isPending(t.state))
        expect(t.refs > 0 || t.pendingDependents > 0 || t.keep, `${t.key} pending, unwanted`).toBe(true)
      if (t.state === "memory") expect(t.value).toBe(this.ref[j])
    }
  }

  /** Finishes everything still pending with successes. */
  drain(): void {
    for (;;) {
      for (let t = this.s.popReady(); t !== undefined; t = this.s.popReady()) {
        this.checkPopped(t)
        this.popOf.set(t, ++this.pops)
        this.running.push({ rec: t, pop: this.pops })
      }
      if (this.valid().length === 0) break
      while (this.valid().length > 0) this.finish(0, "ok")
      this.check()
    }
    for (let j = 0; j < this.spec.deps.length; j++) {
      const t = this.s.get(key(j))
      if (t !== undefined) expect(isPending(t.state), `${t.key} still ${t.state} after draining`).toBe(false)
    }
  }

  /** Every record with a live handle settled, with the reference value or a root's error. */
  checkSettled(): void {
    for (const h of this.liveHandles()) {
      const t = h.rec
      expect(isTerminal(t.state), `${t.key} is ${t.state}`).toBe(true)
      if (t.state === "memory") expect(t.value).toBe(this.ref[t.payload])
      if (t.state === "erred") this.checkError(t)
      if (t.state === "cancelled") expect(["cancel", "lost dependencies"]).toContain(t.cancelReason)
    }
  }

  releaseAll(): void {
    for (const h of this.liveHandles()) {
      h.released = true
      this.s.release(h.rec)
      this.check()
    }
  }
}

describe("scheduler properties", () => {
  test.prop([specArb, fc.array(opArb, { minLength: 10, maxLength: 100, size: "max" })], { numRuns: runs })(
    "random DAGs, outcomes, cancels, releases, retries and keeps match a reference evaluation and release everything",
    (spec, ops) => {
      const d = new Driver(spec)
      for (const op of ops) {
        d.apply(op)
        d.check()
      }
      d.drain()
      d.checkSettled()
      d.releaseAll()
      expect(d.s.size).toBe(0)
      expect(d.s.heldKeys()).toEqual([])
      expect(d.s.readyCount).toBe(0)
    }
  )

  test("the random runs reach Dask's cancel of a finished or erred key (memory -> cancelled, erred -> cancelled)", () => {
    // Runs after the property above (tests in a file run in order).
    expect(edgesSeen).toContain("memory -> cancelled")
    expect(edgesSeen).toContain("erred -> cancelled")
  })

  test("the random runs reach the fusion claim and its give-back (waiting -> processing -> waiting)", () => {
    expect(edgesSeen).toContain("waiting -> processing")
    expect(edgesSeen).toContain("processing -> waiting")
  })

  test.prop([specArb, fc.array(fc.integer({ min: -2, max: 2 }), { minLength: 1, maxLength: 12 })], {
    numRuns: Math.ceil(runs / 2)
  })("with no failures every submitted key finishes with its reference value", (spec, prios) => {
    const d = new Driver(spec)
    prios.forEach((prio, i) => d.apply({ t: "submit", k: i, prio, viaHandle: false, h: 0 }))
    d.check()
    d.drain()
    for (const h of d.handles) expect(h.rec.state).toBe("memory")
    d.checkSettled()
    d.releaseAll()
    expect(d.s.size).toBe(0)
  })
})
