import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { BatchAbort } from "./executor.js"

type Op = { readonly kind: "once" | "off"; readonly listener: number } | { readonly kind: "abort" }

const ops = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant("once" as const), listener: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ kind: fc.constant("off" as const), listener: fc.integer({ min: 0, max: 3 }) }),
    fc.constant({ kind: "abort" as const })
  ),
  { maxLength: 12 }
)

describe("BatchAbort", () => {
  it("calls the listeners still registered at the first abort, each as often as added, in order; never again", () => {
    fc.assert(
      fc.property(ops, (sequence: Op[]) => {
        const signal = new BatchAbort()
        const calls: number[] = []
        const listeners = [0, 1, 2, 3].map((n) => () => void calls.push(n))
        // The model: an array of registrations, off removing the first one of that listener.
        let model: number[] | undefined = []
        const expected: number[] = []
        for (const op of sequence) {
          if (op.kind === "once") {
            signal.once("abort", listeners[op.listener])
            model?.push(op.listener)
          } else if (op.kind === "off") {
            signal.off("abort", listeners[op.listener])
            const at = model?.indexOf(op.listener) ?? -1
            if (at >= 0) model!.splice(at, 1)
          } else {
            signal.abort()
            if (model !== undefined) expected.push(...model)
            model = undefined
          }
          expect(calls).toEqual(expected)
        }
        expect(signal.aborted).toBe(sequence.some((op) => op.kind === "abort"))
      })
    )
  })
})
