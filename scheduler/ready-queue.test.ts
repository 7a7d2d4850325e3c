import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { ReadyQueue, type HeapItem } from "./ready-queue.js"

interface Item extends HeapItem {
  readonly id: number
}

const item = (id: number, priority: number): Item => ({ id, priority, seq: id, heapIndex: -1 })

/** The order the queue must follow: higher priority, then lower seq. */
const byRank = (a: Item, b: Item): number => b.priority - a.priority || a.seq - b.seq

describe("ReadyQueue", () => {
  it("pops higher priority first, then lower seq", () => {
    const q = new ReadyQueue<Item>()
    for (const [id, p] of [
      [0, 0],
      [1, 5],
      [2, 0],
      [3, -1],
      [4, 5]
    ] as const)
      q.push(item(id, p))
    const out: number[] = []
    for (let t = q.pop(); t; t = q.pop()) out.push(t.id)
    expect(out).toEqual([1, 4, 0, 2, 3])
  })

  it("an empty queue pops undefined and has size 0", () => {
    const q = new ReadyQueue<Item>()
    expect(q.pop()).toBeUndefined()
    expect(q.peek()).toBeUndefined()
    expect(q.size).toBe(0)
  })

  it("a popped or removed item has heapIndex -1 and removing it again is a no-op", () => {
    const q = new ReadyQueue<Item>()
    const a = item(0, 0)
    const b = item(1, 0)
    q.push(a)
    q.push(b)
    q.remove(b)
    expect(b.heapIndex).toBe(-1)
    q.remove(b)
    expect(q.size).toBe(1)
    expect(q.pop()).toBe(a)
    expect(a.heapIndex).toBe(-1)
  })

  test.prop(
    [
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant("push" as const), priority: fc.integer({ min: -3, max: 3 }) }),
          fc.record({ op: fc.constant("pop" as const) }),
          fc.record({ op: fc.constant("remove" as const), pick: fc.nat() })
        ),
        { maxLength: 200, size: "max" }
      )
    ],
    { numRuns: 300 }
  )("behaves as a sorted list under pushes, pops and removals", (ops) => {
    const q = new ReadyQueue<Item>()
    let model: Item[] = []
    let next = 0
    for (const o of ops) {
      if (o.op === "push") {
        const it = item(next++, o.priority)
        q.push(it)
        model.push(it)
      } else if (o.op === "pop") {
        model.sort(byRank)
        expect(q.pop()).toBe(model.shift())
      } else if (model.length > 0) {
        const victim = model[o.pick % model.length]
        q.remove(victim)
        model = model.filter((m) => m !== victim)
      }
      // Plain checks in the loop (expect per step is the slow part); one assertion for all.
      const items = q.items()
      let ok = items.length === model.length
      for (let i = 0; ok && i < items.length; i++) ok = items[i].heapIndex === i
      let best: Item | undefined
      for (const m of model) if (best === undefined || byRank(m, best) < 0) best = m
      if (!ok || q.peek() !== best) expect.fail(`queue diverged from the model after ${JSON.stringify(o)}`)
    }
  })
})
