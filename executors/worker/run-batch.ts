/**
 * Runs one `WireBatch` in the current thread: finds each function once, runs the tasks one after
 * another in order, and turns every failure into an `EncodedError`. Pure JavaScript with no
 * dependency on tinypool, so the worker entry and the in-process executor share it.
 *
 * Hot path: a synchronous task costs a call, a `typeof` check of its result and no microtask; only
 * thenables are awaited, and `effect` is imported the first time a task returns an Effect (loading
 * it costs 120+ ms, which a worker that never sees one should not pay).
 *
 * Interrupts (`Executor.interrupt`): a batch that carries attempt `ids` can be told, while it
 * awaits, to skip a task that has not started or to interrupt the fiber of the Effect task it is
 * running. The in-process executor passes a `BatchControl` and calls `interruptAttempt` itself; in
 * a worker thread, a batch that names a `control` channel registers its `BatchControl` with this
 * thread's listener on that `BroadcastChannel`. A synchronous task pays nothing for it: the
 * control's state is written only before an await, the only moments a request can be read.
 *
 * @internal
 */
import { types } from "node:util"
import { BroadcastChannel, isMainThread, MessagePort } from "node:worker_threads"
import { registry, registryIndexKeyOf, registryKeyOf } from "../../dsl/registry.js"
import { TaskDefinitionError } from "../../core/errors.js"
import { workerState } from "../../core/worker-state.js"
import { encodeError } from "../../core/error-codec.js"
import type {
  EncodedError,
  FnRef,
  InterruptAnswer,
  InterruptOutcome,
  InterruptRequest,
  StreamedResults,
  WireBatch,
  WireBatchResult
} from "../../core/protocol.js"
import { openStream } from "./stream.js"
import { compileInline, explainReferenceError } from "./compile.js"
import { maxNesting } from "../../core/args.js"
import { descend, isCloneLeaf, isPlainObject, stop, walk, WalkError } from "../../core/walk.js"
import { splitTsxLoaders, tsxArgvPrefix } from "../../core/tsx-flags.js"

/** The failure of every attempt that a fault plan picked (spec section 11), reported after the function ran. */
const injectedFault: EncodedError = {
  kind: "thrown",
  name: "InjectedFault",
  message: "weft injected a transient failure (fault plan)",
  props: {}
}

const effectTypeId = Symbol.for("effect/Effect")

/** A function ready to call, or why it cannot be. */
type Resolved = Function | EncodedError

/**
 * Runs every task of `batch` and reports each value or encoded error, index-aligned. Never
 * rejects for a task's failure; a task never fails another.
 *
 * `control`, given by a caller that interrupts tasks itself (the in-process executor), is where
 * `interruptAttempt` finds the batch. Without it, a batch with `ids` and a `control` channel
 * name listens on that channel while it runs (a worker thread).
 *
 * A batch with `stream` posts its finished tasks' outcomes early (`stream.ts`): `post` is where,
 * for a caller in this thread (`stream.via` `"call"`).
 */
export function runBatch(
  batch: WireBatch,
  control?: BatchControl,
  post?: (message: StreamedResults) => void
): Promise<WireBatchResult> {
  if (control !== undefined || batch.control === undefined || batch.ids === undefined) return run(batch, control, post)
  const own = new BatchControl(batch.ids)
  const channel = listen(batch.control)
  if (unclaimed.size > 0 || batch.skip !== undefined) claim(own, channel, batch.skip)
  listening.add(own)
  return run(batch, own, post).finally(() => listening.delete(own))
}

