/**
 * `weft/compiler`: the compiler as a function (spec section 10). The command line (`weft build`,
 * `weft check`, `weft graph`) is a thin layer over `compile()`.
 *
 * @module
 */
export {
  compile,
  type CompileOptions,
  type CompileResult,
  type CompiledGraphInfo,
  type EmittedFile
} from "./compile.js"
export { diagnosticCodes, formatDiagnostic, type DiagnosticCode, type WeftDiagnostic } from "./diagnostics.js"
export { isIrRef, type GraphIr, type IrNode, type IrRef, type IrValue } from "../core/ir.js"
export type { TaskInfo, TaskTagOptions } from "./tasks/analyze.js"
