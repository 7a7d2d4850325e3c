/**
 * The encoded errors a task of a batch can end with besides its own: a fault the plan injected, a
 * skip because an input computed earlier in the batch failed, a result that cannot be sent back;
 * and what a task threw, encoded (a free identifier in an inline function is a definition error).
 *
 * @internal
 */
import { encodeError } from "../../core/error-codec.js"
import type { EncodedError, FnRef } from "../../core/protocol.js"
import { explainReferenceError } from "./compile.js"

/** The failure of every attempt that a fault plan picked (spec section 11), reported after the function ran. */
export const injectedFault: EncodedError = {
  kind: "thrown",
  name: "InjectedFault",
  message: "weft injected a transient failure (fault plan)",
  props: {}
}

/** The outcome of a task whose input, computed earlier in the batch, failed: the client decides what happens to it. */
export const skippedTask: EncodedError = {
  kind: "skipped",
  name: "Skipped",
  message: "an input computed earlier in the same batch failed",
  props: {}
}

/** A result that cannot be sent back (`uncloneableReason` says why): a `TypeError` of its task alone. */
export const uncloneable = (reason: string): EncodedError => ({
  kind: "thrown",
  name: "TypeError",
  builtin: "TypeError",
  message: reason,
  props: {}
})

/** Encodes what a task threw; a free identifier in an inline function becomes a definition error. */
export function encodeThrown(error: unknown, ref: FnRef, kind: EncodedError["kind"]): EncodedError {
  if (ref.kind === "inline" && error instanceof ReferenceError) {
    const explained = explainReferenceError(error, ref)
    if (explained !== undefined) return encodeError(explained, "definition")
  }
  return encodeError(error, kind)
}
