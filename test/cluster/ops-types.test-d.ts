/** Types of the cluster's logs and limits (issue 14): `forwardLogs`, `TaskLogLine`, `ValueTooLargeError`. */
import { describe, expectTypeOf, test } from "vitest"
import { Client, ValueTooLargeError, type ConnectOptions, type TaskLogLine } from "weft"

describe("cluster logs and limits types", () => {
  test("forwardLogs takes a boolean or a function of each line", () => {
    expectTypeOf<ConnectOptions["forwardLogs"]>().toEqualTypeOf<boolean | ((line: TaskLogLine) => void) | undefined>()
    expectTypeOf(Client.connect).toBeCallableWith("redis://127.0.0.1:6379", { forwardLogs: true })
    expectTypeOf(Client.connect).toBeCallableWith("redis://127.0.0.1:6379", {
      forwardLogs: (line: TaskLogLine) => void line.text
    })
  })

  test("a forwarded line says which task, worker and stream", () => {
    expectTypeOf<TaskLogLine>().toEqualTypeOf<{
      readonly key: string
      readonly worker: string
      readonly stream: "stdout" | "stderr"
      readonly text: string
    }>()
  })

  test("ValueTooLargeError names the key, the size and the limit", () => {
    const error = new ValueTooLargeError("k", 2, 1, "result")
    expectTypeOf(error).toMatchTypeOf<Error>()
    expectTypeOf(error._tag).toEqualTypeOf<"ValueTooLarge">()
    expectTypeOf(error.key).toEqualTypeOf<string>()
    expectTypeOf(error.bytes).toEqualTypeOf<number>()
    expectTypeOf(error.limit).toEqualTypeOf<number>()
    expectTypeOf(error.what).toEqualTypeOf<"result" | "arguments" | "scattered value">()
  })
})
