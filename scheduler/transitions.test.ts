import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { insert, Machine } from "./machine.js"
import { newRecord, type TaskRecord } from "./record.js"
import { isTerminal, taskStates, type TaskState } from "./state.js"
import { transition, transitionTable } from "./transitions.js"

type Rec = TaskRecord<string>

/** Every edge of the code's table as `from -> to: handler`. */
function codeEdges(): string[] {
  const out: string[] = []
  for (const from of taskStates)
    for (const [to, handler] of Object.entries(transitionTable[from])) out.push(`${from} -> ${to}: ${handler!.name}`)
  return out.sort()
}

/** A machine whose hooks log what they see. */
function logged() {
  const log: string[] = []
  const m = new Machine<string>({
    onSettled: (t) => log.push(`settled ${t.key} ${t.state}`),
    onAbort: (t) => log.push(`abort ${t.key} ${t.state}`),
    onForget: (t) => log.push(`forget ${t.key}`),
    onTransition: (t, from, to) => log.push(`${t.key}: ${from} -> ${to}`)
  })
  let seq = 0
  const record = (key: string, deps: Rec[] = []): Rec => {
    const t = newRecord(key, key, `payload of ${key}`, 0, seq++, deps, false)
    insert(m, t)
    return t
  }
  return { m, log, record }
}

/** Arguments a handler of a move to `to` takes (see `Handler`). */
function argsFor(to: TaskState): [unknown, string | undefined] {
  if (to === "waiting") return [1, undefined]
  if (to === "memory") return ["value", undefined]
  if (to === "erred") return ["boom", "root-key"]
  if (to === "cancelled") return ["cancel", undefined]
  return [undefined, undefined]
}

describe("the transition table", () => {
  const edges = taskStates.flatMap((from) => Object.keys(transitionTable[from]).map((to) => [from, to as TaskState]))

  it.each(edges)("%s -> %s: its handler makes the move and only what it implies", (from, to) => {
    const { m, log, record } = logged()
    const t = record("t")
    t.state = from // set up directly: the record alone, in `from`
    if (from === "queued") m.ready.push(t)
    if (from === "memory") t.value = "old value"
    const [a, b] = argsFor(to)
    transition(m, t, to, a, b)
    expect(t.state).toBe(to)
    const expected = [`t: ${from} -> ${to}`]
    // A running task that stops without having finished or failed itself is aborted, before the move.
    if (from === "processing" && (to === "cancelled" || to === "erred" || to === "released"))
      expected.unshift("abort t processing")
    if (isTerminal(to)) expected.push(`settled t ${to}`)
    if (to === "released") expected.push("forget t")
    expect(log).toEqual(expected)
    expect(m.ready.items().includes(t)).toBe(to === "queued")
    expect(t.heapIndex === -1).toBe(to !== "queued")
    expect(t.inTable).toBe(to !== "released")
    expect(m.table.has("t")).toBe(to !== "released")
    if (to !== "memory") expect(t.value).toBeUndefined()
    if (to === "memory") expect(t.value).toBe("value")
    if (to === "erred") expect([t.error, t.erredKey]).toEqual(["boom", "root-key"])
    if (to === "cancelled") expect(t.cancelReason).toBe("cancel")
    if (to === "processing") expect(t.attempts).toBe(1)
    expect(m.recTask).toHaveLength(0)
  })

  it("refuses a move it does not list, naming it, and changes nothing", () => {
    const { m, log, record } = logged()
    const t = record("t")
    t.state = "memory"
    expect(() => transition(m, t, "processing")).toThrow(
      "weft internal error (scheduler): illegal transition of t: memory -> processing"
    )
    expect(t.state).toBe("memory")
    expect(log).toEqual([])
  })

  it("a task that fails itself is not aborted (it stopped already); one erring on an input's failure is", () => {
    const { m, log, record } = logged()
    const a = record("a")
    const b = record("b", [a])
    a.state = "processing"
    b.state = "processing" // claimed: runs in a's batch
    transition(m, a, "erred", "boom", "a")
    expect(log).toEqual([
      "a: processing -> erred",
      "settled a erred",
      "abort b processing",
      "b: processing -> erred",
      "settled b erred"
    ])
    expect([b.error, b.erredKey]).toEqual(["boom", "a"])
  })

  it("recommendations cascade depth first, each record once, and `out` gets every record they moved", () => {
    // a -> b, a -> c, b -> d, c -> d (a diamond): d is reached twice and errs once.
    const { m, log, record } = logged()
    const a = record("a")
    a.state = "processing"
    const b = record("b", [a])
    const c = record("c", [a])
    const d = record("d", [b, c])
    for (const t of [b, c, d]) t.state = "waiting"
    const out: Rec[] = []
    transition(m, a, "erred", "boom", "a", out)
    expect(log.filter((line) => line.includes("->"))).toEqual([
      "a: processing -> erred",
      "c: waiting -> erred",
      "d: waiting -> erred",
      "b: waiting -> erred"
    ])
    expect(out.map((t) => t.key)).toEqual(["c", "d", "b"])
    expect(m.recTask).toHaveLength(0)
  })

  it("succeed recommends the dependents whose last input arrived, and they queue in dependents order", () => {
    const { m, log, record } = logged()
    const a = record("a")
    a.state = "processing"
    const other = record("other")
    other.state = "processing"
    const b = record("b", [a])
    const c = record("c", [a, other])
    const d = record("d", [a])
    for (const t of [b, c, d]) t.state = "waiting"
    b.waitingOn = d.waitingOn = 1
    c.waitingOn = 2
    transition(m, a, "memory", 1)
    expect(log.filter((line) => line.includes("->"))).toEqual([
      "a: processing -> memory",
      "b: waiting -> queued",
      "d: waiting -> queued"
    ])
    expect(c.state).toBe("waiting")
    expect(c.waitingOn).toBe(1)
  })
})

/** The `(from, to): handler` edges written in a markdown file, read from its state table. */
function docEdges(markdown: string, heading: RegExp): string[] {
  const at = markdown.search(heading)
  expect(at, `a heading matching ${heading} (the state table's section)`).toBeGreaterThanOrEqual(0)
  const section = markdown.slice(at)
  const lines = section.split("\n")
  const start = lines.findIndex((line) => /^\| from \|/.test(line))
  expect(start, "a table with a `| from |` header").toBeGreaterThanOrEqual(0)
  const cells = (line: string): string[] =>
    line
      .split("|")
      .slice(1, -1)
      .map((cell) => cell.trim())
  // One row per move (`| from | to | handler | ...`), or one row per state with each move written
  // as the target followed by its handler in backticks (`| from | may go to (handler) |`).
  const perMove = cells(lines[start])[1] === "to"
  const out: string[] = []
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break
    const [from, to, handler] = cells(line)
    if (perMove) out.push(`${from} -> ${to}: ${handler.replace(/`/g, "")}`)
    else for (const match of to.matchAll(/\b([a-z]+) `([A-Za-z]+)`/g)) out.push(`${from} -> ${match[1]}: ${match[2]}`)
  }
  return out.sort()
}

describe("the docs' state tables match the code's table", () => {
  it("scheduler/contract.md", () => {
    const markdown = readFileSync(new URL("./contract.md", import.meta.url), "utf8")
    expect(docEdges(markdown, /^## States and transitions/m)).toEqual(codeEdges())
  })

  it("docs/architecture.md", () => {
    const markdown = readFileSync(new URL("../docs/architecture.md", import.meta.url), "utf8")
    expect(docEdges(markdown, /^## \d+\. The record and its state machine/m)).toEqual(codeEdges())
  })
})
