/** The result cache's options are typed: these fail to compile when a wrong one is accepted. */
import { describe, expectTypeOf, test } from "vitest"
import {
  Client,
  task,
  type CacheInputs,
  type CacheOptions,
  type ClientOptions,
  type ConnectOptions,
  type RedisCacheOptions,
  type TaskOptions
} from "weft"

declare const client: Client

describe("cache options", () => {
  test("Client.local takes cache: true | false | { dir, maxSize }", () => {
    expectTypeOf<ClientOptions["cache"]>().toEqualTypeOf<boolean | CacheOptions | undefined>()
    expectTypeOf<CacheOptions>().toEqualTypeOf<{ readonly dir?: string; readonly maxSize?: number | string }>()
    void Client.local({ cache: true })
    void Client.local({ workers: 0, cache: { dir: ".weft/cache", maxSize: "2 GB" } })
    void Client.local({ cache: { maxSize: 1e9 } })
    // @ts-expect-error maxSize is bytes or a size string
    void Client.local({ cache: { maxSize: true } })
    // @ts-expect-error unknown cache option
    void Client.local({ cache: { folder: "x" } })
    // @ts-expect-error cache is a boolean or an object
    void Client.local({ cache: "yes" })
  })

  test("Client.connect takes cache: true | false | { maxSize } (kept in the cluster's Redis)", () => {
    expectTypeOf<ConnectOptions["cache"]>().toEqualTypeOf<boolean | RedisCacheOptions | undefined>()
    expectTypeOf<RedisCacheOptions>().toEqualTypeOf<{ readonly maxSize?: number | string }>()
    void Client.connect("redis://127.0.0.1:6379", { cache: { maxSize: "256 MB" } })
    // @ts-expect-error a cluster's cache has no dir: it is in Redis
    void Client.connect("redis://127.0.0.1:6379", { cache: { dir: "x" } })
  })

  test("TaskOptions take cache and cacheInputs", () => {
    expectTypeOf<TaskOptions["cache"]>().toEqualTypeOf<boolean | undefined>()
    expectTypeOf<TaskOptions["cacheInputs"]>().toEqualTypeOf<CacheInputs | undefined>()
    expectTypeOf<CacheInputs>().toEqualTypeOf<{
      readonly files?: ReadonlyArray<string>
      readonly env?: ReadonlyArray<string>
    }>()
    client.with({ cache: false }).submit((x: number) => x, 1)
    task(
      import.meta,
      function fetchIt(url: string) {
        return url
      },
      { cacheInputs: { env: ["API_URL"], files: ["data/config.json"] } }
    )
    // @ts-expect-error env is a list of names
    client.with({ cacheInputs: { env: "API_URL" } })
    // @ts-expect-error cache is a boolean
    client.with({ cache: "no" })
  })
})
