import { describe, expect, it } from "vitest"
import { Scheduler, type TaskRecord } from "./scheduler.js"

type Rec = TaskRecord<string>

/** A scheduler whose hooks log what they see, with a few helpers that check invariants after each step. */
function harness() {
  const settled: string[] = []
  const aborted: string[] = []
  const forgotten: string[] = []
  const s = new Scheduler<string>({
    onSettled: (t) => settled.push(`${t.key}:${t.state}`),
    onAbort: (t) => aborted.push(`${t.key}:${t.state}`),
    onForget: (t) => forgotten.push(t.key)
  })
  /** add + acquire, as the engine does for a Future. */
  const submit = (key: string, deps: Rec[] = [], priority = 0): Rec => {
    const t = s.add(key, key.split("-")[0], `payload of ${key}`, deps, priority)
    s.acquire(t)
    s.checkInvariants()
    return t
  }
  /** Pops the next ready task, expecting `key`. */
  const pop = (key: string): Rec => {
    const t = s.popReady()
    expect(t?.key).toBe(key)
    s.checkInvariants()
    return t!
  }
  /** Pops `key` and finishes it with `value`. */
  const run = (key: string, value: unknown): Rec => {
    const t = pop(key)
    s.succeed(t, value)
    s.checkInvariants()
    return t
  }
  /** Pops `key` and fails it with `error`. */
  const crash = (key: string, error: unknown): Rec => {
    const t = pop(key)
    s.fail(t, error)
    s.checkInvariants()
    return t
  }
  const step = (f: () => void): void => {
    f()
    s.checkInvariants()
  }
  return { s, settled, aborted, forgotten, submit, pop, run, crash, step }
}

