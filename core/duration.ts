/**
 * Durations and byte sizes given as numbers or as human strings (`"10 seconds"`, `"512 MB"`), as
 * Dask accepts them for timeouts and memory limits.
 *
 * @module
 */

/** Milliseconds per unit, keyed by the lower-cased unit. */
const durationUnits: Readonly<Record<string, number>> = (() => {
  const table: Record<string, number> = {}
  const add = (ms: number, ...names: string[]) => {
    for (const name of names) table[name] = ms
  }
  add(1e-6, "ns", "nano", "nanos", "nanosecond", "nanoseconds")
  add(1e-3, "us", "µs", "μs", "micro", "micros", "microsecond", "microseconds")
  add(1, "ms", "milli", "millis", "millisecond", "milliseconds")
  add(1000, "s", "sec", "secs", "second", "seconds")
  add(60_000, "m", "min", "mins", "minute", "minutes")
  add(3_600_000, "h", "hr", "hrs", "hour", "hours")
  add(86_400_000, "d", "day", "days")
  return table
})()

/** Bytes per unit, keyed by the lower-cased unit: decimal kB/MB/..., binary KiB/MiB/... */
const byteUnits: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  byte: 1,
  bytes: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  p: 1e15,
  pb: 1e15,
  ki: 2 ** 10,
  kib: 2 ** 10,
  mi: 2 ** 20,
  mib: 2 ** 20,
  gi: 2 ** 30,
  gib: 2 ** 30,
  ti: 2 ** 40,
  tib: 2 ** 40,
  pi: 2 ** 50,
  pib: 2 ** 50
}

/** A non-negative decimal number, optional space, then a unit made of letters (possibly empty). */
const quantity = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zµμ]*)\s*$/i

const durationExample = `a number of milliseconds (>= 0) or a string with a unit such as "10 seconds", "500ms" or "1.5 minutes"`
const bytesExample = `a positive number of bytes or a string such as "512 MB", "1.5 GiB" or "100 kB"`

const badDuration = (what: string, value: unknown, why: string): TypeError =>
  new TypeError(`${what}: ${why} ${describeValue(value)}; give ${durationExample}.`)

const badBytes = (what: string, value: unknown, why: string): TypeError =>
  new TypeError(`${what}: ${why} ${describeValue(value)}; give ${bytesExample}.`)

/**
 * A duration in milliseconds. Numbers are milliseconds (finite, >= 0); strings need a unit:
 * `"10 seconds"`, `"10s"`, `"500 ms"`, `"0.01 s"`, `"1.5 minutes"`, `"2m"`, `"1 hour"`, `"1 day"`
 * (ns, us/µs, ms, s, m, h, d and their long forms, any case). A bare `"500"` is refused because it
 * is ambiguous (Dask reads it as seconds, JavaScript APIs as milliseconds).
 * `what` names the setting in the `TypeError` thrown for anything else.
 */
export const parseDuration = (value: number | string, what: string): number => {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value >= 0) return value
    throw badDuration(what, value, "expected a duration, got")
  }
  if (typeof value !== "string") throw badDuration(what, value, "expected a duration, got")
  const match = quantity.exec(value)
  if (match === null) throw badDuration(what, value, "cannot read the duration")
  const unit = match[2].toLowerCase()
  if (unit === "") throw badDuration(what, value, "the duration has no unit in")
  const factor = durationUnits[unit]
  if (factor === undefined) throw badDuration(what, value, `unknown unit "${match[2]}" in`)
  const ms = Number(match[1]) * factor
  if (!Number.isFinite(ms)) throw badDuration(what, value, "the duration is too large:")
  return ms
}

/**
 * A size in bytes. Numbers are bytes (finite, > 0); strings are a number and an optional unit:
 * `"512 MB"`, `"512MB"`, `"1.5 GiB"`, `"100 kB"` (decimal k/M/G/T/P = 1000^n, binary Ki/Mi/Gi/Ti/Pi
 * = 1024^n, `B` bytes, any case, as in Dask's `parse_bytes`), rounded down to whole bytes.
 * `what` names the setting in the `TypeError` thrown for anything else.
 */
export const parseBytes = (value: number | string, what: string): number => {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value > 0) return value
    throw badBytes(what, value, "expected a size in bytes, got")
  }
  if (typeof value !== "string") throw badBytes(what, value, "expected a size in bytes, got")
  const match = quantity.exec(value)
  if (match === null) throw badBytes(what, value, "cannot read the size")
  const factor = byteUnits[match[2].toLowerCase()]
  if (factor === undefined) throw badBytes(what, value, `unknown unit "${match[2]}" in`)
  const bytes = Math.floor(Number(match[1]) * factor)
  if (!Number.isFinite(bytes)) throw badBytes(what, value, "the size is too large:")
  if (bytes < 1) throw badBytes(what, value, "the size is less than one byte:")
  return bytes
}

/**
 * The "got ..." part of a message about a bad option value: as `describeValue`, but a string says
 * it is one (`got the string "4"`), so that `workers: "4"` does not read as if 4 were refused.
 *
 * @internal
 */
export const describeGot = (value: unknown): string =>
  typeof value === "string" ? `the string ${describeValue(value)}` : describeValue(value)

/**
 * A short description of a bad value for an error message: strings quoted, numbers as written
 * (`-0` kept), objects by kind. Shared by the option validators so that messages read alike.
 *
 * @internal
 */
export const describeValue = (value: unknown): string => {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 60 ? value.slice(0, 57) + "..." : value)
    case "number":
      return Object.is(value, -0) ? "-0" : String(value)
    case "bigint":
      return `${value}n`
    case "undefined":
      return "undefined"
    case "boolean":
      return String(value)
    case "symbol":
      return value.toString()
    case "function":
      return value.name ? `the function ${value.name}` : "a function"
    default: {
      if (value === null) return "null"
      if (Array.isArray(value)) return "an array"
      const proto: unknown = Object.getPrototypeOf(value)
      if (proto === null || proto === Object.prototype) return "an object"
      const name = (proto as { constructor?: { name?: unknown } }).constructor?.name
      return typeof name === "string" && name !== "" ? `a ${name}` : "an object"
    }
  }
}
