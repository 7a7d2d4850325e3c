/**
 * weft's own errors raised in a worker (a cluster worker that could not store a result, a worker
 * that missed an input, a module refused, a timeout in the worker) cross to the client as encoded
 * data like any task error; the client rebuilds them as instances of the exported classes.
 */
import { describe, expect, it } from "vitest"
import {
  ClusterConnectionError,
  ClusterMemoryError,
  KilledWorkerError,
  LostResultError,
  TaskDefinitionError,
  TaskError,
  TimeoutError
} from "./errors.js"
import { decodeError, encodeError } from "./error-codec.js"

/** What a worker sends and the client rebuilds: encoded, structured-cloned (the wire), decoded. */
const acrossTheWire = (error: Error): Error => decodeError(structuredClone(encodeError(error)))

describe("weft errors raised in a worker", () => {
  it.each([
    ["LostResultError", new LostResultError("inc-1", "its result is no longer in Redis"), LostResultError],
    ["ClusterMemoryError", new ClusterMemoryError("inc-2", "OOM command not allowed"), ClusterMemoryError],
    ["KilledWorkerError", new KilledWorkerError("inc-3", 2), KilledWorkerError],
    ["TaskDefinitionError", new TaskDefinitionError("module hash differs", { task: "inc" }), TaskDefinitionError],
    ["TimeoutError", new TimeoutError("ran longer than 1 s", 1000), TimeoutError],
    ["ClusterConnectionError", new ClusterConnectionError("down", "redis://h:1", "unreachable"), ClusterConnectionError]
  ] as const)("%s comes back instanceof its class, with its fields, message and tag", (_, raised, Class) => {
    const rebuilt = acrossTheWire(raised)
    expect(rebuilt).toBeInstanceOf(Class)
    expect(rebuilt).toBeInstanceOf(Error)
    expect(rebuilt).toBeInstanceOf(TaskError) // like every error from a worker
    expect(rebuilt.name).toBe(raised.name)
    expect(rebuilt.message).toBe(raised.message)
    expect((rebuilt as unknown as { _tag: string })._tag).toBe((raised as unknown as { _tag: string })._tag)
    if (raised instanceof LostResultError) expect((rebuilt as LostResultError).key).toBe("inc-1")
    if (raised instanceof ClusterMemoryError) expect((rebuilt as ClusterMemoryError).detail).toContain("OOM")
  })

  it("a user's error that only borrows a weft name (no matching tag) stays a TaskError", () => {
    class LostResultErrorLookalike extends Error {
      override name = "LostResultError"
    }
    const rebuilt = acrossTheWire(new LostResultErrorLookalike("mine"))
    expect(rebuilt).not.toBeInstanceOf(LostResultError)
    expect(rebuilt).toBeInstanceOf(TaskError)
    expect(rebuilt.name).toBe("LostResultError")
  })
})
