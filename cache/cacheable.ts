/**
 * Whether a task's result may be cached: its own module, so that what reads only this rule (the
 * dispatcher's declared environments, `runtime/internal/declared-env.ts`) does not load the result
 * cache (`result-cache.ts`, `key.ts`, `demand.ts` and `node:v8`) at `import "weft"`.
 *
 * @internal
 */
import type { FnInfo } from "../dsl/function-ref.js"
import type { CachePayload } from "./key.js"

/** A pure task not marked `cache: false`. */
export function cacheable(payload: CachePayload): payload is CachePayload & { fn: FnInfo } {
  return payload.fn !== undefined && payload.options.pure && payload.options.cache
}
