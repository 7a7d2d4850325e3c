/**
 * Cache keys: sha256 over everything that decides a pure task's result (docs/cache.md):
 * the task's identity and code, the lockfile's dependency versions, weft's version, Node's major
 * version, the arguments, each Future argument's own cache key (a Merkle chain), and the declared
 * inputs (files, environment variables).
 *
 * Keys are computed lazily (only for a task that is looked up or written) and once per record.
 *
 * @module
 */
import { readFileSync } from "node:fs"
import * as path from "node:path"
import type { FnInfo } from "../dsl/function-ref.js"
import type { NormalizedTaskOptions } from "../dsl/options.js"
import { tokenEncoding } from "../dsl/tokenize.js"
import {
  lockfileDigest,
  moduleClosureDigest,
  nodeMajor,
  projectRoot,
  relativeModule,
  sha256,
  weftVersion
} from "./environment.js"
import type { KeyParts, StoreLock } from "./store.js"

/** The result cache's state of one task record. */
export interface CacheSlot {
  key: string | undefined
  parts: KeyParts | undefined
  /** Looked up (and locked when it needed to be): dispatch it. */
  checked: boolean
  /** The lock of its key, held while it is computed here. */
  lock: StoreLock | undefined
  /** Its result came from the cache. */
  hit: boolean
  /**
   * A lookup made before the task could run (top-down, `demand.ts`): `pending` while it runs,
   * `miss` once it found nothing (the task must run, and so must what it needs).
   */
  lookup: "pending" | "miss" | undefined
  /**
   * What a miss of it costs, in ms: its run time plus that of its cached inputs, transitively (a
   * miss makes them needed). Set when it succeeds or is found.
   */
  costMs: number
  /** Popped but held back by the cache: its dependents may be found, and then it need not run at all. */
  parked: boolean
  /** The first task of a function not timed yet: others of its function wait for its run time (`ResultCache`). */
  probe: boolean
}

/** What the result cache needs of the engine's per-task payload. */
export interface CachePayload {
  readonly fn: FnInfo | undefined
  readonly template: ReadonlyArray<unknown>
  readonly inputSlots: ReadonlyArray<number>
  readonly options: NormalizedTaskOptions
  cache: CacheSlot | undefined
}

/** A task record as the cache sees it: the scheduler's record, described here so that cache/ needs no scheduler import. */
export interface CacheRecord {
  readonly key: string
  readonly state: string
  readonly value: unknown
  readonly dependencies: ReadonlyArray<CacheRecord>
  readonly dependents: ReadonlyArray<CacheRecord>
  /** Handles (Futures) held on it: the user asked for it. */
  readonly refs: number
  /** fireAndForget: it runs to the end even with no handle. */
  readonly keep: boolean
  /** Dependents not yet settled. */
  readonly pendingDependents: number
  payload: CachePayload
}

/** What the cache knows of one function. */
export interface FnCacheInfo {
  readonly task: string
  readonly code: string
  readonly covers: string
  /** sha256 of task and code: the name of its identity marker in the store. */
  readonly identity: string
  /** The store had entries of this identity when the client started (keys written since: `ResultCache`). */
  present: boolean
  /**
   * Its average run time here in ms (a moving average; -1 before it ran here, or a hit told the
   * time it took when it was written). A function whose average is below the cost of a lookup is
   * neither looked up nor locked: one quick outlier does not turn a trivial map into a lookup per task.
   */
  avgMs: number
}

/** The parts of every key that come from the project and the runtime. */
export interface ProjectParts {
  readonly root: string
  readonly dependencies: string
  readonly weft: string
  readonly nodeMajor: string
}

/** Reads the project parts once: the root above `cwd`, its lockfile, weft's and Node's versions. */
export const projectParts = (cwd: string): ProjectParts => {
  const root = projectRoot(cwd)
  return { root, dependencies: lockfileDigest(root), weft: weftVersion(), nodeMajor: nodeMajor() }
}

/** sha256 of a token encoding (as UTF-16 when it holds a lone surrogate, which UTF-8 would blur). */
const hashEncoding = (encoding: string): string =>
  (encoding as unknown as { isWellFormed(): boolean }).isWellFormed()
    ? sha256(encoding)
    : sha256(Buffer.from(encoding, "utf16le"))

/** Computes and memoizes cache keys for one client. */
export class KeyMaker {
  readonly project: ProjectParts
  readonly #fns = new WeakMap<FnInfo, FnCacheInfo>()
  #lastFn: FnInfo | undefined
  #lastInfo: FnCacheInfo | undefined
  readonly #files = new Map<string, string>()
  readonly #identities: Set<string>

