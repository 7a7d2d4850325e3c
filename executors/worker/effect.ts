/**
 * Effect tasks: a task that returns an Effect is run to its exit here. `effect` is imported the
 * first time a task returns one (loading it costs 120+ ms, which a worker that never sees one
 * should not pay).
 *
 * @internal
 */
import { encodeError } from "../../core/error-codec.js"
import type { EncodedError, FnRef } from "../../core/protocol.js"
import { interrupted, type BatchControl } from "../interrupt/worker.js"
import { encodeThrown } from "./outcomes.js"

/** Present on every Effect value (`Effect.EffectTypeId`), so an Effect is known without importing `effect`. */
export const effectTypeId = Symbol.for("effect/Effect")

type EffectModule = typeof import("effect")
let effectModule: Promise<EffectModule> | undefined

function loadEffect(): Promise<EffectModule> {
  if (effectModule === undefined) {
    const loading = import("effect")
    effectModule = loading
    // A failed import is not cached: the next Effect task tries again.
    loading.catch(() => {
      if (effectModule === loading) effectModule = undefined
    })
  }
  return effectModule
}

/**
 * Runs a returned Effect to its exit: its error channel is a `"typed"` failure (a
 * `Data.TaggedError` keeps `_tag` and fields), a defect is `"thrown"`, an interruption
 * `"interrupted"`. With a `control`, its fiber is there while it runs, for `interruptAttempt`.
 */
export async function runEffect(
  effect: object,
  ref: FnRef,
  control: BatchControl | undefined,
  traceparent?: string
): Promise<{ value?: unknown; failure?: EncodedError }> {
  const { Effect, Cause, Option, Tracer } = await loadEffect()
  if (control !== undefined && control.stopBeforeStart) {
    control.stopBeforeStart = false
    return { failure: interrupted(ref) }
  }
  // What `Effect.runPromiseExit` does, keeping the fiber.
  let run = effect as import("effect").Effect.Effect<unknown, unknown, never>
  // weft/tracing: the task's span (from the client) is the parent of the spans the Effect makes.
  const parent = traceparent === undefined ? undefined : /^00-([0-9a-f]{32})-([0-9a-f]{16})-(\d\d)$/.exec(traceparent)
  if (parent !== null && parent !== undefined)
    run = Effect.withParentSpan(
      run,
      Tracer.externalSpan({ traceId: parent[1], spanId: parent[2], sampled: parent[3] === "01" })
    )
  const fiber = Effect.runFork(run)
  if (control !== undefined) control.fiber = fiber
  const exit = await new Promise<import("effect").Exit.Exit<unknown, unknown>>((resolve) =>
    fiber.addObserver((exit) => {
      if (control !== undefined && control.fiber === fiber) control.fiber = undefined
      resolve(exit)
    })
  )
  if (exit._tag === "Success") return { value: exit.value }
  const cause = exit.cause
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return { failure: encodeError(failure.value, "typed") }
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) return { failure: encodeThrown(defect.value, ref, "thrown") }
  if (Cause.isInterruptedOnly(cause)) return { failure: interrupted(ref) }
  return { failure: encodeError(Cause.squash(cause), "thrown") }
}