async function run(
  batch: WireBatch,
  control: BatchControl | undefined,
  post?: (message: StreamedResults) => void
): Promise<WireBatchResult> {
  const start = performance.now()
  const refs = batch.fns
  const resolved = new Array<Resolved>(refs.length)
  let loading: Array<Promise<void>> | undefined
  for (let f = 0; f < refs.length; f++) {
    const ref = refs[f]
    if (ref.kind === "inline") resolved[f] = resolveInline(ref)
    else if (loadedModules.has(ref.module)) resolved[f] = lookUp(ref)
    else {
      ;(loading ??= []).push(
        loadModule(ref.module).then(
          () => void (resolved[f] = lookUp(ref)),
          (error: unknown) => void (resolved[f] = importFailure(ref, error))
        )
      )
    }
  }
  if (loading !== undefined) await Promise.all(loading)

  const taskFns = batch.fn
  const args = batch.args
  const linked = batch.linked
  const inject = batch.inject
  const n = taskFns.length
  const results = new Array<unknown>(n)
  const failed: number[] = []
  // Per task run times, for the result cache's write rule: two clock reads per task, only when asked.
  const times = batch.timed === true ? new Array<number>(n).fill(0) : undefined
  const stream = batch.stream === undefined ? undefined : openStream(batch, resolved, results, failed, post, times)
  for (let i = 0; i < n; i++) {
    const skipped = control?.skipped
    if (skipped !== undefined && skipped.has(i)) {
      results[i] = notStarted(refs[taskFns[i]])
      failed.push(i)
      continue
    }
    const fn = resolved[taskFns[i]]
    if (typeof fn !== "function") {
      results[i] = fn
      failed.push(i)
      continue
    }
    let taskArgs = args[i]
    if (linked !== undefined && linked[i]) {
      // Fusion: inputs computed earlier in this batch.
      const filled = link(taskArgs, batch.refKey!, results, failed)
      if (filled === skip) {
        results[i] = skippedTask
        failed.push(i)
        continue
      }
      taskArgs = filled as ReadonlyArray<unknown>
    }
    if (stream !== undefined) stream.next(i, taskFns[i])
    let value: unknown
    const started = times === undefined ? 0 : performance.now()
    try {
      value = fn(...taskArgs)
      if (typeof value === "object" && value !== null) {
        if (typeof (value as PromiseLike<unknown>).then === "function") {
          if (control !== undefined) control.awaits(i, awaitingPromise)
          if (stream !== undefined) stream.awaits(i)
          value = await value
        }
        if (typeof value === "object" && value !== null && effectTypeId in value) {
          if (control !== undefined) control.awaits(i, awaitingEffect)
          if (stream !== undefined) stream.awaits(i)
          const exit = await runEffect(value, refs[taskFns[i]], control)
          if (exit.failure !== undefined) {
            results[i] = exit.failure
            failed.push(i)
            continue
          }
          value = exit.value
        }
      } else if (typeof value === "function" && typeof (value as Partial<PromiseLike<unknown>>).then === "function") {
        if (control !== undefined) control.awaits(i, awaitingPromise)
        if (stream !== undefined) stream.awaits(i)
        value = await value
      }
    } catch (error) {
      results[i] = encodeThrown(error, refs[taskFns[i]], "thrown")
      failed.push(i)
      continue
    }
    if (typeof value === "object" || typeof value === "function" || typeof value === "symbol") {
      const reason = value === null ? undefined : uncloneableReason(value)
      if (reason !== undefined) {
        results[i] = {
          kind: "thrown",
          name: "TypeError",
          builtin: "TypeError",
          message: reason,
          props: {}
        } satisfies EncodedError
        failed.push(i)
        continue
      }
    }
    // An injected fault strikes after the function ran, like a connection lost after the work was
    // done: the retry runs the function again, so side effects that retries duplicate show up.
    if (inject !== undefined && inject[i] === true) {
      results[i] = injectedFault
      failed.push(i)
      continue
    }
    results[i] = value
    if (times !== undefined) times[i] = performance.now() - started
  }
  if (control !== undefined) control.current = n
  if (stream !== undefined && stream.flushed > 0) {
    // Only what was not streamed: the posted outcomes are not cloned twice.
    const streamed = { streamed: stream.flushed, ...(times === undefined ? {} : { times }) }
    return { results, failed: stream.end(), elapsedMs: performance.now() - start, ...streamed }
  }
  stream?.end()
  return { results, failed, elapsedMs: performance.now() - start, ...(times === undefined ? {} : { times }) }
}

// ---------------------------------------------------------------------------------------------
// Interrupts

const awaitingPromise = 0
const awaitingEffect = 1

type Fiber = import("effect").Fiber.RuntimeFiber<unknown, unknown>

/**
 * Where an interrupt finds a running batch. Requests are only ever read while the batch awaits
 * (a message or a caller on the same thread cannot run during synchronous code), so the state is
 * written just before each await, never for a synchronous task.
 */
