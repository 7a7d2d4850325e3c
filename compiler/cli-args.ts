/**
 * The command line of `weft`'s compiler commands: the commands, the flags each accepts, and the
 * parser (`node:util`'s `parseArgs`, strict) whose errors name the bad flag with a did-you-mean.
 *
 * @module
 */
import { parseArgs } from "node:util"

/** The commands. */
export const commands = ["build", "check", "graph", "help"] as const
/** A command. */
export type Command = (typeof commands)[number]

/** The flags each command accepts (parseArgs `strict` mode rejects the others). */
const flagsOf = {
  build: {
    project: { type: "string", short: "p" },
    "out-dir": { type: "string" },
    watch: { type: "boolean", short: "w" },
    arbitraries: { type: "boolean" },
    help: { type: "boolean", short: "h" }
  },
  check: {
    project: { type: "string", short: "p" },
    arbitraries: { type: "boolean" },
    help: { type: "boolean", short: "h" }
  },
  graph: {
    project: { type: "string", short: "p" },
    format: { type: "string", short: "f" },
    help: { type: "boolean", short: "h" }
  },
  help: { help: { type: "boolean", short: "h" } }
} as const

/** The exit code of a wrong command line (as most Unix tools, and distinct from "diagnostics found"). */
export const usageExitCode = 2

/** A wrong command line: `main` prints its message and exits with `usageExitCode`. */
export class UsageError extends Error {}

/** Edit distance (insertions, deletions, substitutions), for did-you-mean. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]
}

/** The candidate that starts with `word` or is closest to it (2 edits, or 3 for a long word), if any. */
export function closest(word: string, candidates: ReadonlyArray<string>): string | undefined {
  const bare = (w: string) => w.replace(/^-+/, "")
  let best: string | undefined
  let bestDistance = bare(word).length >= 7 ? 4 : 3
  for (const candidate of candidates) {
    const d =
      bare(candidate).startsWith(bare(word)) && bare(word).length >= 3 ? 1 : distance(bare(word), bare(candidate))
    if (d < bestDistance) [best, bestDistance] = [candidate, d]
  }
  return best
}

/** Why the option `arg` is not one of `command`'s: a did-you-mean, or the command that has it. */
function unknownOption(command: Exclude<Command, "help">, arg: string): string {
  const name = arg.replace(/=.*$/s, "")
  const own = Object.keys(flagsOf[command]).map((f) => `--${f}`)
  const elsewhere = (["build", "check", "graph"] as const).filter(
    (c) => c !== command && Object.hasOwn(flagsOf[c], name.replace(/^--/, ""))
  )
  if (elsewhere.length > 0 && name.startsWith("--"))
    return `weft ${command}: unknown option '${name}'; it is an option of weft ${elsewhere.join(" and weft ")}`
  const guess = name.startsWith("--") ? closest(name, own) : undefined
  return `weft ${command}: unknown option '${name}'${guess === undefined ? "" : `; did you mean '${guess}'?`}`
}

/** What `parse` gives for `command`: its flags' values, and the positional arguments. */
export type Parsed<C extends Exclude<Command, "help">> = ReturnType<
  typeof parseArgs<{ args: string[]; options: (typeof flagsOf)[C]; strict: true; allowPositionals: true }>
>

/** Parses `argv` after the command; throws `UsageError` naming the bad flag. */
export function parse<C extends Exclude<Command, "help">>(command: C, args: string[]): Parsed<C> {
  for (const arg of args) {
    if (arg === "--") break
    if (!arg.startsWith("-") || arg === "-") continue
    const flags: Record<string, { type: string; short?: string }> = flagsOf[command]
    const known = arg.startsWith("--")
      ? Object.hasOwn(flags, arg.replace(/=.*$/s, "").slice(2))
      : Object.values(flags).some((f) => f.short !== undefined && arg.slice(1).startsWith(f.short))
    if (!known) throw new UsageError(unknownOption(command, arg))
  }
  try {
    return parseArgs({ args, options: flagsOf[command], strict: true, allowPositionals: true })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const missing = /^Option '(.+) <value>' argument missing/.exec(message)
    if (missing !== null) throw new UsageError(`weft ${command}: ${missing[1]} needs a value`)
    throw new UsageError(
      `weft ${command}: ${message
        .replace(/\. To specify a positional argument.*$/s, "")
        .replace(/\s+/g, " ")
        .replace(/\.$/, "")}`
    )
  }
}

/** Refuses positional arguments (`build` and `check` take none). */
export const noPositionals = (command: Command, positionals: string[]): void => {
  if (positionals.length > 0) throw new UsageError(`weft ${command}: unexpected argument '${positionals[0]}'`)
}