describe("adding tasks", () => {
  it("equal keys share one record and run once", () => {
    const { s, submit, run, settled } = harness()
    const a = submit("inc-1")
    const b = submit("inc-1")
    expect(b).toBe(a)
    expect(a.refs).toBe(2)
    expect(s.size).toBe(1)
    expect(s.readyCount).toBe(1)
    run("inc-1", 2)
    expect(s.popReady()).toBeUndefined()
    expect(settled).toEqual(["inc-1:memory"])
    expect(a.attempts).toBe(1)
  })

  it("a finished key added again returns the cached value without queueing", () => {
    const { s, submit, run } = harness()
    const a = submit("inc-1")
    run("inc-1", 2)
    const b = submit("inc-1")
    expect(b).toBe(a)
    expect(b.state).toBe("memory")
    expect(b.value).toBe(2)
    expect(s.readyCount).toBe(0)
  })

  it("a task without inputs is queued at once and shares the frozen empty dependency array", () => {
    const { submit } = harness()
    const a = submit("a")
    const b = submit("b")
    expect(a.state).toBe("queued")
    expect(a.dependencies).toHaveLength(0)
    expect(a.dependencies).toBe(b.dependencies)
    expect(Object.isFrozen(a.dependencies)).toBe(true)
    expect(a.dependents).toBe(b.dependents)
  })

  it("a task waits until every input is in memory, then is queued", () => {
    const { s, submit, run } = harness()
    const x = submit("x")
    const y = submit("y")
    const z = submit("z", [x, y])
    expect(z.state).toBe("waiting")
    expect(z.waitingOn).toBe(2)
    run("x", 1)
    expect(z.waitingOn).toBe(1)
    expect(z.state).toBe("waiting")
    run("y", 2)
    expect(z.state).toBe("queued")
    expect(s.popReady()).toBe(z)
    expect(z.dependencies.map((d) => d.value)).toEqual([1, 2])
  })

  it("repeated inputs are linked once, in first-argument order", () => {
    const { submit } = harness()
    const x = submit("x")
    const y = submit("y")
    const z = submit("z", [y, x, y, x])
    expect(z.dependencies).toEqual([y, x])
    expect(z.waitingOn).toBe(2)
    expect(x.dependents).toEqual([z])
  })

  it("the caller's dependency array is copied, not adopted", () => {
    const { submit } = harness()
    const x = submit("x")
    const deps = [x]
    const z = submit("z", deps)
    expect(z.dependencies).not.toBe(deps)
  })

  it("a dependent of an erred task errs with the root's error and erredKey", () => {
    const { submit, crash, settled } = harness()
    const boom = new Error("boom")
    const x = submit("x")
    const y = submit("y", [x])
    const z = submit("z", [y])
    crash("x", boom)
    for (const t of [x, y, z]) {
      expect(t.state).toBe("erred")
      expect(t.error).toBe(boom)
      expect(t.erredKey).toBe("x")
    }
    expect(settled).toEqual(["x:erred", "y:erred", "z:erred"])
  })

  it("a task added on an erred input errs at once with the root's error", () => {
    const { s, submit, crash, settled } = harness()
    const boom = new Error("boom")
    const x = submit("x")
    crash("x", boom)
    const y = submit("y", [x])
    expect(y.state).toBe("erred")
    expect(y.error).toBe(boom)
    expect(y.erredKey).toBe("x")
    expect(s.readyCount).toBe(0)
    expect(settled).toEqual(["x:erred", "y:erred"])
  })

  it("an erred key added again returns the error without queueing", () => {
    const { s, submit, crash } = harness()
    const boom = new Error("boom")
    const x = submit("x")
    crash("x", boom)
    const again = submit("x")
    expect(again).toBe(x)
    expect(again.state).toBe("erred")
    expect(again.error).toBe(boom)
    expect(s.readyCount).toBe(0)
    expect(x.attempts).toBe(1)
  })

  it("a cancelled key added again starts fresh", () => {
    const { s, submit, step, run, forgotten } = harness()
    const old = submit("x")
    step(() => s.cancel(old, "cancel"))
    expect(old.state).toBe("cancelled")
    const fresh = submit("x")
    expect(fresh).not.toBe(old)
    expect(old.state).toBe("cancelled") // its Futures still read "cancelled"
    expect(old.inTable).toBe(false)
    expect(forgotten).toEqual(["x"])
    expect(s.get("x")).toBe(fresh)
    expect(fresh.state).toBe("queued")
    expect(fresh.seq).toBeGreaterThan(old.seq)
    run("x", 1)
    // The old handle lets go: nothing changes for the new record.
    step(() => s.release(old))
    expect(s.get("x")).toBe(fresh)
    expect(fresh.refs).toBe(1)
  })

  it("replacing a cancelled record releases the inputs only it held", () => {
    const { s, submit, step, forgotten } = harness()
    const x = submit("x")
    step(() => s.cancel(x, "cancel"))
    const c = submit("c", [x])
    expect(c.cancelReason).toBe("lost dependencies")
    step(() => s.release(x))
    expect(x.inTable).toBe(true) // cancelled, and c still lists it
    const z = submit("z")
    // An explicit key reused with other inputs: the new "c" no longer needs x.
    const c2 = submit("c", [z])
    expect(c2).not.toBe(c)
    expect(x.inTable).toBe(false)
    expect(forgotten).toEqual(["c", "x"])
  })

  it("adding a task on a forgotten dependency cancels it with lost dependencies", () => {
    const { s, submit, run, step, settled } = harness()
    const x = submit("x")
    run("x", 1)
    step(() => s.release(x))
    expect(x.inTable).toBe(false)
    const y = submit("y", [x])
    expect(y.state).toBe("cancelled")
    expect(y.cancelReason).toBe("lost dependencies")
    expect(settled).toContain("y:cancelled")
    expect(s.readyCount).toBe(0)
  })

  it("adding a task on a cancelled dependency cancels it with lost dependencies", () => {
    const { s, submit, step } = harness()
    const x = submit("x")
    step(() => s.cancel(x, "cancel"))
    const y = submit("y", [x])
    expect(y.state).toBe("cancelled")
    expect(y.cancelReason).toBe("lost dependencies")
  })

  it("an erred input takes precedence over a lost one", () => {
    const { s, submit, crash, step } = harness()
    const x = submit("x")
    step(() => s.cancel(x, "cancel"))
    const e = submit("e")
    crash("e", "bad")
    const y = submit("y", [x, e])
    expect(y.state).toBe("erred")
    expect(y.erredKey).toBe("e")
  })

  it("a task on a scattered value is queued at once and reads it", () => {
    const { s, submit, step } = harness()
    let v: Rec | undefined
    step(() => {
      v = s.addValue("v", "int", "scatter", 10)
      s.acquire(v)
    })
    expect(v!.scattered).toBe(true)
    const y = submit("y", [v!])
    expect(y.state).toBe("queued")
    expect(y.scattered).toBe(false)
    expect(s.popReady()!.dependencies[0].value).toBe(10)
  })

  it("scattering a cancelled key again gives a finished record", () => {
    const { s, submit, step } = harness()
    const x = submit("x")
    step(() => s.cancel(x, "cancel"))
    let v: Rec | undefined
    step(() => {
      v = s.addValue("x", "int", "scatter", 1)
      s.acquire(v)
    })
    expect(v).not.toBe(x)
    expect(v!.state).toBe("memory")
    expect(x.state).toBe("cancelled")
  })

  it("observers counting states by transition see a replaced cancelled record leave (add and addValue)", () => {
    const counts = new Map<string, number>()
    const bump = (state: string, by: number) => counts.set(state, (counts.get(state) ?? 0) + by)
    const s = new Scheduler<string>({
      onSettled: () => undefined,
      onAbort: () => undefined,
      onTransition: (_t, from, to) => {
        if (from !== "released") bump(from, -1)
        if (to !== "released") bump(to, +1)
      }
    })
    const table = () => {
      const seen = new Map<string, number>()
      for (const t of s.tasks()) seen.set(t.state, (seen.get(t.state) ?? 0) + 1)
      return seen
    }
    const nonzero = (m: Map<string, number>) => new Map([...m].filter(([, n]) => n !== 0))
    for (const replace of [
      (key: string) => s.add(key, "x", "p", [], 0),
      (key: string) => s.addValue(key, "x", "p", 1)
    ]) {
      const old = s.add("k", "x", "p", [], 0)
      s.acquire(old)
      s.cancel(old, "cancel")
      const fresh = replace("k")
      s.acquire(fresh)
      expect(old.state).toBe("cancelled")
      expect(nonzero(counts)).toEqual(nonzero(table()))
      s.cancel(fresh, "cancel")
      s.release(old)
      s.release(fresh)
    }
  })

  it("addValue adds a finished value and an existing key is returned unchanged", () => {
    const { s, step, settled } = harness()
    let v: Rec | undefined
    step(() => {
      v = s.addValue("int-1", "int", "scatter", 42)
      s.acquire(v)
    })
    expect(v!.state).toBe("memory")
    expect(v!.value).toBe(42)
    expect(s.heldKeys()).toEqual(["int-1"])
    expect(settled).toEqual(["int-1:memory"])
    expect(s.addValue("int-1", "int", "scatter", 43)).toBe(v)
    expect(v!.value).toBe(42)
  })
})

