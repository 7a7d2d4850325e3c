import { expect, test } from "vitest"
import { useCluster } from "./helpers.js"

const cluster = useCluster()

test("smoke", async () => {
  const client = await cluster().connect()
  const f = client.submit((x: number) => x + 1, 1)
  expect(await f.result()).toBe(2)
  await client.close()
})