export class BatchControl {
  /** The task that awaits now: -1 while the batch loads its functions, the task count once it is done. */
  current = -1
  /** What task `current` awaits: a Promise (cannot be stopped) or an Effect. */
  awaiting: typeof awaitingPromise | typeof awaitingEffect = awaitingPromise
  /** The fiber running task `current`'s Effect, once forked and until it exits. */
  fiber: Fiber | undefined = undefined
  /** Task `current` is an Effect interrupted before its fiber started (`effect` was loading): it never starts. */
  stopBeforeStart = false
  /** Indices of tasks interrupted before they started: skipped. */
  skipped: Set<number> | undefined = undefined

  constructor(readonly ids: ReadonlyArray<number>) {}

  awaits(index: number, what: typeof awaitingPromise | typeof awaitingEffect): void {
    this.current = index
    this.awaiting = what
    this.stopBeforeStart = false
  }
}

/**
 * Interrupts attempt `id` of the batch `control` belongs to (see `InterruptOutcome`), or returns
 * `undefined` when the batch has no such attempt. `"interrupted"` for a running Effect comes once
 * its fiber has exited, finalizers included; a fiber that never exits (a finalizer that hangs)
 * never answers, and the caller's grace period decides.
 */
export function interruptAttempt(
  control: BatchControl,
  id: number
): Exclude<InterruptOutcome, "unknown"> | Promise<Exclude<InterruptOutcome, "unknown">> | undefined {
  const index = control.ids.indexOf(id)
  if (index < 0) return undefined
  if (index > control.current) {
    ;(control.skipped ??= new Set()).add(index)
    return "not-started"
  }
  if (index < control.current) return "finished"
  if (control.awaiting === awaitingPromise) return "uninterruptible"
  const fiber = control.fiber
  if (fiber === undefined) {
    control.stopBeforeStart = true
    return "interrupted"
  }
  return new Promise((resolve) => {
    fiber.addObserver(() => resolve("interrupted"))
    fiber.unsafeInterruptAsFork(fiber.id()) // as `Effect.runPromiseExit` does on its signal's abort
  })
}

/** What a skipped task reports. */
const notStarted = (ref: FnRef): EncodedError => ({
  kind: "interrupted",
  name: "InterruptedError",
  message: `Task "${ref.name}" was interrupted before it started`,
  props: {}
})

/** The batches running in this thread that listen on a control channel (a worker runs one at a time). */
const listening = new Set<BatchControl>()
/** This thread's control channels by name, opened on the first batch that names one. */
const channels = new Map<string, BroadcastChannel>()

/**
 * Requests for attempts this thread did not hold when they came, by id, with the time
 * (`Date.now()`) until which the client waits for an answer. Their batch may still have been
 * queued in the pool: if it reaches this thread in time, the attempt is skipped (`claim`).
 */
const unclaimed = new Map<number, number>()

/** Opens (once) control channel `name`. It is unref'd: it never keeps the worker alive. */
function listen(name: string): BroadcastChannel {
  let channel = channels.get(name)
  if (channel === undefined) {
    const opened = new BroadcastChannel(name)
    opened.onmessage = (event) => answer(opened, (event as MessageEvent).data)
    opened.unref()
    channels.set(name, opened)
    channel = opened
  }
  return channel
}

type Answered = InterruptAnswer["outcomes"][number]

const post = (channel: BroadcastChannel, ids: number[], outcomes: Answered[]): void =>
  channel.postMessage({ ids, outcomes } satisfies InterruptAnswer)

/**
 * Handles one message of a control channel: answers, in one message, for the requested attempts
 * this thread holds (an Effect being interrupted answers on its own once its fiber exits), and
 * remembers the others for `graceMs`. Anything else (another worker's answer) is ignored.
 */
function answer(channel: BroadcastChannel, data: unknown): void {
  const request = typeof data === "object" && data !== null ? (data as Partial<InterruptRequest>) : undefined
  const requested = request?.interrupt
  if (!Array.isArray(requested)) return
  const graceMs = typeof request!.graceMs === "number" ? request!.graceMs : 0
  const ids: number[] = []
  const outcomes: Answered[] = []
  let until = 0
  for (const id of requested as number[]) {
    let outcome: ReturnType<typeof interruptAttempt>
    for (const control of listening) if ((outcome = interruptAttempt(control, id)) !== undefined) break
    if (outcome === undefined) {
      if (graceMs > 0) unclaimed.set(id, (until ||= Date.now() + graceMs))
    } else if (typeof outcome === "string") {
      ids.push(id)
      outcomes.push(outcome)
    } else void outcome.then((late) => post(channel, [id], [late]))
  }
  if (ids.length > 0) post(channel, ids, outcomes)
}

