/**
 * How ready tasks become a batch: its size (`batchCap`), fusion of dependents into it (`fuse`),
 * and the wire form of its calls (`packCalls`: one function table, arguments filled in, links to
 * results computed earlier in the same batch). Pure functions over the engine's records, called
 * by the dispatcher (dispatcher.ts) once per batch; the per-task loops here are the hot path.
 *
 * @internal
 * @module
 */
import { randomKeyToken } from "../../dsl/keys.js"
import type { FnInfo } from "../../dsl/function-ref.js"
import { fillTemplate } from "../../core/args.js"
import type { FnRef } from "../../core/protocol.js"
import { HeldResult } from "../../executors/executor.js"
import type { Scheduler } from "../../scheduler/scheduler.js"
import type { Payload, TaskRecordOf } from "./task-record.js"

/*
 * Batch caps are one less than a power of two: a complete binary subtree has 2^k - 1 tasks, so
 * batches of a tree reduction end at subtree edges and leave fewer partial results waiting for
 * their siblings (bench: peak held results on an 8,192-leaf tree, 64 with caps of 1,024).
 */
/** Largest batch: bounds the latency of the first results of a long map. */
const maxBatch = 1023
/** Batch size while task durations are unknown: small, so that slow tasks are not piled on one worker. */
const firstBatch = 31
/** Marks a reference to an earlier task's result inside a fused batch (random: user data cannot match it). */
export const refKey = `__weftBatchRef_${randomKeyToken().slice(0, 12)}`
/** Aim for batches that keep a worker busy this long, once task durations are known. */
const targetBatchMs = 4

/**
 * Tasks per batch: about `targetMs` (default `targetBatchMs`) of work once durations are known
 * (`avgTaskMs`, -1 while unknown), a few until then.
 */
export const batchCap = (avgTaskMs: number, targetMs = targetBatchMs): number => {
  if (avgTaskMs < 0) return firstBatch
  if (avgTaskMs === 0) return maxBatch
  const cap = Math.max(1, Math.min(maxBatch, Math.floor(targetMs / avgTaskMs)))
  return 2 ** Math.floor(Math.log2(cap + 1)) - 1 // 2^k - 1, as above
}

/** Appends `task` to the batch being built (`stamp`), remembering its index there for fusion. */
export const place = (task: TaskRecordOf, tasks: TaskRecordOf[], stamp: number): void => {
  task.payload.batchStamp = stamp
  task.payload.batchIndex = tasks.length
  tasks.push(task)
}

/**
 * Fusion: claims the dependents of `root` whose inputs are all in memory or in this batch, and
 * theirs in turn, so that a worker computes a whole branch (a chain, a subtree of a reduction)
 * in one message and only its results come back. Ready tasks pop in depth-first order, so a
 * batch fills with complete branches.
 */
export const fuse = (
  scheduler: Scheduler<Payload>,
  root: TaskRecordOf,
  tasks: TaskRecordOf[],
  cap: number,
  stamp: number,
  claimable?: (task: TaskRecordOf) => boolean
): void => {
  const stack = [root]
  while (stack.length > 0 && tasks.length < cap) {
    const dependents = stack.pop()!.dependents
    for (let i = 0; i < dependents.length && tasks.length < cap; i++) {
      const d = dependents[i]
      if (d.state !== "waiting" || d.payload.alone || d.payload.options.timeoutMs !== undefined) continue
      const inputs = d.dependencies
      let ready = true
      for (let j = 0; j < inputs.length && ready; j++) {
        const input = inputs[j]
        ready = input.state === "memory" || (input.state === "processing" && input.payload.batchStamp === stamp)
      }
      // A dependent the result cache must look up first is not fused past its lookup.
      if (!ready || (claimable !== undefined && !claimable(d))) continue
      scheduler.claim(d)
      place(d, tasks, stamp)
      stack.push(d)
    }
  }
}

/** The calls of a batch in wire form (`WireBatch`'s fns, fn, args, linked). */
export interface PackedCalls {
  readonly fns: FnRef[]
  readonly fnIndex: number[]
  readonly args: unknown[][]
  /** Task i has an input computed earlier in this batch (a `{ [refKey]: j }` the worker replaces); undefined when none has. */
  readonly linked: boolean[] | undefined
  /** The keys of inputs held remotely (an executor with `remote`), each once; undefined when none is. */
  readonly held: Set<string> | undefined
}

/**
 * Packs the calls of `tasks`: each distinct function once, each task's template filled with its
 * inputs' values; an input computed earlier in the same batch becomes `{ [refKey]: j }`.
 * `remote` false (an executor whose results come back here): no input can be a `HeldResult`.
 */
export const packCalls = (tasks: ReadonlyArray<TaskRecordOf>, remote = true): PackedCalls => {
  const fns: FnRef[] = []
  const fnIndex: number[] = new Array(tasks.length)
  const args: unknown[][] = new Array(tasks.length)
  let lastFn: FnInfo | undefined
  let lastIndex = -1
  let linked: boolean[] | undefined
  let held: Set<string> | undefined
  for (let i = 0; i < tasks.length; i++) {
    const payload = tasks[i].payload
    const fn = payload.fn as FnInfo
    if (fn !== lastFn) {
      lastFn = fn
      lastIndex = fns.indexOf(fn.ref)
      if (lastIndex < 0) lastIndex = fns.push(fn.ref) - 1
    }
    fnIndex[i] = lastIndex
    const slots = payload.inputSlots
    if (slots.length === 0) args[i] = payload.template as unknown[]
    else {
      const dependencies = tasks[i].dependencies
      const values = new Array(slots.length)
      for (let j = 0; j < slots.length; j++) {
        const input = dependencies[slots[j]]
        if (input.state === "memory") {
          const value = input.value
          // Only an executor with `remote` (the cluster) holds results elsewhere: others skip the check.
          if (remote && value instanceof HeldResult) {
            // Held remotely: the executor puts the value in where the task runs.
            values[j] = { [refKey]: value.key }
            ;(linked ??= new Array<boolean>(tasks.length).fill(false))[i] = true
            ;(held ??= new Set()).add(value.key)
          } else values[j] = value
        } else {
          // Computed earlier in this batch: the worker puts the value in.
          values[j] = { [refKey]: input.payload.batchIndex }
          ;(linked ??= new Array<boolean>(tasks.length).fill(false))[i] = true
        }
      }
      args[i] = fillTemplate(payload.template, values)
    }
  }
  return { fns, fnIndex, args, linked, held }
}
