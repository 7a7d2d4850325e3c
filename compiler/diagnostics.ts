/**
 * Diagnostics of the compiler, shaped like TypeScript's: `file:line:col - error WEFTnnnn: message`,
 * then a hint that names the fix. Every code is documented in `docs/compiler-diagnostics.md` with
 * an example and its fix.
 *
 * @module
 */

/** The codes, each with a one-line summary. Numbers are stable: tests and docs refer to them. */
export const diagnosticCodes = {
  // @graph bodies: the dataflow DSL
  1001: "branching on a lazy value (if, ?:, &&, ||, !, switch, loops)",
  1002: "arithmetic, comparison or a template literal on a lazy value",
  1003: "a lazy value passed to a function that is not a task",
  1004: "a statement or expression the graph DSL does not have",
  1005: "no longer reported: .map over a task's result is a fan-out at run time (docs/compiler.md)",
  1006: "a call in a @graph body that is not a @task or .map",
  1007: "a @graph that is not an exported module-level function declaration",
  1008: "a @graph parameter type with no derivable fast-check arbitrary (only with --arbitraries)",
  1009: "an await in a @graph body of something that is not a @task call",
  // @task functions
  2001: "a @task that is not declared at module level",
  2002: "a @task that captures a mutable module-level variable",
  2003: "a parameter or result type that cannot be structured-cloned",
  2004: "two tasks with the same id",
  2005: "a pure @task that calls something that is not pure",
  2006: "a malformed @task option",
  2007: "a @task that is not exported",
  // the project
  3001: "an annotated file that compiles to CommonJS (compiled modules are ES modules)"
} as const

/** A diagnostic code. */
export type DiagnosticCode = keyof typeof diagnosticCodes

/** One problem found in the sources. Lines and columns are 1-based, as editors show them. */
export interface WeftDiagnostic {
  readonly code: DiagnosticCode
  readonly file: string
  readonly line: number
  readonly column: number
  /** What is wrong, in one line. */
  readonly message: string
  /** How to fix it, in one line. */
  readonly hint: string
}

/** `file:line:col - error WEFTnnnn: message` and, indented below, `hint: ...`. */
export function formatDiagnostic(d: WeftDiagnostic): string {
  return `${d.file}:${d.line}:${d.column} - error WEFT${d.code}: ${d.message}\n  hint: ${d.hint}`
}