  constructor(project: ProjectParts, identities: Set<string>) {
    this.project = project
    this.#identities = identities
  }

  /** The cache's view of a function (identity and code hash computed once per function). */
  fnInfo(fn: FnInfo): FnCacheInfo {
    // A map calls one function 20,000 times in a row: the last one answers without the WeakMap.
    if (fn === this.#lastFn) return this.#lastInfo!
    let info = this.#fns.get(fn)
    if (info === undefined) {
      const { task, code, covers } = this.#identityOf(fn)
      const identity = sha256(`${task}\u0000${code}`)
      info = { task, code, covers, identity, present: this.#identities.has(identity), avgMs: -1 }
      this.#fns.set(fn, info)
    }
    this.#lastFn = fn
    this.#lastInfo = info
    return info
  }

  /**
   * The cache key of a task, computed once. A Future argument contributes its own cache key when
   * it is a cached task (a Merkle chain); otherwise (a scattered value, an impure or `cache: false`
   * task) the token of its value, which must then be in memory: throws when it is not.
   */
  keyOf(record: CacheRecord): string {
    const slot = (record.payload.cache ??= newSlot())
    if (slot.key !== undefined) return slot.key
    const payload = record.payload
    const fn = payload.fn
    if (fn === undefined || !payload.options.pure || !payload.options.cache) {
      if (record.state !== "memory") throw new Error(`no cache key for ${record.key}: its value is not held`)
      slot.key = hashEncoding(`value\u0000${tokenEncoding(record.value)}`)
      return slot.key
    }
    const info = this.fnInfo(fn)
    const inputs = payload.inputSlots.map((slotIndex) => this.keyOf(record.dependencies[slotIndex]))
    const parts: KeyParts = {
      task: info.task,
      code: info.code,
      covers: info.covers,
      dependencies: this.project.dependencies,
      weft: this.project.weft,
      nodeMajor: this.project.nodeMajor,
      args: hashEncoding(tokenEncoding(payload.template)),
      inputs,
      declared: this.#declared(payload.options)
    }
    slot.parts = parts
    slot.key = keyFromParts(parts)
    return slot.key
  }

  #identityOf(fn: FnInfo): { task: string; code: string; covers: string } {
    const meta = fn.meta
    if (meta === undefined) return { task: `inline#${fn.name}`, code: sha256(fn.identity), covers: "inline source" }
    const task = `${relativeModule(meta.module, this.project.root)}#${meta.name}`
    if (meta.compiled)
      return { task, code: meta.hash, covers: "weft build: the task and the module-level code it uses" }
    return {
      task,
      code: sha256(`${meta.hash}\u0000${moduleClosureDigest(meta.module, this.project.root)}`),
      covers: "task(): its module and the modules it imports by relative path, whole files"
    }
  }

  #declared(options: NormalizedTaskOptions): string[] {
    const inputs = options.cacheInputs
    if (inputs === undefined) return []
    const out: string[] = []
    for (const name of inputs.env) {
      const value = process.env[name]
      out.push(value === undefined ? `env:${name} unset` : `env:${name}=${sha256(value)}`)
    }
    for (const file of inputs.files) out.push(`file:${file}=${this.#fileDigest(file)}`)
    return out
  }

  /** A declared file's content hash, read once per client (a file changed during a run is not seen). */
  #fileDigest(file: string): string {
    const full = path.resolve(this.project.root, file)
    let digest = this.#files.get(full)
    if (digest === undefined) {
      try {
        digest = sha256(readFileSync(full))
      } catch {
        digest = "missing"
      }
      this.#files.set(full, digest)
    }
    return digest
  }
}

/** A fresh slot. */
export const newSlot = (): CacheSlot => ({
  key: undefined,
  parts: undefined,
  checked: false,
  lock: undefined,
  hit: false,
  lookup: undefined,
  parked: false,
  costMs: 0,
  probe: false
})

/** The key of its parts: sha256 of a fixed-order, length-prefixed rendering. */
export const keyFromParts = (parts: KeyParts): string =>
  sha256(
    JSON.stringify([
      "weft-cache-1",
      parts.task,
      parts.code,
      parts.dependencies,
      parts.weft,
      parts.nodeMajor,
      parts.args,
      parts.inputs,
      parts.declared
    ])
  )
