/**
 * The result check: a value the structured clone rejects does not fail one task, it fails the
 * reply of the whole batch (tinypool even replaces the worker). Checking first lets only that task
 * fail, with a message that names the path. Only what the clone rejects is rejected: functions,
 * symbols, WeakMap, WeakSet, WeakRef, FinalizationRegistry, Promise, and containers holding them.
 * Class instances pass: the clone keeps their fields and drops the prototype, as the spec says.
 *
 * @internal
 */
import { types } from "node:util"
import { MessagePort } from "node:worker_threads"
import { maxNesting } from "../../core/args.js"
import { descend, isCloneLeaf, stop, walk, WalkError } from "../../core/walk.js"

/** Why `value` (found at `path`) cannot be cloned, or `undefined`. Only for objects and functions. */
const leafProblem = (value: object): string | undefined => {
  if (typeof value === "function") return "is a function"
  if (value instanceof Promise) return "is a Promise (await it inside the task)"
  if (value instanceof WeakMap) return "is a WeakMap"
  if (value instanceof WeakSet) return "is a WeakSet"
  if (value instanceof WeakRef) return "is a WeakRef"
  if (value instanceof FinalizationRegistry) return "is a FinalizationRegistry"
  if (value instanceof MessagePort) return "is a MessagePort (it can only be transferred, not copied)"
  if (typeof ReadableStream !== "undefined" && value instanceof ReadableStream)
    return "is a ReadableStream (it can only be transferred, not copied)"
  if (types.isProxy(value)) return "is a Proxy"
  return undefined
}

/**
 * Returns a message naming the first part of `value` that cannot be sent back from a worker
 * (`result.items[3].fn is a function, which cannot be sent back from a worker`), or `undefined`
 * when it can: also a getter that throws, and nesting deeper than `maxNesting` (the client could
 * not read the message). Primitives cost one `typeof`.
 */
export function uncloneableReason(value: unknown, root = "result"): string | undefined {
  const type = typeof value
  if (type === "symbol") return `${root} is a symbol, which cannot be sent back from a worker`
  if (type !== "object" && type !== "function") return undefined
  if (value === null) return undefined
  let problem: string | undefined
  try {
    walk(value, {
      root,
      maxDepth: maxNesting,
      visit: (item, at) => {
        const leaf = typeof item === "symbol" ? "is a symbol" : leafProblem(item as object)
        if (leaf !== undefined) {
          problem = `${at.path()} ${leaf}`
          return stop
        }
        return isCloneLeaf(item as object) ? item : descend
      }
    })
  } catch (error) {
    if (!(error instanceof WalkError)) throw error
    if (error.reason === "getter") return `${error.message}, so the result cannot be sent back from a worker`
    return (
      `${error.path} is nested more than ${maxNesting.toLocaleString("en")} levels deep, which cannot be sent back from a worker ` +
      `(the client could not read it: structured clone runs out of stack at about 1,900 nested objects). ` +
      `Flatten it, e.g. a linked list into an array of values`
    )
  }
  return problem === undefined ? undefined : `${problem}, which cannot be sent back from a worker`
}
