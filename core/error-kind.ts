/**
 * Which side of an Effect task's result an error came from. A task returning `Effect<A, E>` that
 * fails with `E` gives a *typed* failure: the Effect API puts it in the error channel as `E`;
 * anything a task throws is wrapped in `TaskFailed` there instead. `decodeError` records the kind.
 *
 * @internal
 */
import { errorKindSymbol } from "./error-codec.js"

/** True for an Effect task's typed failure. */
export const typedFailure = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { [errorKindSymbol]?: string })[errorKindSymbol] === "typed"