describe("the ready queue order", () => {
  it("higher priority pops first, then submission order", () => {
    const { submit, pop } = harness()
    submit("low-1", [], -1)
    submit("mid-1", [], 0)
    submit("high-1", [], 5)
    submit("mid-2", [], 0)
    submit("high-2", [], 5)
    for (const key of ["high-1", "high-2", "mid-1", "mid-2", "low-1"]) pop(key)
  })

  it("a task that becomes ready later still pops by priority, then by when it was added", () => {
    const { submit, run, pop } = harness()
    const x = submit("x", [], 10)
    submit("late", [x]) // added before "free", but waits for x
    submit("free", [])
    run("x", 1)
    pop("late")
    pop("free")
  })

  it("requeue runs a task again and popReady counts its attempts", () => {
    const { s, submit, pop, run, step, settled } = harness()
    const x = submit("x")
    pop("x")
    step(() => s.requeue(x))
    expect(x.state).toBe("queued")
    expect(s.readyCount).toBe(1)
    run("x", 1)
    expect(x.attempts).toBe(2)
    expect(settled).toEqual(["x:memory"])
  })
})

describe("cancel", () => {
  it("cancel cancels transitive dependents and aborts processing ones", () => {
    const { s, submit, pop, step, aborted, settled } = harness()
    const x = submit("x")
    const y = submit("y", [x])
    const z = submit("z", [y])
    const other = submit("other")
    pop("x")
    step(() => s.cancel(x, "testreason"))
    for (const t of [x, y, z]) {
      expect(t.state).toBe("cancelled")
      expect(t.cancelReason).toBe("testreason")
    }
    expect(aborted).toEqual(["x:processing"])
    expect(settled).toEqual(["x:cancelled", "y:cancelled", "z:cancelled"])
    expect(other.state).toBe("queued")
    expect(s.readyCount).toBe(1)
  })

  it("cancelling a middle task cancels downstream only", () => {
    const { s, submit, run, step } = harness()
    const x = submit("x")
    const y = submit("y", [x])
    const z = submit("z", [y])
    step(() => s.cancel(y, "cancel"))
    expect(z.state).toBe("cancelled")
    expect(x.state).toBe("queued")
    run("x", 2)
    expect(x.value).toBe(2)
  })

  it("a queued task that is cancelled leaves the ready queue", () => {
    const { s, submit, step } = harness()
    const x = submit("x")
    step(() => s.cancel(x, "cancel"))
    expect(s.readyCount).toBe(0)
    expect(s.popReady()).toBeUndefined()
  })

  it("cancelling a finished task cancels it as Dask does: value dropped, no longer held, every handle reads cancelled", () => {
    const { s, submit, run, step, settled, forgotten } = harness()
    const x = submit("x")
    expect(submit("x")).toBe(x) // a second handle on the key
    run("x", 1)
    expect(s.heldKeys()).toEqual(["x"])
    step(() => s.cancel(x, "cancel"))
    expect(x.state).toBe("cancelled")
    expect(x.cancelReason).toBe("cancel")
    expect(x.value).toBeUndefined()
    expect(s.heldKeys()).toEqual([])
    expect(settled).toEqual(["x:memory", "x:cancelled"])
    expect(x.inTable).toBe(true) // still held: its handles read "cancelled"
    step(() => s.release(x))
    step(() => s.release(x))
    expect(forgotten).toEqual(["x"])
    expect(s.size).toBe(0)
  })

  it("cancelling an erred task cancels it and its erred dependents; the error is dropped", () => {
    const { s, submit, crash, step, settled } = harness()
    const x = submit("x")
    const y = submit("y", [x])
    crash("x", "bad")
    expect(y.state).toBe("erred")
    step(() => s.cancel(x, "cancel"))
    for (const t of [x, y]) {
      expect(t.state).toBe("cancelled")
      expect(t.error).toBeUndefined()
      expect(t.erredKey).toBeUndefined()
    }
    expect(settled).toEqual(["x:erred", "y:erred", "x:cancelled", "y:cancelled"])
  })

  it("cancelling a finished task cancels its dependents, finished, pending or running alike", () => {
    const { s, submit, run, pop, step, aborted } = harness()
    const x = submit("x")
    const done = submit("done", [x])
    const running = submit("running", [x])
    const queued = submit("queued", [x])
    const later = submit("later", [done])
    run("x", 1)
    run("done", 2)
    pop("running")
    expect(later.state).toBe("queued")
    step(() => s.cancel(x, "cancel"))
    for (const t of [x, done, running, queued, later]) expect([t.key, t.state]).toEqual([t.key, "cancelled"])
    expect(aborted).toEqual(["running:processing"])
    expect(s.readyCount).toBe(0)
    expect(s.heldKeys()).toEqual([])
  })

  // Regression (property seed -1460043944): a task added on an erred and a cancelled input errs
  // (the erred input wins), so a cancelled record can have an erred dependent. Cancelling an input
  // upstream stopped at the cancelled record and left that dependent erred.
  it("cancel reaches dependents past a record that was already cancelled", () => {
    const { s, submit, crash, step, settled } = harness()
    const x = submit("x")
    const a = submit("a")
    const b = submit("b", [a])
    step(() => s.cancel(b, "cancel"))
    crash("x", "bad")
    const c = submit("c", [x, b])
    expect(c.state).toBe("erred")
    step(() => s.cancel(a, "cancel"))
    expect([a.state, b.state, c.state]).toEqual(["cancelled", "cancelled", "cancelled"])
    expect(c.cancelReason).toBe("cancel")
    expect(c.error).toBeUndefined()
    expect(settled.at(-1)).toBe("c:cancelled")
    expect(x.state).toBe("erred") // upstream of c only: untouched
  })

  it("cancelling an already cancelled task again cancels a dependent added on it that erred", () => {
    const { s, submit, crash, step, settled } = harness()
    const x = submit("x")
    const b = submit("b")
    step(() => s.cancel(b, "cancel"))
    crash("x", "bad")
    const c = submit("c", [x, b])
    expect(c.state).toBe("erred")
    const before = settled.length
    step(() => s.cancel(b, "cancel"))
    expect([b.state, c.state]).toEqual(["cancelled", "cancelled"])
    expect(settled.slice(before)).toEqual(["c:cancelled"]) // b does not settle twice
  })

  it("cancelling a finished middle task leaves its inputs finished", () => {
    const { s, submit, run, step } = harness()
    const x = submit("x")
    const y = submit("y", [x])
    run("x", 1)
    run("y", 2)
    step(() => s.cancel(y, "cancel"))
    expect(y.state).toBe("cancelled")
    expect(x.state).toBe("memory")
    expect(s.heldKeys()).toEqual(["x"])
  })

  it("after cancelling a finished task, a task added on it is cancelled and the same key added again runs again", () => {
    const { s, submit, run, step } = harness()
    const x = submit("x")
    run("x", 1)
    step(() => s.cancel(x, "cancel"))
    const y = submit("y", [x])
    expect(y.state).toBe("cancelled")
    expect(y.cancelReason).toBe("lost dependencies")
    const again = submit("x")
    expect(again).not.toBe(x)
    expect(again.state).toBe("queued")
    expect(x.state).toBe("cancelled") // the old handles keep reading "cancelled"
    run("x", 1)
    expect(s.heldKeys()).toEqual(["x"])
  })

  it("pendingOnly (close) cancels pending records and leaves finished and erred ones, in the cascade too", () => {
    const { s, submit, run, pop, crash, step } = harness()
    const done = submit("done")
    run("done", 1)
    const slow = submit("slow")
    const bad = submit("bad")
    pop("slow")
    crash("bad", "boom")
    const both = submit("both", [slow, bad])
    expect(both.state).toBe("erred")
    step(() => s.cancel(slow, "client closed", true))
    expect(slow.state).toBe("cancelled")
    expect(both.state).toBe("erred")
    step(() => s.cancel(done, "client closed", true))
    expect(done.state).toBe("memory")
  })

  it("cancelling a cancelled or forgotten task does nothing", () => {
    const { s, submit, run, step, settled } = harness()
    const x = submit("x")
    step(() => s.cancel(x, "first"))
    step(() => s.cancel(x, "second"))
    expect(x.cancelReason).toBe("first")
    const y = submit("y")
    run("y", 1)
    step(() => s.release(y))
    step(() => s.cancel(y, "cancel"))
    expect(y.state).toBe("released")
    expect(settled).toEqual(["x:cancelled", "y:memory"])
  })

  it("an input nobody else wants is released when its only dependent is cancelled", () => {
    const { s, submit, pop, step, aborted, settled } = harness()
    const x = submit("x")
    const y = submit("y", [x])
    step(() => s.release(x)) // y still wants x
    expect(x.inTable).toBe(true)
    pop("x")
    step(() => s.cancel(y, "cancel"))
    expect(aborted).toEqual(["x:processing"])
    expect(settled).toEqual(["y:cancelled", "x:cancelled"])
    expect(x.inTable).toBe(false)
    expect(s.size).toBe(1)
  })

  it("a stale outcome of a task cancelled while it ran is ignored", () => {
    const { s, submit, pop, step, settled } = harness()
    const x = submit("x")
    pop("x")
    step(() => s.cancel(x, "cancel"))
    step(() => s.succeed(x, 1))
    step(() => s.fail(x, "late"))
    step(() => s.requeue(x))
    expect(x.state).toBe("cancelled")
    expect(x.value).toBeUndefined()
    expect(settled).toEqual(["x:cancelled"])
  })
})

