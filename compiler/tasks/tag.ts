/**
 * The options written in a `@task` tag (`@task impure nocache retries=3 timeout=10s priority=1 env=A,B`) and the
 * parser that reads them; a problem is WEFT2006, at the option it names (`./checks.ts`).
 *
 * @module
 */
import { parseDuration } from "../../core/duration.js"

/** The options written in a `@task` tag. */
export interface TaskTagOptions {
  readonly impure: boolean
  readonly retries?: number
  readonly timeoutMs?: number
  readonly priority?: number
  /** `nocache`: never cache this task's result (`cache: false`). */
  readonly nocache?: boolean
  /** `env=API_URL,REGION`: environment variables the result depends on (`cacheInputs.env`). */
  readonly env?: ReadonlyArray<string>
}

/** A tag that cannot be read: the offset of the option in the tag's text, what is wrong, how to fix it. */
export interface OptionProblem {
  readonly offset: number
  readonly message: string
  readonly hint: string
}

const knownOptions = ["impure", "nocache", "retries", "timeout", "priority", "env"]
const usage = "write options as `@task impure retries=3 timeout=10s priority=1`"
/** `key`, `key=value` (a value may be quoted), or anything else that is not a space. */
const tokenPattern = /(\w+)(?:=("[^"]*"|'[^']*'|\S*))?|\S+/g

type Token = RegExpMatchArray
type MutableOptions = { -readonly [K in keyof TaskTagOptions]: TaskTagOptions[K] }
/** What reading one option gave: a problem (message and hint), or how many extra tokens it used. */
type OptionRead = { readonly message: string; readonly hint: string } | { readonly extra: number }

/**
 * Parses the text after `@task`: `impure`, `retries=N`, `timeout=DURATION` (`10s`, `"10 seconds"`,
 * or `10 seconds`), `priority=N`, `nocache`, `env=A,B`, separated by spaces, each at most once.
 */
export function parseTaskTag(text: string): { options: TaskTagOptions } | { problem: OptionProblem } {
  const options: MutableOptions = { impure: false }
  const seen = new Set<string>()
  const tokens = [...text.matchAll(tokenPattern)]
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]
    const read = readToken(token, tokens[i + 1], seen, options)
    if ("message" in read) return { problem: { offset: token.index ?? 0, message: read.message, hint: read.hint } }
    i += read.extra
  }
  return { options }
}

/** Reads one `key[=value]` token into `options` (`next` is the token after it, for `timeout=10 seconds`). */
function readToken(token: Token, next: Token | undefined, seen: Set<string>, options: MutableOptions): OptionRead {
  const key = token[1]
  if (key === undefined) return { message: `@task option "${token[0]}" cannot be read`, hint: usage }
  if (!knownOptions.includes(key))
    return { message: `unknown @task option "${key}"`, hint: `the options are ${knownOptions.join(", ")}: ${usage}` }
  if (seen.has(key)) return { message: `@task option "${key}" is given twice`, hint: "keep one of them" }
  seen.add(key)
  const value = token[2]
  if (key === "impure" || key === "nocache") {
    if (value !== undefined)
      return { message: `@task option "${key}" takes no value, got "${token[0]}"`, hint: `write \`@task ${key}\`` }
    if (key === "impure") options.impure = true
    else options.nocache = true
    return { extra: 0 }
  }
  if (value === undefined || value === "")
    return { message: `@task option "${key}" needs a value`, hint: `write ${key}=..., e.g. ${example(key)}` }
  const unquoted = /^["'].*["']$/.test(value) ? value.slice(1, -1) : value
  if (key === "timeout") return readTimeout(unquoted, next, options)
  if (key === "env") return readEnv(unquoted, options)
  return key === "retries" ? readRetries(unquoted, options) : readPriority(unquoted, options)
}

/** `timeout=10s`, `timeout="10 seconds"`, or `timeout=10 seconds` (a bare number, then a unit word: one extra token). */
function readTimeout(value: string, next: Token | undefined, options: MutableOptions): OptionRead {
  const unitFollows =
    /^\d+(\.\d+)?$/.test(value) &&
    next !== undefined &&
    next[1] !== undefined &&
    next[2] === undefined &&
    !knownOptions.includes(next[1])
  const duration = unitFollows ? `${value} ${next[0]}` : value
  try {
    options.timeoutMs = parseDuration(duration, "timeout")
  } catch {
    return {
      message: `@task timeout "${duration}" is not a duration`,
      hint: `give a duration with a unit, e.g. ${example("timeout")}`
    }
  }
  return { extra: unitFollows ? 1 : 0 }
}

function readRetries(value: string, options: MutableOptions): OptionRead {
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    return { message: `@task retries "${value}" is not a whole number >= 0`, hint: `write e.g. ${example("retries")}` }
  options.retries = n
  return { extra: 0 }
}

function readPriority(value: string, options: MutableOptions): OptionRead {
  const n = Number(value)
  if (!/^-?\d+(\.\d+)?$/.test(value) || !Number.isFinite(n))
    return { message: `@task priority "${value}" is not a number`, hint: `write e.g. ${example("priority")}` }
  options.priority = n
  return { extra: 0 }
}

/** `env=API_URL,REGION`: names of environment variables, each once. */
function readEnv(value: string, options: MutableOptions): OptionRead {
  const names = value.split(",")
  if (names.some((name) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)))
    return {
      message: `@task env "${value}" is not a list of environment variable names`,
      hint: `write e.g. ${example("env")}`
    }
  options.env = [...new Set(names)]
  return { extra: 0 }
}

const example = (key: string): string =>
  key === "retries"
    ? "retries=3"
    : key === "timeout"
      ? 'timeout=10s or timeout="10 seconds"'
      : key === "env"
        ? "env=API_URL or env=API_URL,REGION"
        : "priority=1"
