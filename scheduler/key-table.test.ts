import fc from "fast-check"
import { describe, expect, test } from "vitest"
import { KeyTable } from "./key-table.js"

type Op = { kind: "set"; key: string; value: number } | { kind: "delete"; key: string }

// Keys like the scheduler's: a name, then a hex token or a small number; few of them, so that they recur.
const key = fc.oneof(
  fc.integer({ min: 0, max: 30 }).map((i) => `inc-${i}`),
  fc.integer({ min: 0, max: 30 }).map((i) => `sum-${(i * 2654435761) >>> 0}`.padEnd(12, "f"))
)
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), key, value: fc.integer() }),
  fc.record({ kind: fc.constant("delete" as const), key })
)

describe("KeyTable", () => {
  test("agrees with a Map on every get, has, size and entry, before, during and after it splits", () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 300, size: "max" }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        (ops, splitAt, moveEvery) => {
          const table = new KeyTable<number>(splitAt, moveEvery)
          const model = new Map<string, number>()
          for (const o of ops) {
            if (o.kind === "set") {
              table.set(o.key, o.value)
              model.set(o.key, o.value)
            } else expect(table.delete(o.key)).toBe(model.delete(o.key))
            expect(table.size).toBe(model.size)
            expect(table.get(o.key)).toBe(model.get(o.key))
            expect(table.has(o.key)).toBe(model.has(o.key))
          }
          expect(new Map(table)).toEqual(model)
          expect([...table.values()].sort()).toEqual([...model.values()].sort())
        }
      )
    )
  })

  test("the split moves the entries a few per operation, not all in one", () => {
    const table = new KeyTable<number>(1000, 8)
    for (let i = 0; i < 999; i++) table.set(`k-${i}`, i)
    expect(table.unmoved).toBe(0)
    table.set("k-999", 999) // the split starts: 8 entries move
    expect(table.unmoved).toBe(992)
    let ops = 0
    for (let before = table.unmoved; table.unmoved > 0; before = table.unmoved) {
      table.set(`more-${ops++}`, -1)
      expect(before - table.unmoved).toBeLessThanOrEqual(8)
    }
    expect(ops).toBe(124)
    for (let i = 0; i < 1000; i++) expect(table.get(`k-${i}`)).toBe(i)
    expect(table.size).toBe(1000 + ops)
  })

  test("iterates in insertion order while it has never split", () => {
    const table = new KeyTable<number>(100)
    const keys = Array.from({ length: 99 }, (_, i) => `k-${(i * 7919) % 1000}`)
    keys.forEach((k, i) => table.set(k, i))
    expect([...table].map(([k]) => k)).toEqual(keys)
  })
})
