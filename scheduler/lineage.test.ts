import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Scheduler, type LineageFacts, type TaskRecord } from "./scheduler.js"

type Rec = TaskRecord<string>

/** A scheduler, and facts where the `gone` keys vanished and keys starting with "impure" cannot rerun. */
function harness(gone: Set<string>) {
  const settled: string[] = []
  const s = new Scheduler<string>({
    onSettled: (t) => settled.push(`${t.key}:${t.state}`),
    onAbort: () => {}
  })
  const facts: LineageFacts<string> = {
    gone: (t) => gone.has(t.key),
    cannotRerun: (t) => (t.key.startsWith("impure") ? "its task is impure" : undefined)
  }
  const submit = (key: string, deps: Rec[] = []): Rec => {
    const t = s.add(key, key, key, deps, 0)
    s.acquire(t)
    return t
  }
  /** Runs everything ready until nothing is; returns the keys run, in order. */
  const drain = (): string[] => {
    const ran: string[] = []
    for (let t = s.popReady(); t !== undefined; t = s.popReady()) {
      ran.push(t.key)
      s.succeed(t, `value of ${t.key}`)
      s.checkInvariants()
    }
    return ran
  }
  const recover = (...roots: Rec[]) => {
    const rerun = s.recover(roots, facts, (t, why) => new Error(`${t.key} lost: ${why}`))
    s.checkInvariants()
    return rerun.map((t) => t.key)
  }
  return { s, settled, submit, drain, recover, facts }
}

describe("recover: results that vanished", () => {
  it("a pure chain whose inputs were forgotten is computed again, inputs first, and they are forgotten again after", () => {
    const gone = new Set(["c"])
    const { s, submit, drain, recover } = harness(gone)
    const a = submit("a")
    const b = submit("b", [a])
    const c = submit("c", [b])
    drain()
    s.release(a)
    s.release(b)
    expect([a.inTable, b.inTable, c.state]).toEqual([false, false, "memory"])
    expect(recover(c)).toEqual(["a", "b", "c"])
    expect([a.state, b.state, c.state]).toEqual(["queued", "waiting", "waiting"])
    expect(drain()).toEqual(["a", "b", "c"])
    expect(c.state).toBe("memory")
    expect([a.inTable, b.inTable]).toEqual([false, false])
  })

  it("dependents that counted it as in memory wait for it again: waiting, queued and running ones", () => {
    const gone = new Set(["x"])
    const { s, submit, drain, recover } = harness(gone)
    const x = submit("x")
    drain()
    const running = submit("running", [x])
    expect(s.popReady()).toBe(running)
    const slow = submit("slow")
    expect(s.popReady()).toBe(slow)
    const waiting = submit("waiting", [x, slow])
    const queued = submit("queued", [x])
    expect([running.state, waiting.state, waiting.waitingOn, queued.state]).toEqual([
      "processing",
      "waiting",
      1,
      "queued"
    ])
    expect(recover(x)).toEqual(["x"])
    expect([x.state, running.state, queued.state, waiting.waitingOn]).toEqual(["queued", "waiting", "waiting", 2])
    // The running one's late outcome (its worker read x before it vanished) is ignored.
    s.succeed(running, "stale")
    expect(running.state).toBe("waiting")
    expect(drain()).toEqual(["x", "running", "queued"])
    s.succeed(slow, "slow")
    expect(drain()).toEqual(["waiting"])
    expect([x, running, queued, slow, waiting].map((t) => t.state)).toEqual(Array(5).fill("memory"))
  })

  it("a result needing a scattered value that vanished too is lost, and so is the value; pending dependents err", () => {
    const gone = new Set(["data", "y"])
    const { s, submit, drain, recover, settled } = harness(gone)
    const data = s.addValue("data", "data", "data", [1, 2, 3])
    s.acquire(data)
    const y = submit("y", [data])
    drain()
    const z = submit("z", [y])
    recover(y, data)
    expect([data.state, y.state]).toEqual(["lost", "lost"])
    expect(String(y.error)).toBe(
      "Error: y lost: it cannot be computed again: it needs data, which was scattered and is gone too"
    )
    expect(String(data.error)).toBe("Error: data lost: it was scattered, so there is nothing to compute it from again")
    expect([z.state, z.error, z.erredKey]).toEqual(["erred", y.error, "y"])
    expect(settled).toContain("z:erred")
    // A task added on a lost input errs with its error at once.
    const w = submit("w", [y])
    expect([w.state, w.error]).toEqual(["erred", y.error])
    s.checkInvariants()
  })

  it("an impure task is lost; a forgotten impure input makes its dependent lost", () => {
    const gone = new Set(["impure-1", "f"])
    const { s, submit, drain, recover } = harness(gone)
    const i = submit("impure-1")
    const f = submit("f", [i])
    drain()
    s.release(i)
    recover(f)
    expect(f.state).toBe("lost")
    expect(String(f.error)).toMatch(
      /it needs impure-1, which vanished too and cannot be computed again \(its task is impure\)/
    )
  })

  it("planRecovery lists the results in memory it assumed present without knowing", () => {
    const gone = new Set(["b"])
    const { s, submit, drain, facts } = harness(gone)
    const a = submit("a")
    const b = submit("b", [a])
    drain()
    const plan = s.planRecovery([b], { ...facts, gone: (t) => (t.key === "b" ? true : undefined) })
    expect(plan.unchecked.map((t) => t.key)).toEqual(["a"])
    expect(plan.rerun.map((t) => t.key)).toEqual(["b"])
  })
})

describe("recover on random graphs (property)", () => {
  it("any set of vanished pure results comes back, the invariants hold, and only what was needed reruns", () => {
    const graph = fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: 1, maxLength: 25 })
    fc.assert(
      fc.property(graph, fc.array(fc.nat()), fc.array(fc.nat()), (edges, held, lostPicks) => {
        const gone = new Set<string>()
        const { s, submit, drain, recover } = harness(gone)
        const records: Rec[] = []
        edges.forEach((inputs, i) => {
          const deps = i === 0 ? [] : [...new Set(inputs.map((n) => records[n % i]))]
          records.push(submit(`t${i}`, deps))
        })
        drain()
        // Let go of all but some records (the others may be forgotten), then lose some of those held.
        const keep = new Set(held.map((n) => records[n % records.length]))
        for (const t of records) if (!keep.has(t)) s.release(t)
        s.checkInvariants()
        const roots = lostPicks.map((n) => records[n % records.length]).filter((t) => keep.has(t))
        for (const t of roots) gone.add(t.key)
        // What must run: the vanished results and, through them, the inputs that were forgotten.
        const needed = new Set<string>()
        const stack = [...roots]
        while (stack.length > 0) {
          const t = stack.pop()!
          if (needed.has(t.key) || (t.inTable && !gone.has(t.key))) continue
          needed.add(t.key)
          stack.push(...t.dependencies)
        }
        recover(...roots)
        expect(new Set(drain())).toEqual(needed)
        for (const t of keep) expect(t.state).toBe("memory")
        s.checkInvariants()
      })
    )
  })
})
