/**
 * Declared environment inputs on a cluster (issue 17, docs/cache.md): a cached task's key holds
 * the client's values of the variables it declares (`cacheInputs.env`), while on a cluster the
 * task reads the worker's. The batch carries the client's digest of them; the worker computes its
 * own and refuses the task when they differ, so that no result is cached under a key that does
 * not describe it. Only digests travel (sha256), never the values.
 *
 * @internal
 */
import { createRequire } from "node:module"

/**
 * `node:crypto`, loaded at the first digest: every worker thread loads this module before its first
 * batch, and loading `node:crypto` there costs about 5 ms of CPU per worker at start-up, for
 * batches that almost never declare an environment (bench/profile/startup-timeline.mjs).
 */
let crypto: typeof import("node:crypto") | undefined
const sha256 = () =>
  (crypto ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto")).createHash("sha256")

/** The digest of `names`' values in `env` (an unset variable counts as such). */
export function declaredEnvDigest(names: ReadonlyArray<string>, env: NodeJS.ProcessEnv = process.env): string {
  const hash = sha256()
  for (const name of names) {
    const value = env[name]
    hash.update(value === undefined ? `${name}\u0000unset\u0000` : `${name}\u0000=${value}\u0000`)
  }
  return hash.digest("hex")
}

/** What the batch carries for one task: the names it declares and the client's digest of their values. */
export interface DeclaredEnv {
  readonly names: ReadonlyArray<string>
  readonly digest: string
}
