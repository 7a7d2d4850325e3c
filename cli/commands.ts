/**
 * The `weft` subcommands that live outside the compiler: each entry names its module, loaded only
 * when the command runs, so that `weft build` never loads BullMQ and `weft worker` never loads
 * ts-morph. Each module exports `main(argv, io)` (argv without the command word) resolving with
 * the exit code, and `usage` (its lines for `weft --help`).
 *
 * @module
 */
import type { CliIo } from "../compiler/cli-io.js"

/** One subcommand's module. */
export interface CommandModule {
  /** Runs the command with its arguments (the words after the command's name); resolves with the exit code. */
  main(argv: string[], io: CliIo): Promise<number>
  /** The command's lines for `weft --help`, indented as the compiler's. */
  readonly usage: string
}

/** The subcommands beside the compiler's (`build`, `check`, `graph`), each loaded on demand. */
export const commands: Record<string, () => Promise<CommandModule>> = {
  worker: () => import("./worker.js"),
  cache: () => import("./cache.js"),
  run: () => import("./run.js"),
  dashboard: () => import("./dashboard.js")
}
