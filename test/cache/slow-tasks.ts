/**
 * Inline tasks the cache tests share: each runs 12 ms, past the write rule's 10 ms, so its result
 * is always written (docs/cache.md, "The write rule"). Plain functions: they travel as source.
 */
import { expect } from "vitest"
import type { Client } from "weft"

/** `x * 2`, after 12 ms of work. */
export const slowDouble = (x: number) => {
  const end = Date.now() + 12
  while (Date.now() < end);
  return x * 2
}

/** `a + b`, after 12 ms of work. */
export const slowAdd = (a: number, b: number) => {
  const end = Date.now() + 12
  while (Date.now() < end);
  return a + b
}

/**
 * `x * 2`, after 300 ms of work, appending a line to `file` each time it runs: two clients asking
 * for it at once show whether it ran once or twice. (`getBuiltinModule`: it travels as source.)
 */
export const countedDouble = (file: string, x: number) => {
  const fs = (process as unknown as { getBuiltinModule(id: string): typeof import("node:fs") }).getBuiltinModule(
    "node:fs"
  )
  fs.appendFileSync(file, "ran\n")
  const end = Date.now() + 300
  while (Date.now() < end);
  return x * 2
}

/** About `kb` KB of bytes filled with `n`, after 12 ms of work. */
export const slowBlock = (n: number, kb: number) => {
  const end = Date.now() + 12
  while (Date.now() < end);
  return new Uint8Array(kb * 1000).fill(n)
}

/**
 * The calls the cache must never keep, on `client`: an impure one, one with `cache: false` and one
 * that throws (each past the write rule's 10 ms). Checks the failure; gives the two values, [2, 4].
 */
export const neverCachedCalls = async (client: Client): Promise<number[]> => {
  const impure = client.with({ pure: false }).submit(slowDouble, 1)
  const off = client.with({ cache: false }).submit(slowDouble, 2)
  const failing = client.submit((x: number) => {
    const end = Date.now() + 12
    while (Date.now() < end);
    throw new Error(`no ${x}`)
  }, 3)
  await expect(failing.result()).rejects.toThrow("no 3")
  return [await impure.result(), await off.result()]
}
