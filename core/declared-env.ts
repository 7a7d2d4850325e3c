/**
 * Declared environment inputs on a cluster (issue 17, docs/cache.md): a cached task's key holds
 * the client's values of the variables it declares (`cacheInputs.env`), while on a cluster the
 * task reads the worker's. The batch carries the client's digest of them; the worker computes its
 * own and refuses the task when they differ, so that no result is cached under a key that does
 * not describe it. Only digests travel (sha256), never the values.
 *
 * @internal
 */
import { createHash } from "node:crypto"

/** The digest of `names`' values in `env` (an unset variable counts as such). */
export function declaredEnvDigest(names: ReadonlyArray<string>, env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash("sha256")
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
