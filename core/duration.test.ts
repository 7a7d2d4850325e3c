import { describe, expect } from "vitest"
import { fc, test } from "@fast-check/vitest"
import { describeValue, parseBytes, parseDuration } from "./duration.js"

describe("parseDuration", () => {
  test.each([
    [0, 0],
    [1500, 1500],
    [0.5, 0.5],
    ["10 seconds", 10_000],
    ["10s", 10_000],
    ["10 S", 10_000],
    ["500ms", 500],
    ["500 ms", 500],
    ["0.01 s", 10],
    [".5s", 500],
    ["1.5 minutes", 90_000],
    ["2m", 120_000],
    ["2 mins", 120_000],
    ["1 hour", 3_600_000],
    ["2hr", 7_200_000],
    ["1 day", 86_400_000],
    ["3 d", 259_200_000],
    ["100 millis", 100],
    ["250 micros", 0.25],
    ["250us", 0.25],
    ["250µs", 0.25],
    ["250μs", 0.25],
    ["1000000 ns", 1],
    ["5 nanoseconds", 0.000005],
    ["  7 Seconds  ", 7000],
    ["1 sec", 1000]
  ] as const)("%j is %d ms", (input, ms) => {
    expect(parseDuration(input, "timeout")).toBeCloseTo(ms, 12)
  })

  test.prop([fc.double({ min: 0, max: 1e12, noNaN: true }), fc.constantFrom("ms", "s", "m", "h", "d")])(
    "a number with a unit is that many units",
    (n, unit) => {
      const factors: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
      const factor = factors[unit]
      const text = n.toFixed(3)
      expect(parseDuration(`${text} ${unit}`, "x")).toBeCloseTo(Number(text) * factor, 3)
    }
  )

  test.each([
    [-1, /timeout: expected a duration, got -1; give a number of milliseconds/],
    [Number.NaN, /expected a duration, got NaN/],
    [Infinity, /expected a duration, got Infinity/],
    ["", /timeout: cannot read the duration ""; give .*"10 seconds"/],
    ["ten seconds", /cannot read the duration "ten seconds"/],
    ["-5s", /cannot read the duration "-5s"/],
    ["5", /the duration has no unit in "5"/],
    ["5 parsecs", /unknown unit "parsecs" in "5 parsecs"/],
    ["5 s s", /cannot read the duration "5 s s"/],
    ["1e3s", /unknown unit "e" in "1e3s"|cannot read the duration "1e3s"/]
  ] as const)("%j is refused", (input, message) => {
    expect(() => parseDuration(input, "timeout")).toThrow(TypeError)
    expect(() => parseDuration(input, "timeout")).toThrow(message)
  })

  test("a value of the wrong type is refused with its kind", () => {
    expect(() => parseDuration({} as never, "retries.delay")).toThrow(
      /retries\.delay: expected a duration, got an object/
    )
    expect(() => parseDuration(null as never, "x")).toThrow(/got null/)
  })

  test("a duration too large to represent is refused", () => {
    expect(() => parseDuration(`${"9".repeat(400)} days`, "x")).toThrow(/too large/)
  })
})

describe("parseBytes", () => {
  test.each([
    [1, 1],
    [1.5e9, 1.5e9],
    ["512 MB", 512e6],
    ["512MB", 512e6],
    ["512mb", 512e6],
    ["1.5 GiB", 1.5 * 2 ** 30],
    ["100 kB", 100_000],
    ["100 KiB", 102_400],
    ["2 GB", 2e9],
    ["3 TB", 3e12],
    ["1 TiB", 2 ** 40],
    ["4 MiB", 4 * 2 ** 20],
    ["2 PB", 2e15],
    ["10 B", 10],
    ["10 bytes", 10],
    ["1000", 1000],
    ["2k", 2000],
    ["1.5 B", 1],
    [" 8 GB ", 8e9]
  ] as const)("%j is %d bytes", (input, bytes) => {
    expect(parseBytes(input, "memoryLimit")).toBe(bytes)
  })

  test.each([
    [0, /memoryLimit: expected a size in bytes, got 0; give a positive number of bytes or a string such as "512 MB"/],
    [-5, /expected a size in bytes, got -5/],
    [Number.NaN, /got NaN/],
    [Infinity, /got Infinity/],
    ["", /cannot read the size ""/],
    ["lots", /cannot read the size "lots"/],
    ["-1 GB", /cannot read the size "-1 GB"/],
    ["5 XB", /unknown unit "XB" in "5 XB"/],
    ["0 MB", /less than one byte: "0 MB"/],
    ["0.5 B", /less than one byte/]
  ] as const)("%j is refused", (input, message) => {
    expect(() => parseBytes(input, "memoryLimit")).toThrow(TypeError)
    expect(() => parseBytes(input, "memoryLimit")).toThrow(message)
  })

  test("a value of the wrong type is refused with its kind", () => {
    expect(() => parseBytes([] as never, "memoryLimit")).toThrow(/memoryLimit: expected a size in bytes, got an array/)
  })
})

describe("describeValue", () => {
  test("describes a bad value briefly", () => {
    expect(describeValue("a")).toBe('"a"')
    expect(describeValue("x".repeat(100))).toMatch(/^"x{57}\.\.\."$/)
    expect(describeValue(-0)).toBe("-0")
    expect(describeValue(3n)).toBe("3n")
    expect(describeValue(undefined)).toBe("undefined")
    expect(describeValue(null)).toBe("null")
    expect(describeValue(false)).toBe("false")
    expect(describeValue(Symbol("s"))).toBe("Symbol(s)")
    expect(describeValue(function f() {})).toBe("the function f")
    expect(describeValue(() => 1)).toBe("a function")
    expect(describeValue([1])).toBe("an array")
    expect(describeValue({})).toBe("an object")
    expect(describeValue(Object.create(null))).toBe("an object")
    expect(describeValue(new Map())).toBe("a Map")
  })
})