/**
 * A batch starts while requests are unclaimed, or with attempts to `skip` (interrupted while it
 * was queued): it skips the attempts they name that it holds, and answers `"not-started"` for them.
 */
function claim(control: BatchControl, channel: BroadcastChannel, skip: ReadonlyArray<number> | undefined): void {
  const now = Date.now()
  for (const [id, until] of unclaimed) if (until < now) unclaimed.delete(id)
  const ids = control.ids
  const skipping = skip === undefined ? undefined : new Set(skip)
  const skipped: number[] = []
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]
    if (!unclaimed.delete(id) && (skipping === undefined || !skipping.has(id))) continue
    ;(control.skipped ??= new Set()).add(i)
    skipped.push(id)
  }
  if (skipped.length > 0)
    post(
      channel,
      skipped,
      skipped.map((): Answered => "not-started")
    )
}

// ---------------------------------------------------------------------------------------------
// Finding functions

function resolveInline(ref: Extract<FnRef, { kind: "inline" }>): Resolved {
  try {
    return compileInline(ref)
  } catch (error) {
    return encodeError(error, "definition")
  }
}

/** Module URLs imported successfully in this thread: their tasks are looked up without awaiting. */
const loadedModules = new Set<string>()
/** One import per module URL at a time; a failed import is forgotten so a later batch tries again. */
const loadingModules = new Map<string, Promise<unknown>>()

function loadModule(url: string): Promise<unknown> {
  let loading = loadingModules.get(url)
  if (loading === undefined) {
    const ready = typeScriptReady(url)
    // Recorded while it loads, for the error of a client started by the module (worker-state.ts).
    const importing = workerState()?.loading
    importing?.push(url)
    const done = () => {
      loadingModules.delete(url)
      const at = importing?.indexOf(url) ?? -1
      if (at >= 0) importing!.splice(at, 1)
    }
    loading = (ready === undefined ? import(url) : ready.then(() => import(url))).then(
      (namespace: unknown) => {
        loadedModules.add(url)
        done()
        return namespace
      },
      (error: unknown) => {
        done()
        throw error
      }
    )
    loadingModules.set(url, loading)
  }
  return loading
}

/**
 * tsx registers its module hooks on the main thread only (tsx 4 checks `isMainThread`), so a worker
 * thread of an app started with `tsx app.ts` or `node --import tsx` cannot import the app's `.ts`
 * task modules, although it inherits the flag. Before the first such import, the worker registers
 * tsx itself: from the URL the parent's flag names (the tsx CLI passes `--import file:///.../tsx/dist/loader.mjs`),
 * else `tsx/esm/api` as resolved from weft. Processes need nothing: tsx registers itself there.
 */