describe("release", () => {
  it("releasing the last handle of a memory task forgets it and heldKeys no longer lists it", () => {
    const { s, submit, run, step, forgotten } = harness()
    const x = submit("x")
    s.acquire(x)
    run("x", 1)
    expect(s.heldKeys()).toEqual(["x"])
    step(() => s.release(x))
    expect(x.inTable).toBe(true)
    expect(s.heldKeys()).toEqual(["x"])
    step(() => s.release(x))
    expect(x.inTable).toBe(false)
    expect(x.state).toBe("released")
    expect(x.value).toBeUndefined()
    expect(s.heldKeys()).toEqual([])
    expect(s.size).toBe(0)
    expect(forgotten).toEqual(["x"])
  })

  it("a result needed by a pending dependent survives the release of its own handle", () => {
    const { s, submit, run, step, forgotten } = harness()
    const x = submit("x")
    const y = submit("y")
    const z = submit("z", [x, y])
    run("x", 1)
    step(() => s.release(x))
    expect(x.inTable).toBe(true)
    expect(x.value).toBe(1)
    run("y", 2)
    const t = s.popReady()!
    expect(t).toBe(z)
    expect(z.dependencies.map((d) => d.value)).toEqual([1, 2])
    step(() => s.succeed(z, 3))
    // z settled: x is no longer wanted; y still has its handle.
    expect(forgotten).toEqual(["x"])
    expect(s.heldKeys().sort()).toEqual(["y", "z"])
  })

  it("a released result is recomputed when its key is added again", () => {
    const { s, submit, run, step } = harness()
    const x = submit("x")
    run("x", 1)
    step(() => s.release(x))
    const again = submit("x")
    expect(again).not.toBe(x)
    expect(again.state).toBe("queued")
    run("x", 1)
  })

  it("releasing a pending task nobody else wants cancels it with reason released and forgets it", () => {
    const { s, submit, step, settled, forgotten } = harness()
    const x = submit("x")
    const y = submit("y", [x])
    step(() => s.release(y))
    expect(y.inTable).toBe(false)
    expect(settled).toEqual(["y:cancelled"])
    expect(forgotten).toEqual(["y"])
    expect(x.state).toBe("queued")
  })

  it("releasing a running task nobody else wants aborts it and releases its inputs", () => {
    const { s, submit, run, pop, step, aborted, forgotten } = harness()
    const x = submit("x")
    const y = submit("y", [x])
    run("x", 1)
    step(() => s.release(x))
    pop("y")
    step(() => s.release(y))
    expect(aborted).toEqual(["y:processing"])
    expect(forgotten).toEqual(["y", "x"])
    expect(s.size).toBe(0)
  })

  it("an erred task keeps its error while a dependent wants it, and all of it goes with the last handle", () => {
    const { s, submit, crash, step, forgotten } = harness()
    const x = submit("x")
    const y = submit("y", [x])
    const z = submit("z", [y])
    step(() => s.release(y))
    crash("x", "bad")
    expect(z.error).toBe("bad")
    // y has no handle but z still lists it: an erred record stays while it has dependents.
    step(() => s.release(x))
    expect(forgotten).toEqual([])
    expect(y.error).toBe("bad")
    step(() => s.release(z))
    expect(forgotten).toEqual(["z", "y", "x"])
    expect(s.size).toBe(0)
    expect(s.heldKeys()).toEqual([])
  })

  it("a graph added on an erred input keeps its inner records until its end is released", () => {
    const { s, submit, crash, step } = harness()
    const x = submit("x")
    crash("x", "bad")
    // The engine adds a graph bottom-up and holds only its output.
    const inner = s.add("inner", "inner", "", [x], 0)
    const sibling = s.add("sibling", "sibling", "", [inner], 0)
    const out = submit("out", [inner, sibling])
    expect([inner.erredKey, sibling.erredKey, out.erredKey]).toEqual(["x", "x", "x"])
    step(() => s.release(x))
    expect(s.size).toBe(4)
    step(() => s.release(out))
    expect(s.size).toBe(0)
  })

  it("release without a handle is an internal error", () => {
    const { s, submit, step } = harness()
    const x = submit("x")
    step(() => s.release(x))
    expect(() => s.release(x)).toThrow(/internal error/)
  })
})

