/**
 * A value over Redis's limit for one string (`proto-max-bulk-len`, 512 MB) is refused before it is
 * written, with a `ValueTooLargeError` naming the key, the size and the limit (issue 14). The limit
 * is lowered to 1 MB here (`WEFT_MAX_VALUE_BYTES`, which the worker processes inherit), so that the
 * test allocates a few MB, not 512. Real redis-server and `weft worker` processes.
 */
import { afterAll, describe, expect, test } from "vitest"
import { allKeys, useCluster } from "./helpers.js"
import { engineOf } from "../../dist/runtime/internal/client-engine.js"
import { ValueTooLargeError } from "../../dist/runtime/index.js"

const limit = 1024 * 1024
process.env.WEFT_MAX_VALUE_BYTES = String(limit)
afterAll(() => {
  delete process.env.WEFT_MAX_VALUE_BYTES
})

const cluster = useCluster({ workers: 2, threads: 1 })

const clientIdOf = (client: unknown): string =>
  (engineOf(client as never).executor as unknown as { clientId: string }).clientId

describe("values over Redis's limit", () => {
  test("a result just over the limit fails its task with ValueTooLargeError naming key, size and limit", async () => {
    const client = await cluster().connect()
    const big = client.submit((n: number) => new Uint8Array(n), limit + 1)
    const small = client.submit((n: number) => new Uint8Array(n).length, limit - 1_000)
    const error = await big.exception()
    expect(error).toBeInstanceOf(ValueTooLargeError)
    expect((error as { _tag?: string })._tag).toBe("ValueTooLarge")
    expect(error?.message).toMatch(new RegExp(`^The result of ${big.key} serializes to 10\\d{5} bytes \\(1\\.0 MB\\)`))
    expect(error?.message).toContain(`over the ${limit}-byte (1.0 MB) limit of one Redis value`)
    expect(await small.result()).toBe(limit - 1_000)
    // Nothing was written for it.
    expect(await allKeys(cluster().inspect(), `weft:r:${clientIdOf(client)}:${big.key}`)).toEqual([])
    await client.close()
  })

  test("arguments just over the limit are refused before they are queued; tasks batched with them still run", async () => {
    const client = await cluster().connect()
    const fs = client.map((a: Uint8Array) => a.length, [new Uint8Array(10), new Uint8Array(limit), new Uint8Array(20)])
    const error = await fs[1].exception()
    expect(error).toBeInstanceOf(ValueTooLargeError)
    expect(error?.message).toMatch(new RegExp(`^The arguments of ${fs[1].key} serialize to \\d+ bytes`))
    expect(await fs[0].result()).toBe(10)
    expect(await fs[2].result()).toBe(20)
    await client.close()
  })

  test("a scattered value over the limit is refused with ValueTooLargeError, as a result is; nothing is stored", async () => {
    const client = await cluster().connect()
    const id = clientIdOf(client)
    let error: unknown
    try {
      client.scatter(new Uint8Array(limit + 1))
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ValueTooLargeError)
    expect((error as ValueTooLargeError).what).toBe("scattered value")
    expect((error as Error).message).toMatch(
      /^The scattered value of Uint8Array-\S+ serializes to 10\d{5} bytes \(1\.0 MB\)/
    )
    // scatterMany refuses the whole list: none of it is stored or held.
    expect(() => client.scatterMany([new Uint8Array(10), new Uint8Array(limit + 1)])).toThrow(ValueTooLargeError)
    expect(client.heldKeys()).toEqual([])
    expect(await allKeys(cluster().inspect(), `weft:r:${id}:*`)).toEqual([])
    // A value under the limit is scattered and used as before.
    const small = client.scatter(new Uint8Array(limit - 1_000))
    expect(await client.submit((a: Uint8Array) => a.length, small).result()).toBe(limit - 1_000)
    await client.close()
  })
})
