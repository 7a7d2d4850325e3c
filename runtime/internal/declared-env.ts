/**
 * The `declared` field of a batch sent to a cluster with the cache on (core/declared-env.ts): for
 * each cacheable task that declares environment variables, their names and the client's digest of
 * their values, which its cache key holds. Undefined when no task of the batch declares any.
 *
 * @internal
 */
import { cacheable } from "../../cache/cacheable.js"
import { declaredEnvDigest, type DeclaredEnv } from "../../core/declared-env.js"
import type { TaskRecordOf } from "./task-record.js"

export function declaredEnvs(tasks: ReadonlyArray<TaskRecordOf>): Array<DeclaredEnv | undefined> | undefined {
  let out: Array<DeclaredEnv | undefined> | undefined
  // Tasks of one map share their options: one digest (and one object in the batch) for all of them.
  let last: DeclaredEnv | undefined
  for (let i = 0; i < tasks.length; i++) {
    const payload = tasks[i].payload
    const names = payload.options.cacheInputs?.env
    if (names === undefined || names.length === 0 || !cacheable(payload)) continue
    out ??= new Array<DeclaredEnv | undefined>(tasks.length).fill(undefined)
    if (last?.names !== names) last = { names, digest: declaredEnvDigest(names) }
    out[i] = last
  }
  return out
}