describe("fire-and-forget", () => {
  it("fire-and-forget runs to the end with no refs and keeps no result", () => {
    const { s, submit, run, step, forgotten, settled } = harness()
    const x = submit("x")
    const y = submit("y", [x])
    step(() => s.keep(y))
    step(() => s.release(y))
    step(() => s.release(x))
    expect(y.inTable).toBe(true)
    expect(x.inTable).toBe(true)
    run("x", 1)
    run("y", 2)
    expect(settled).toEqual(["x:memory", "y:memory"])
    expect(forgotten).toEqual(["y", "x"])
    expect(s.size).toBe(0)
  })

  it("an erred fire-and-forget task is forgotten at once", () => {
    const { s, submit, crash, step } = harness()
    const x = submit("x")
    step(() => s.keep(x))
    step(() => s.release(x))
    crash("x", "bad")
    expect(x.inTable).toBe(false)
    expect(s.size).toBe(0)
  })

  it("keeping a settled task that nobody holds forgets it", () => {
    const { s, submit, crash } = harness()
    const x = submit("x")
    crash("x", "bad")
    const y = s.add("y", "y", "p", [x], 0) // erred at once, no handle yet
    s.keep(y)
    expect(y.inTable).toBe(false)
    s.checkInvariants()
  })
})

describe("retry", () => {
  it("retry re-runs a failed task and resets attempts", () => {
    const { s, submit, crash, run, step, settled } = harness()
    const x = submit("x")
    crash("x", "bad")
    step(() => s.retry(x))
    expect(x.state).toBe("queued")
    expect(x.attempts).toBe(0)
    expect(x.error).toBeUndefined()
    expect(x.erredKey).toBeUndefined()
    run("x", 1)
    expect(settled).toEqual(["x:erred", "x:memory"])
  })

  it("retry re-runs erred ancestors even when their handles were released, and recomputes forgotten ones", () => {
    const { s, submit, crash, run, step } = harness()
    const a = submit("a")
    const b = submit("b", [a])
    const c = submit("c", [b])
    const d = submit("d", [c])
    step(() => s.release(a))
    step(() => s.release(b))
    step(() => s.release(c))
    run("a", 1)
    crash("b", "bad")
    expect(a.inTable).toBe(false) // its only dependent settled: the value went
    expect(b.inTable).toBe(true) // erred, and c still lists it
    expect(d.erredKey).toBe("b")
    step(() => s.retry(d))
    expect(s.get("a")).toBe(a)
    expect([a.state, b.state, c.state, d.state]).toEqual(["queued", "waiting", "waiting", "waiting"])
    run("a", 1)
    run("b", 2)
    run("c", 3)
    run("d", 4)
    expect(d.value).toBe(4)
    // a, b and c are forgotten again once nothing needs them.
    expect(s.heldKeys()).toEqual(["d"])
    expect(s.size).toBe(1)
  })

  it("retry re-runs only erred ancestors and reuses finished ones", () => {
    const { s, submit, run, crash, step } = harness()
    const a = submit("a")
    const b = submit("b", [a])
    const c = submit("c", [b])
    run("a", 1)
    crash("b", "bad")
    step(() => s.retry(c))
    expect(a.state).toBe("memory")
    expect(b.state).toBe("queued")
    run("b", 2)
    run("c", 3)
    expect(a.attempts).toBe(1)
  })

  it("retry points a forgotten input at the record now holding its key", () => {
    const { s, submit, crash, step, run } = harness()
    const x = submit("x")
    const y = submit("y", [x])
    run("x", 1)
    crash("y", "bad")
    step(() => s.release(x))
    expect(x.inTable).toBe(false)
    const x2 = submit("x") // a fresh record for the same key
    expect(x2).not.toBe(x)
    step(() => s.retry(y))
    expect(y.dependencies[0]).toBe(x2)
    expect(x.dependents).toEqual([])
    expect(y.state).toBe("waiting")
    run("x", 1)
    run("y", 2)
  })

  it("cancelling a retried input cancels its erred dependent too, so retry of it does nothing", () => {
    const { s, submit, crash, step, run } = harness()
    const x = submit("x")
    const y = submit("y", [x])
    crash("x", "bad")
    step(() => s.retry(x)) // x alone again; y stays erred
    step(() => s.cancel(x, "cancel"))
    expect(y.state).toBe("cancelled") // Dask cancels every dependent, erred ones too
    step(() => s.retry(y))
    expect(y.state).toBe("cancelled")
    const x2 = submit("x") // a fresh record of the key runs again
    expect(x2).not.toBe(x)
    run("x", 1)
  })

  it("retry of an erred record that nobody holds does nothing", () => {
    const { s, submit, crash, step, settled } = harness()
    const x = submit("x")
    const inner = s.add("inner", "inner", "", [x], 0)
    const out = submit("out", [inner])
    crash("x", "bad")
    expect(inner.state).toBe("erred") // kept: out still lists it
    const before = settled.length
    step(() => s.retry(inner))
    expect([x.state, inner.state, out.state]).toEqual(["erred", "erred", "erred"])
    expect(settled.length).toBe(before)
    expect(s.readyCount).toBe(0)
  })

  it("retry cannot recompute a forgotten scattered input and cancels what needs it", () => {
    const { s, step, submit, crash, settled } = harness()
    let v: Rec | undefined
    step(() => {
      v = s.addValue("v", "int", "scatter", 10)
      s.acquire(v)
    })
    const y = submit("y", [v!])
    const z = submit("z", [y])
    crash("y", "bad")
    step(() => s.release(v!))
    expect(v!.inTable).toBe(false) // y settled: the value went
    step(() => s.retry(z))
    expect(v!.inTable).toBe(false)
    expect([y.state, z.state]).toEqual(["cancelled", "cancelled"])
    expect(y.cancelReason).toBe("lost dependencies")
    expect(settled.slice(-2)).toEqual(["y:cancelled", "z:cancelled"])
    expect(s.readyCount).toBe(0)
  })

  // Regression (property seed -91170758): since cancel acts on a finished key, a scattered value
  // can be cancelled and stay in the table (a Future holds it). Retry then replaced it by a fresh
  // copy, queued with nothing to run, and the engine popped it.
  it("retry of a task whose scattered input was cancelled cancels it and never queues the value", () => {
    const { s, step, submit, crash, settled } = harness()
    let v: Rec | undefined
    step(() => {
      v = s.addValue("v", "int", "scatter", 10)
      s.acquire(v)
    })
    const x = submit("x")
    step(() => s.cancel(v!, "cancel"))
    expect(v!.state).toBe("cancelled")
    crash("x", "bad")
    const y = submit("y", [v!, x])
    expect(y.state).toBe("erred")
    step(() => s.retry(y))
    expect(s.get("v")).toBe(v) // still the cancelled value: nothing was made to recompute it
    expect(v!.state).toBe("cancelled")
    expect(y.state).toBe("cancelled")
    expect(y.cancelReason).toBe("lost dependencies")
    expect(settled.at(-1)).toBe("y:cancelled")
    // x, an input that can run, is revived as retry does; the scattered one never reaches the queue.
    expect(x.state).toBe("queued")
    expect(s.readyCount).toBe(1)
    const popped = s.popReady()
    expect(popped?.key).toBe("x")
    expect(s.popReady()).toBeUndefined()
  })

  it("retry of a task that did not err does nothing", () => {
    const { s, submit, run, step } = harness()
    const x = submit("x")
    const y = submit("y")
    run("x", 1)
    step(() => s.retry(x))
    step(() => s.retry(y))
    expect(x.state).toBe("memory")
    expect(y.state).toBe("queued")
    expect(s.readyCount).toBe(1)
  })

  it("retry of a dependent whose input was retried and is running waits for it", () => {
    const { s, submit, crash, pop, step } = harness()
    const x = submit("x")
    const y = submit("y", [x])
    crash("x", "bad")
    step(() => s.retry(x))
    pop("x")
    step(() => s.retry(y))
    expect(y.state).toBe("waiting")
    step(() => s.succeed(x, 1))
    expect(y.state).toBe("queued")
  })
})

