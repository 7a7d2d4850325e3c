import { describe, expect, it } from "vitest"
import { futureStatus, isPending, isTerminal, taskStates, type TaskState } from "./state.js"
import { canTransition, transitions } from "./transitions.js"

// The table of contract.md, written out again independently of transitions.ts, plus released -> memory
// (addValue), the fusion claim (waiting -> processing, processing -> waiting) and Dask's cancel of
// a finished or erred task (memory -> cancelled, erred -> cancelled), and a held result that
// vanished and is computed again (memory -> waiting/queued, queued -> waiting), so that a typo in either
// shows up here.
const legal: ReadonlyArray<readonly [TaskState, TaskState]> = [
  ["released", "waiting"],
  ["released", "queued"],
  ["released", "memory"],
  ["released", "erred"],
  ["released", "cancelled"],
  ["waiting", "queued"],
  ["waiting", "processing"],
  ["waiting", "erred"],
  ["waiting", "cancelled"],
  ["waiting", "released"],
  ["queued", "processing"],
  ["queued", "erred"],
  ["queued", "cancelled"],
  ["queued", "released"],
  ["queued", "waiting"],
  ["processing", "memory"],
  ["processing", "erred"],
  ["processing", "queued"],
  ["processing", "waiting"],
  ["processing", "cancelled"],
  ["processing", "released"],
  ["memory", "released"],
  ["memory", "lost"],
  ["memory", "cancelled"],
  ["memory", "waiting"],
  ["memory", "queued"],
  ["erred", "released"],
  ["erred", "waiting"],
  ["erred", "queued"],
  ["erred", "cancelled"],
  ["cancelled", "released"],
  ["lost", "released"],
  ["lost", "waiting"],
  ["lost", "queued"]
]

describe("the transition table", () => {
  it.each(legal)("allows %s -> %s", (from, to) => {
    expect(canTransition(from, to)).toBe(true)
  })

  it.each([
    ["released", "processing"],
    ["waiting", "memory"],
    ["queued", "memory"],
    ["memory", "processing"],
    ["waiting", "lost"],
    ["memory", "erred"],
    ["erred", "memory"],
    ["cancelled", "queued"],
    ["cancelled", "waiting"],
    ["lost", "memory"],
    ["processing", "lost"]
  ] as const)("refuses %s -> %s", (from, to) => {
    expect(canTransition(from, to)).toBe(false)
  })

  it("allows exactly the listed moves and no self-loops", () => {
    const allowed = new Set(legal.map(([from, to]) => `${from}>${to}`))
    for (const from of taskStates)
      for (const to of taskStates)
        expect(canTransition(from, to), `${from} -> ${to}`).toBe(allowed.has(`${from}>${to}`))
  })

  it("exports the same table it checks", () => {
    for (const from of taskStates) for (const to of transitions[from]) expect(canTransition(from, to)).toBe(true)
    expect(Object.values(transitions).flat()).toHaveLength(legal.length)
  })

  it("refuses a state outside the union instead of throwing", () => {
    expect(canTransition("bogus" as TaskState, "memory")).toBe(false)
    expect(canTransition("queued", "bogus" as TaskState)).toBe(false)
  })

  it("is frozen", () => {
    expect(Object.isFrozen(transitions)).toBe(true)
    expect(Object.isFrozen(transitions.queued)).toBe(true)
  })
})

describe("futureStatus", () => {
  it.each([
    ["released", "pending"],
    ["waiting", "pending"],
    ["queued", "pending"],
    ["processing", "pending"],
    ["memory", "finished"],
    ["erred", "error"],
    ["cancelled", "cancelled"],
    ["lost", "lost"]
  ] as const)("reports %s as %s", (state, status) => {
    expect(futureStatus(state)).toBe(status)
  })
})

describe("state classes", () => {
  it("terminal states are memory, erred, cancelled and lost", () => {
    expect(taskStates.filter(isTerminal)).toEqual(["memory", "erred", "cancelled", "lost"])
  })

  it("pending states are waiting, queued and processing", () => {
    expect(taskStates.filter(isPending)).toEqual(["waiting", "queued", "processing"])
  })

  it("released is neither pending nor terminal", () => {
    expect(isPending("released")).toBe(false)
    expect(isTerminal("released")).toBe(false)
  })
})
