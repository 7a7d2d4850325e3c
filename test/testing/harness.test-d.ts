/** Types of weft/testing: arbitraries must match the task's parameters and the graph's parameters. */
import fc from "fast-check"
import { describe, expectTypeOf, test } from "vitest"
import type { Delayed, GraphModule } from "weft"
import { arbitraries, checkGraph, checkTask, type CheckFailed, type RandomGraph } from "weft/testing"

declare const inc: (x: number) => number
declare const pair: (a: string, b: number[]) => Promise<string>
declare const graph: (file: string, xs: number[]) => Delayed<number[]>
declare const compiled: GraphModule<[paths: string[]], { total: number }>

describe("weft/testing types", () => {
  test("checkTask takes an arbitrary of the task's argument list", () => {
    expectTypeOf(checkTask(inc, fc.tuple(fc.integer()))).toEqualTypeOf<Promise<void>>()
    checkTask(pair, fc.tuple(fc.string(), fc.array(fc.integer())))
    // @ts-expect-error a string where inc takes a number
    checkTask(inc, fc.tuple(fc.string()))
    // @ts-expect-error a missing argument
    checkTask(pair, fc.tuple(fc.string()))
  })

  test("checkGraph takes an arbitrary of the graph's parameters, or none for a compiled graph", () => {
    checkGraph(graph, fc.tuple(fc.string(), fc.array(fc.integer())), {
      before: (file, xs) => void [file.length, xs.length]
    })
    checkGraph(compiled)
    // @ts-expect-error the parameters are (string, number[])
    checkGraph(graph, fc.tuple(fc.string(), fc.array(fc.string())))
    // @ts-expect-error before gets the graph's parameters
    checkGraph(graph, fc.tuple(fc.string(), fc.array(fc.integer())), { before: (file: number) => void file })
  })

  test("arbitraries and errors", () => {
    expectTypeOf(arbitraries.graph({ maxNodes: 5 })).toEqualTypeOf<fc.Arbitrary<RandomGraph>>()
    expectTypeOf<CheckFailed["seed"]>().toEqualTypeOf<number>()
    expectTypeOf(arbitraries.evaluate).returns.items.toEqualTypeOf<
      { readonly ok: true; readonly value: number } | { readonly ok: false; readonly roots: ReadonlyArray<number> }
    >()
  })
})
