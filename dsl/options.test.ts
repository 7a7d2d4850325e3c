import { describe, expect } from "vitest"
import { fc, test } from "@fast-check/vitest"
import { mergeTaskOptions, validateTaskOptions, type TaskOptions } from "./options.js"

const validate = (options: unknown) => validateTaskOptions(options, "client.map")

describe("validateTaskOptions: happy paths", () => {
  test("no options, or empty options, give the defaults", () => {
    const defaults = {
      pure: true,
      retries: undefined,
      timeoutMs: undefined,
      priority: 0,
      key: undefined,
      cache: true,
      cacheInputs: undefined
    }
    expect(validate(undefined)).toEqual(defaults)
    expect(validate({})).toEqual(defaults)
    expect(
      validate({ pure: undefined, retries: undefined, timeout: undefined, priority: undefined, key: undefined })
    ).toEqual(defaults)
  })

  test("every option at once", () => {
    expect(validate({ pure: false, retries: 3, timeout: "10 seconds", priority: -2.5, key: "inc-1" })).toEqual({
      pure: false,
      retries: { times: 3, delayMs: 0, backoff: "constant", while: undefined },
      timeoutMs: 10_000,
      priority: -2.5,
      key: "inc-1",
      cache: true,
      cacheInputs: undefined
    })
  })

  test("retries: 0 and a policy of 0 times mean no retries", () => {
    expect(validate({ retries: 0 }).retries).toBeUndefined()
    expect(validate({ retries: { times: 0, delay: "1s" } }).retries).toBeUndefined()
  })

  test("a retry policy is normalized: delay in ms, backoff defaulted, while kept", () => {
    const accept = (error: unknown) => error instanceof RangeError
    expect(validate({ retries: { times: 2, delay: "1.5 s", backoff: "exponential", while: accept } }).retries).toEqual({
      times: 2,
      delayMs: 1500,
      backoff: "exponential",
      while: accept
    })
    expect(validate({ retries: { times: 1, delay: 20 } }).retries).toEqual({
      times: 1,
      delayMs: 20,
      backoff: "constant",
      while: undefined
    })
  })

  test("timeout accepts milliseconds and duration strings", () => {
    expect(validate({ timeout: 250 }).timeoutMs).toBe(250)
    expect(validate({ timeout: 0.5 }).timeoutMs).toBe(0.5)
    expect(validate({ timeout: "2m" }).timeoutMs).toBe(120_000)
  })

  test.prop([fc.nat({ max: 1000 }), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true })])(
    "valid options validate and keep their values",
    (retries, pure, priority) => {
      const normalized = validate({ retries, pure, priority })
      expect(normalized.pure).toBe(pure)
      expect(normalized.priority).toBe(priority)
      expect(normalized.retries?.times).toBe(retries === 0 ? undefined : retries)
    }
  )
})

