/**
 * Dask's "Futures - non-blocking distributed calculations" tutorial, in weft.
 * Run it with `npm run demo`.
 */
import { asCompleted, Client, progress, wait } from "weft"
import { add, flakyInc, inc, sum } from "./tutorial-tasks.js"

const log = (...parts: unknown[]) => console.log(...parts)
const time = async <T>(label: string, f: () => Promise<T>): Promise<T> => {
  const start = performance.now()
  const value = await f()
  log(`   (${label}: ${((performance.now() - start) / 1000).toFixed(2)} s)`)
  return value
}

// client = Client(n_workers=4); or, run by examples/cluster.ts, Client("tcp://...") on a cluster
const clusterUrl = process.env.WEFT_CLUSTER_URL
await using client = clusterUrl ? await Client.connect(clusterUrl) : await Client.local({ workers: 4 })
log(clusterUrl ? `Connected to the cluster's Redis.\n` : "Started a local cluster with 4 workers.\n")

// future = client.submit(inc, 1)  # returns immediately with pending future
log("## Basics: submit returns at once with a pending future")
const future = client.submit(inc, 1)
log(`client.submit(inc, 1) -> ${future}`)
log(`await future.result() -> ${await time("waited", () => future.result())}`)
log(`the future now reads  -> ${future}\n`)

// Submitting the same pure call again takes no time: the cluster knows its key.
const again = client.submit(inc, 1)
log(`submit(inc, 1) again  -> same key: ${again.key === future.key}, ${await time("cached", () => again.result())}\n`)

// x = inc(1); y = inc(2); z = add(x, y)  -- futures passed to other tasks, never pulled locally
log("## Futures as arguments: the computation moves to the data")
const x = client.submit(inc, 1)
const y = client.submit(inc, 2)
const z = client.submit(add, x, y)
log(`z = add(inc(1), inc(2)) -> ${await z.result()}`)
const total = client.submit(sum, [x, y])
log(`sum([x, y]) with futures inside a list -> ${await total.result()}\n`)

// Many tasks at once, gathered in one call
log("## map and gather")
const squares = client.map((n: number) => n * n, [1, 2, 3, 4, 5])
log(`client.map(n => n * n, [1..5]) then gather -> ${JSON.stringify(await client.gather(squares))}\n`)

// Other ways to wait: wait, progress, asCompleted
log("## Waiting: wait, progress and asCompleted")
const batch = client.map(inc, [10, 20, 30, 40])
const { done, notDone } = await wait(batch, { returnWhen: "FIRST_COMPLETED" })
log(`wait(..., FIRST_COMPLETED) -> ${done.length} done, ${notDone.length} not done yet`)
await progress([...batch, client.map(inc, [50, 60, 70, 80])])
for await (const [f, value] of asCompleted(client.map(inc, [1, 2, 3]), { withResults: true })) {
  log(`asCompleted: ${f.key.slice(0, 12)}... -> ${value}`)
}
log("")

// futures = client.map(flaky_inc, range(10)); some of them fail
log("## A sporadically failing task")
const range10 = Array.from({ length: 10 }, (_, i) => i)
const flaky = client.map(flakyInc, range10, { pure: false })
await wait(flaky)
log(flaky.map((f, i) => `${i} ${f.status}`).join("\n"))
const failed = flaky.filter((f) => f.status === "error")
if (failed.length > 0) log(`the first failure: ${(await failed[0].exception())?.message}`)

// You can rerun those specific futures to try to get the task to successfully complete
await client.retry(failed)
await wait(flaky)
log(`after client.retry(failed): ${flaky.map((f) => f.status).join(", ")}`)

// futures = client.map(flaky_inc, range(10), retries=5, pure=False)
log("\n## The same with retries=5 and pure=false")
const sturdy = client.map(flakyInc, range10, { retries: 5, pure: false })
const sturdyTotal = client.submit(sum, sturdy)
log(`sum of flakyInc over range(10) with retries -> ${await sturdyTotal.result()}`)
log(sturdy.map((f, i) => `${i} ${f.status}`).join("\n"))

log(`\nThe cluster holds ${client.heldKeys().length} results; closing the client releases them.`)
