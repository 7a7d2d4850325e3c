/**
 * Dask's "Managing Computation" page, in weft: the three states of data (concrete values, lazy
 * graphs, Futures) and every conversion between them. Run with `npm run demo`.
 */
import { Client, compute, delayed } from "weft"
import { add, inc, sum } from "./tutorial-tasks.js"

const log = (...parts: unknown[]) => console.log(...parts)
const product = (xs: number[]) => xs.reduce((a, b) => a * b, 1)

await using client = await Client.local({ workers: 4 })
log("# Managing Computation\n")

// Lazy computations: building a graph runs nothing.
const x = delayed(inc)(1)
const y = delayed(inc)(2)
const z = delayed(add)(x, y)
log(`A lazy graph: z = ${z}`)
log(`z.graph() ->`, z.graph())
log(`z.toMermaid() ->\n${z.toMermaid()}`)

// Dask collections to concrete values: .compute() or compute(...)
log("## Collections to concrete values")
log(`await z.compute() -> ${await z.compute()}`)
log(`await compute(x, y, z) -> ${JSON.stringify(await compute(x, y, z))}\n`)

// Dask collections to futures: client.compute and client.persist return at once
log("## Collections to Futures")
const total = client.compute(z)
log(`client.compute(z) -> ${total} (same key as z: ${total.key === z.key})`)
log(`await total.result() -> ${await total.result()}`)
const persisted = client.persist(z)
log(`client.persist(z) -> ${persisted}, whose graph now holds a Future:`, persisted.graph(), "\n")

// Concrete values to futures: scatter, submit, map
log("## Concrete values to Futures")
const data = client.scatter([1, 2, 3])
const one = client.submit(sum, data)
const many = client.map(inc, [1, 2, 3])
log(`scatter -> ${data}; submit(sum, data) -> ${await one.result()}; map(inc, [1, 2, 3]) -> ${many.length} futures\n`)

// Futures to concrete values: result and gather
log("## Futures to concrete values")
log(
  `future.result() -> ${await one.result()}; client.gather(futures) -> ${JSON.stringify(await client.gather(many))}\n`
)

// Futures to collections: delayed calls on Futures; their tasks are not run again
log("## Futures to collections")
const futures = client.map(inc, [0, 1, 2, 3])
const s = delayed(sum)(futures)
const p = delayed(product)(futures)
const both = client.compute(delayed(add)(s, p))
log(`x = delayed(sum)(futures); y = delayed(product)(futures); client.compute(x + y) -> ${await both.result()}`)