describe("internal errors", () => {
  it("an illegal transition throws an internal error", () => {
    const { s, submit } = harness()
    const x = submit("x")
    x.state = "memory" // corrupt the record behind the scheduler's back
    expect(() => s.popReady()).toThrow(/illegal transition of x: memory -> processing/)
  })
})

describe("long chains use no recursion", () => {
  const n = 100_000

  function chain(s: Scheduler<string>): Rec[] {
    const out: Rec[] = [s.add("c-0", "c", "", [], 0)]
    for (let i = 1; i < n; i++) out.push(s.add(`c-${i}`, "c", "", [out[i - 1]], 0))
    return out
  }

  it("releasing the end of a 100,000-long pending chain releases all of it", () => {
    const { s } = harness()
    const links = chain(s)
    s.acquire(links[n - 1])
    s.release(links[n - 1])
    expect(s.size).toBe(0)
  })

  it("releasing the end of a 100,000-long chain that erred at once forgets all of it", () => {
    const { s } = harness()
    const root = s.add("root", "root", "", [], 0)
    s.acquire(root)
    s.fail(s.popReady()!, "bad")
    // A graph added on an erred input: every link errs at once and only the end has a handle.
    let prev = root
    for (let i = 0; i < n; i++) prev = s.add(`c-${i}`, "c", "", [prev], 0)
    s.acquire(prev)
    s.release(root)
    expect(s.size).toBe(n + 1) // the links are still wanted by their dependents' records
    s.release(prev)
    expect(s.size).toBe(0)
  })

  it("cancelling the root of a 100,000-long chain cancels all of it, and releasing its end forgets it", () => {
    const { s } = harness()
    const links = chain(s)
    s.acquire(links[n - 1])
    s.cancel(links[0], "cancel")
    expect(links[n - 1].state).toBe("cancelled")
    expect(links[n - 1].cancelReason).toBe("cancel")
    s.release(links[n - 1])
    expect(s.size).toBe(0)
  })

  it("failing the root of a 100,000-long chain errs all of it, and releasing its end forgets it", () => {
    const { s } = harness()
    const links = chain(s)
    s.acquire(links[n - 1])
    s.fail(s.popReady()!, "bad")
    expect(links[n - 1].erredKey).toBe("c-0")
    s.release(links[n - 1])
    expect(s.size).toBe(0)
  })

  it("retry walks back a 100,000-long chain of erred ancestors", () => {
    const { s } = harness()
    const links = chain(s)
    const last = links[n - 1]
    s.acquire(last)
    s.fail(s.popReady()!, "bad")
    s.retry(last)
    expect(links[0].state).toBe("queued")
    s.checkInvariants()
    for (let t = s.popReady(); t; t = s.popReady()) s.succeed(t, 1)
    expect(last.state).toBe("memory")
    expect(s.size).toBe(1)
  })

  it("retry walks back a 100,000-long chain of forgotten ancestors", () => {
    const { s } = harness()
    const links = chain(s)
    const last = links[n - 1]
    s.acquire(last)
    for (let t = s.popReady(); t !== last; t = s.popReady()) s.succeed(t!, 1)
    s.fail(last, "bad")
    expect(s.size).toBe(1)
    s.retry(last)
    expect(s.size).toBe(n)
    s.checkInvariants()
    for (let t = s.popReady(); t; t = s.popReady()) s.succeed(t, 1)
    expect(last.state).toBe("memory")
    expect(s.size).toBe(1)
  })
})