function typeScriptReady(url: string): Promise<void> | undefined {
  if (isMainThread || !/\.[cm]?tsx?(?:[?#]|$)/.test(url)) return undefined
  if (typeScriptLoader === undefined && tsxFlags().length === 0) return undefined
  return registerTypeScriptLoader()
}

let typeScriptLoader: Promise<void> | undefined

/**
 * The module specifiers of tsx given to this process with `--import`/`--loader`, in `execArgv` or
 * `NODE_OPTIONS`, or passed on by the executor (`--weft-tsx=` in `process.argv`: worker threads
 * start without tsx, see `makeTinypoolExecutor`).
 */
function tsxFlags(): string[] {
  const passedOn = process.argv
    .filter((arg) => arg.startsWith(tsxArgvPrefix))
    .map((arg) => arg.slice(tsxArgvPrefix.length))
  const own = splitTsxLoaders([...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)]).tsx
  return [...passedOn, ...own]
}

/** Registers tsx's ESM hooks (for `import`) and its CommonJS hooks (for `require` of `.ts`), as `--import tsx` does on a main thread. */
function registerTypeScriptLoader(): Promise<void> {
  return (typeScriptLoader ??= (async () => {
    const loaders = tsxFlags().filter((specifier) => specifier.startsWith("file:"))
    for (const api of ["esm", "cjs"]) {
      const candidates = loaders.map((loader) => new URL(`./${api}/api/index.mjs`, loader).href)
      candidates.push(`tsx/${api}/api`)
      for (const candidate of candidates) {
        try {
          const module = (await import(candidate)) as { register?: () => unknown }
          if (typeof module.register === "function") {
            module.register()
            break
          }
        } catch {
          // Try the next; if none works, the import itself reports the missing loader.
        }
      }
    }
  })())
}

function lookUp(ref: Extract<FnRef, { kind: "registered" }>): Resolved {
  const table = registry()
  const entry = table.get(registryKeyOf(ref.module, ref.name)) ?? table.get(registryIndexKeyOf(ref.module, ref.index))
  if (entry !== undefined) return entry.fn
  return encodeError(
    new TaskDefinitionError(
      `Task "${ref.name}" is not registered in ${ref.module}: export it with task(import.meta, fn) at module level`,
      { task: ref.name }
    ),
    "definition"
  )
}

function importFailure(ref: Extract<FnRef, { kind: "registered" }>, error: unknown): EncodedError {
  const message = error instanceof Error ? error.message : String(error)
  // A client started by the module (worker-state.ts) says what it was importing itself.
  const own = error instanceof Error && error.name === "TaskDefinitionError" && message.includes(ref.module)
  const failure = new TaskDefinitionError(
    `Task "${ref.name}" could not be loaded: ${own ? "" : `importing ${ref.module} threw: `}${message}`,
    {
      task: ref.name
    }
  )
  Object.defineProperty(failure, "cause", { value: error, enumerable: false, writable: true, configurable: true })
  return encodeError(failure, "definition")
}

// ---------------------------------------------------------------------------------------------
// Failures

/** Encodes what a task threw; a free identifier in an inline function becomes a definition error. */
function encodeThrown(error: unknown, ref: FnRef, kind: EncodedError["kind"]): EncodedError {
  if (ref.kind === "inline" && error instanceof ReferenceError) {
    const explained = explainReferenceError(error, ref)
    if (explained !== undefined) return encodeError(explained, "definition")
  }
  return encodeError(error, kind)
}

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
async function runEffect(
  effect: object,
  ref: FnRef,
  control: BatchControl | undefined
): Promise<{ value?: unknown; failure?: EncodedError }> {
  const loading = loadEffect()
  const { Effect, Cause, Option } = await loading
  if (control !== undefined && control.stopBeforeStart) {
    control.stopBeforeStart = false
    return {
      failure: {
        kind: "interrupted",
        name: "InterruptedError",
        message: `Task "${ref.name}" was interrupted`,
        props: {}
      }
    }
  }
  // What `Effect.runPromiseExit` does, keeping the fiber.
  const fiber = Effect.runFork(effect as import("effect").Effect.Effect<unknown, unknown, never>)
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
  if (Cause.isInterruptedOnly(cause)) {
    return {
      failure: {
        kind: "interrupted",
        name: "InterruptedError",
        message: `Task "${ref.name}" was interrupted`,
        props: {}
      }
    }
  }
  return { failure: encodeError(Cause.squash(cause), "thrown") }
}

// ---------------------------------------------------------------------------------------------
// Clone check
//
// A value the structured clone rejects does not fail one task: it fails the reply of the whole
// batch (tinypool even replaces the worker). Checking first lets only that task fail, with a
// message that names the path. Only what the clone rejects is rejected: functions, symbols,
// WeakMap, WeakSet, WeakRef, FinalizationRegistry, Promise, and containers holding them. Class
// instances pass: the clone keeps their fields and drops the prototype, as the spec says.

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

/** What `link` returns when an input in the batch failed. */
const skip: unique symbol = Symbol("skip")

/** The outcome of a task whose input, computed earlier in the batch, failed: the client decides what happens to it. */
const skippedTask: EncodedError = {
  kind: "skipped",
  name: "Skipped",
  message: "an input computed earlier in the same batch failed",
  props: {}
}

/**
 * `value` with each `{ [refKey]: j }` replaced by the result of task j of this batch (copy on
 * write), or `skip` when task j failed. `failed` is ascending and usually empty.
 */
function link(value: unknown, refKey: string, results: ReadonlyArray<unknown>, failed: ReadonlyArray<number>): unknown {
  const linked = walk(value, {
    root: "args",
    visit: (item) => {
      if (typeof item !== "object" || item === null) return item
      if (Array.isArray(item)) return descend
      if (!isPlainObject(item)) return item
      const index = (item as Record<string, unknown>)[refKey]
      if (typeof index !== "number") return descend
      return failed.includes(index) ? stop : results[index]
    }
  })
  return linked === stop ? skip : linked
}
