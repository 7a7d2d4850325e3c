#!/usr/bin/env node
/**
 * The `weft` program: the compiler's commands (`build`, `check`, `graph`: `compiler/cli.ts`) and
 * the commands of the layers above it (`worker`, `dashboard`, `cache`: `cli/commands.ts`). This
 * is the top layer, so it may import any other; the compiler's CLI imports nothing above the
 * compiler.
 *
 * @module
 */
import { main as compilerMain, usage as compilerUsage, type CliIo } from "../compiler/cli.js"
import { runIfMain } from "../compiler/cli-io.js"
import { commands } from "./commands.js"

/** Runs the `weft` command line `argv` (without `node` and the script); resolves with the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv
  const load = first === undefined ? undefined : commands[first]
  if (load !== undefined) return (await load()).main(rest, io)
  if (first === "--help" || first === "-h" || first === "help") {
    io.stdout.write(await usage())
    return 0
  }
  return compilerMain(argv, io)
}

/** The text of `weft --help`: the compiler's commands, then the others'. */
export async function usage(): Promise<string> {
  const extra = await Promise.all(Object.values(commands).map(async (load) => (await load()).usage))
  if (extra.length === 0) return compilerUsage
  const at = compilerUsage.indexOf("  weft help")
  return compilerUsage.slice(0, at) + extra.join("") + compilerUsage.slice(at)
}

runIfMain(import.meta.url, main)