describe("validateTaskOptions: errors", () => {
  const fails = (options: unknown, message: RegExp) => {
    expect(() => validate(options)).toThrow(TypeError)
    expect(() => validate(options)).toThrow(message)
  }

  test("options that are not an object", () => {
    fails(null, /^client\.map: options must be an object such as \{ retries: 3.*got null/)
    fails(3, /options must be an object .*got 3\./)
    fails("pure", /options must be an object .*got the string "pure"/)
    fails([1], /options must be an object .*got an array/)
  })

  test("an unknown option is named, with the valid ones and a suggestion", () => {
    fails(
      { retry: 3 },
      /client\.map: unknown option "retry" \(did you mean "retries"\?\)\. Valid options are: pure, retries, timeout, priority, key, cache, cacheInputs\./
    )
    fails({ timout: 5 }, /unknown option "timout" \(did you mean "timeout"\?\)/)
    fails({ workers: ["a"] }, /unknown option "workers"\. Valid options are: pure, retries, timeout, priority, key/)
    fails({ prio: 1 }, /unknown option "prio" \(did you mean "priority"\?\)/)
    fails({ Pure: true }, /unknown option "Pure" \(did you mean "pure"\?\)/)
  })

  test("pure that is not a boolean", () => {
    fails({ pure: "false" }, /option "pure" must be true or false, got the string "false"/)
    fails({ pure: 0 }, /option "pure" must be true or false, got 0/)
  })

  test("retries that are negative, fractional, NaN or of the wrong type", () => {
    fails({ retries: -1 }, /client\.map: option "retries" must be a whole number >= 0 .* got -1\./)
    fails({ retries: 1.5 }, /option "retries" must be a whole number >= 0 .* got 1\.5/)
    fails({ retries: Number.NaN }, /option "retries" .* got NaN/)
    fails({ retries: Infinity }, /option "retries" .* got Infinity/)
    fails({ retries: "3" }, /option "retries" .* got the string "3"/)
    fails({ retries: null }, /option "retries" .* got null/)
    fails({ retries: [3] }, /option "retries" .* got an array/)
  })

  test("a retry policy with bad fields", () => {
    fails({ retries: {} }, /option "retries\.times" must be a whole number >= 0 .*got undefined/)
    fails({ retries: { times: -2 } }, /option "retries\.times" .*got -2/)
    fails({ retries: { times: 2.5 } }, /option "retries\.times" .*got 2\.5/)
    fails({ retries: { times: 1, delay: -5 } }, /client\.map: option "retries\.delay": expected a duration, got -5/)
    fails({ retries: { times: 1, delay: "soon" } }, /option "retries\.delay": cannot read the duration "soon"/)
    fails({ retries: { times: 1, delay: {} } }, /option "retries\.delay": expected a duration, got an object/)
    fails(
      { retries: { times: 1, backoff: "linear" } },
      /option "retries\.backoff" must be "constant" or "exponential", got the string "linear"/
    )
    fails({ retries: { times: 1, while: true } }, /option "retries\.while" must be a function .*got true/)
    fails(
      { retries: { times: 1, tries: 2 } },
      /unknown retry policy field "tries" \(did you mean "times"\?\)\. Valid retry policy fields are: times, delay, backoff, while\./
    )
  })

  test("timeout that is not positive, not finite or not a duration", () => {
    fails(
      { timeout: 0 },
      /option "timeout" must be a positive number of milliseconds or a duration such as "10 seconds", got 0/
    )
    fails({ timeout: -1 }, /option "timeout" .*got -1/)
    fails({ timeout: Infinity }, /option "timeout" .*got Infinity/)
    fails({ timeout: Number.NaN }, /option "timeout" .*got NaN/)
    fails({ timeout: "0 s" }, /option "timeout" .*got the string "0 s"/)
    fails({ timeout: "fast" }, /client\.map: option "timeout": cannot read the duration "fast"/)
    fails({ timeout: "10" }, /option "timeout": the duration has no unit in "10"/)
    fails({ timeout: true }, /option "timeout" .*got true/)
  })

  test("priority that is not a finite number", () => {
    fails({ priority: "high" }, /option "priority" must be a finite number .*got the string "high"/)
    fails({ priority: Infinity }, /option "priority" .*got Infinity/)
    fails({ priority: Number.NaN }, /option "priority" .*got NaN/)
  })

  test("key that is not a non-empty string", () => {
    fails({ key: "" }, /option "key" must be a non-empty string, got the string ""/)
    fails({ key: 5 }, /option "key" must be a non-empty string, got 5/)
    fails({ key: ["a"] }, /option "key" .*got an array/)
  })

  test("messages name the call", () => {
    expect(() => validateTaskOptions({ retries: -1 }, "task(load)")).toThrow(/^task\(load\): option "retries"/)
  })
})

describe("mergeTaskOptions", () => {
  test("the override wins, one level deep", () => {
    const base: TaskOptions = { retries: { times: 5, delay: "1s" }, priority: 1, pure: false }
    const override: TaskOptions = { retries: 2, timeout: "5s" }
    expect(mergeTaskOptions(base, override)).toEqual({ retries: 2, priority: 1, pure: false, timeout: "5s" })
  })

  test("a policy is replaced whole, not merged", () => {
    expect(mergeTaskOptions({ retries: { times: 5, delay: 100 } }, { retries: { times: 1 } })).toEqual({
      retries: { times: 1 }
    })
  })

  test("an option set to undefined in the override keeps the base's", () => {
    expect(mergeTaskOptions({ priority: 3 }, { priority: undefined, pure: false })).toEqual({
      priority: 3,
      pure: false
    })
  })

  test("missing sides", () => {
    expect(mergeTaskOptions(undefined, undefined)).toEqual({})
    expect(mergeTaskOptions({ priority: 1 }, undefined)).toEqual({ priority: 1 })
    expect(mergeTaskOptions(undefined, { priority: 2 })).toEqual({ priority: 2 })
  })

  test("does not change its arguments", () => {
    const base = Object.freeze({ priority: 1 })
    const override = Object.freeze({ pure: false })
    mergeTaskOptions(base, override)
    expect(base).toEqual({ priority: 1 })
    expect(override).toEqual({ pure: false })
  })

  test("an override that is not an object is handed on, so that validation reports it", () => {
    const merged = mergeTaskOptions({ priority: 1 }, 5 as unknown as TaskOptions)
    expect(() => validateTaskOptions(merged, "client.submit")).toThrow(
      /client\.submit: options must be an object .*got 5/
    )
  })

  test("unknown keys survive the merge and are reported by validation", () => {
    const merged = mergeTaskOptions({ priority: 1 }, { retry: 2 } as unknown as TaskOptions)
    expect(() => validateTaskOptions(merged, "client.map")).toThrow(/unknown option "retry"/)
  })
})

describe("the 'got' part of a message", () => {
  // Any string given where a number is expected is said to be a string: `workers: "4"` must not
  // read as if 4 itself were refused.
  test.prop([fc.string({ maxLength: 60 }), fc.constantFrom("retries", "priority", "times")])(
    "says a string is a string",
    (text, option) => {
      const options = option === "times" ? { retries: { times: text } } : { [option]: text }
      expect(() => validate(options)).toThrow(`, got the string ${JSON.stringify(text)}.`)
    }
  )
})

describe("where key does not apply", () => {
  const noKey = 'the "key" option names one call; a delayed function makes many.'
  test.prop([fc.constantFrom("retry", "keys", "prio", "timeOut")])("the valid options listed leave key out", (name) => {
    expect(() => validateTaskOptions({ [name]: 1 }, "delayed(inc)", noKey)).toThrow(
      /Valid options are: pure, retries, timeout, priority, cache, cacheInputs\.$/
    )
    expect(() => validate({ [name]: 1 })).toThrow(
      /Valid options are: pure, retries, timeout, priority, key, cache, cacheInputs\.$/
    )
  })

  test("a key is refused with the reason given, and an undefined key counts as not given", () => {
    expect(() => validateTaskOptions({ key: "k" }, "delayed(inc)", noKey)).toThrow(`delayed(inc): ${noKey}`)
    expect(validateTaskOptions({ key: undefined, priority: 1 }, "delayed(inc)", noKey).priority).toBe(1)
  })
})
