/** Bad cache options fail at once with a TypeError naming what is wrong; nothing is left running. */
import { describe, expect, test } from "vitest"
import { Client } from "weft"

describe("cache options", () => {
  test.each([
    [{ cache: "yes" }, /cache must be true, false or an object \{ dir, maxSize \}, got the string "yes"/],
    [{ cache: { folder: "x" } }, /unknown cache option "folder"; the options are dir and maxSize/],
    [{ cache: { dir: "" } }, /cache\.dir must be a non-empty path/],
    [{ cache: { maxSize: "lots" } }, /cache\.maxSize/],
    [{ cache: { maxSize: -1 } }, /cache\.maxSize/]
  ])("Client.local(%j) rejects", async (options, message) => {
    await expect(Client.local({ workers: 0, ...(options as object) })).rejects.toThrow(message)
    await expect(Client.local({ workers: 0, ...(options as object) })).rejects.toBeInstanceOf(TypeError)
  })

  test.each([
    [{ cache: 1 }, /option "cache" must be true or false/],
    [{ cacheInputs: ["x"] }, /option "cacheInputs" must be an object such as/],
    [
      { cacheInputs: { env: "API_URL" } },
      /option "cacheInputs\.env" must be an array of non-empty strings, got the string "API_URL"/
    ],
    [{ cacheInputs: { files: [""] } }, /option "cacheInputs\.files" must be an array of non-empty strings/],
    [{ cacheInputs: { envs: ["A"] } }, /unknown cacheInputs field "envs" \(did you mean "env"\?\)/]
  ])("client.with(%j) throws", async (options, message) => {
    const client = await Client.local({ workers: 0 })
    try {
      expect(() => client.with(options as never).submit((x: number) => x, 1)).toThrow(message)
    } finally {
      await client.close()
    }
  })
})