describe("claims (fusion: a task runs in the batch of its inputs)", () => {
  const make = () => {
    const settled: string[] = []
    const s = new Scheduler<null>({ onSettled: (t) => settled.push(`${t.key}:${t.state}`), onAbort: () => {} })
    return { s, settled }
  }

  it("a claimed task counts its inputs down as they succeed and is not queued again", () => {
    const { s } = make()
    const a = s.add("a", "a", null, [], 0)
    const b = s.add("b", "b", null, [a], 0)
    s.acquire(b)
    expect(s.popReady()).toBe(a)
    s.claim(b)
    expect(b.state).toBe("processing")
    expect(b.attempts).toBe(1)
    s.checkInvariants()
    s.succeed(a, 1)
    expect(b.state).toBe("processing")
    expect(b.waitingOn).toBe(0)
    expect(s.readyCount).toBe(0)
    s.succeed(b, 2)
    expect(b.value).toBe(2)
    s.checkInvariants()
  })

  it("an unclaimed task waits again when its input is requeued, and is queued once the input succeeds", () => {
    const { s } = make()
    const a = s.add("a", "a", null, [], 0)
    const b = s.add("b", "b", null, [a], 0)
    s.acquire(b)
    s.popReady()
    s.claim(b)
    s.requeue(a)
    s.unclaim(b)
    expect(b.state).toBe("waiting")
    s.checkInvariants()
    expect(s.popReady()).toBe(a)
    s.succeed(a, 1)
    expect(b.state).toBe("queued")
    s.checkInvariants()
  })

  it("requeueing a claimed task whose inputs are in memory queues it", () => {
    const { s } = make()
    const a = s.add("a", "a", null, [], 0)
    const b = s.add("b", "b", null, [a], 0)
    s.acquire(b)
    s.popReady()
    s.claim(b)
    s.succeed(a, 1)
    s.requeue(b)
    expect(b.state).toBe("queued")
    s.checkInvariants()
  })

  it("a failed input errs its claimed dependents with its error", () => {
    const { s } = make()
    const a = s.add("a", "a", null, [], 0)
    const b = s.add("b", "b", null, [a], 0)
    s.acquire(b)
    s.popReady()
    s.claim(b)
    s.fail(a, "boom")
    expect(b.state).toBe("erred")
    expect(b.error).toBe("boom")
    expect(b.erredKey).toBe("a")
    s.checkInvariants()
  })
})
