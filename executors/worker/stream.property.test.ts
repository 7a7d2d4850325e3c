/**
 * Streamed results, worker side (`executors/worker/stream.ts`), as a property: whatever a
 * batch's tasks do (return, throw, await, spin, depend on an earlier task of the batch), the parts
 * it streams follow each other from task 0, and the parts plus the reply give exactly the outcomes
 * of the same batch run without a stream: nothing lost, nothing twice, failures at the same indices.
 */
import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import type { EncodedError, FnRef, StreamedResults, WireBatch, WireBatchResult } from "../../core/protocol.js"
import { runBatch } from "./run-batch.js"

const refKey = "__streamPropertyRef"
let ids = 0
const inline = (source: string, name: string): FnRef => ({
  kind: "inline",
  id: `stream-property-${name}-${ids++}`,
  source,
  name
})

/** The kinds of task a batch mixes: each is its own function, so the flush rule sees several. */
const fns: ReadonlyArray<FnRef> = [
  inline("(x) => x + 1", "sync"),
  inline("(x) => { throw new RangeError(`bad ${x}`) }", "throws"),
  inline("async (x) => { await new Promise((r) => setTimeout(r, x % 3)); return x * 2 }", "awaits"),
  inline(
    "(x) => { const until = performance.now() + (x % 3) * 0.7; while (performance.now() < until) {} return -x }",
    "spins"
  )
]

interface TaskSpec {
  readonly kind: number
  readonly arg: number
  /** Uses the value of an earlier task of the batch (fusion) instead of `arg`. */
  readonly link: number | undefined
}

const taskSpec = fc.record({
  kind: fc.integer({ min: 0, max: fns.length - 1 }),
  arg: fc.integer({ min: 0, max: 20 }),
  link: fc.option(fc.nat(), { nil: undefined })
})

const batchOf = (specs: ReadonlyArray<TaskSpec>): WireBatch => {
  const linked = specs.map((spec, i) => spec.link !== undefined && i > 0)
  return {
    fns,
    fn: specs.map((spec) => spec.kind),
    args: specs.map((spec, i) => (linked[i] ? [{ [refKey]: spec.link! % i }] : [spec.arg])),
    linked,
    refKey
  }
}

type Outcome = { readonly value: unknown } | { readonly error: string }

const encodedKey = (error: EncodedError): string => `${error.kind}:${error.name}:${error.message}`

const outcomes = (result: WireBatchResult, from: number): Outcome[] => {
  const out: Outcome[] = []
  for (let i = from; i < result.results.length; i++) {
    out.push(
      result.failed.includes(i)
        ? { error: encodedKey(result.results[i] as EncodedError) }
        : { value: result.results[i] }
    )
  }
  return out
}

describe("streamed results in a worker", () => {
  test.prop([fc.array(taskSpec, { minLength: 2, maxLength: 12 })], { numRuns: 60 })(
    "the streamed parts and the reply hold every outcome once, in order, as an unstreamed run does",
    async (specs) => {
      const batch = batchOf(specs)
      const plain = await runBatch(batch)
      expect(plain.streamed ?? 0).toBe(0)

      const parts: StreamedResults[] = []
      const streamed = await runBatch({ ...batch, stream: { via: "call", id: 7 } }, undefined, (part) =>
        parts.push(part)
      )
      const seen: Outcome[] = []
      let next = 0
      for (const part of parts) {
        expect(part.weftStream).toBe(7)
        expect(part.from).toBe(next)
        expect(part.results.length).toBeGreaterThan(0)
        for (const i of part.failed) expect(i >= part.from && i < part.from + part.results.length).toBe(true)
        part.results.forEach((value, k) =>
          seen.push(part.failed.includes(part.from + k) ? { error: encodedKey(value as EncodedError) } : { value })
        )
        next += part.results.length
      }
      expect(streamed.streamed ?? 0).toBe(next)
      for (const i of streamed.failed) expect(i).toBeGreaterThanOrEqual(next)
      for (let i = 0; i < next; i++) expect(streamed.results[i]).toBeUndefined() // not sent twice
      expect([...seen, ...outcomes(streamed, next)]).toEqual(outcomes(plain, 0))
    }
  )
})
