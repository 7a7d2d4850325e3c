import { test } from "vitest"
import { inc } from "../fixtures/client-tasks.js"
import { startCluster } from "./helpers.js"

test("probe", async () => {
  const t0 = Date.now()
  const cluster = await startCluster()
  console.log("cluster", Date.now() - t0)
  const client = await cluster.connect()
  console.log("connect", Date.now() - t0)
  const fs = client.map(inc, [1, 2, 3, 4, 5])
  for (const f of fs) f.onDone(() => console.log("done", f.key.slice(0, 8), Date.now() - t0))
  console.log(await client.gather(fs), Date.now() - t0)
  const g = client.map(inc, [11, 12, 13, 14, 15])
  console.log(await client.gather(g), Date.now() - t0)
  const h = client.submit((x: number) => x * 2, 4)
  console.log(await h.result(), Date.now() - t0)
  await cluster.stop()
  for (const w of cluster.workers) console.log(w.output())
}, 60_000)
