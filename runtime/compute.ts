/**
 * `compute(...)` and `persist(...)` (like `dask.compute` and `dask.persist`), and what runs
 * `Delayed.compute()` / `Delayed.persist()`: the default client, or, when none is started, a
 * client in this process with no workers.
 *
 * @module
 */
import { setGraphRunner } from "../dsl/delayed.js"
import { Client } from "./Client.js"
import { inProcessClient } from "./internal/client-engine.js"
import { expandFanOutsIn } from "./internal/fan-out.js"
import { fanOutsMade } from "../dsl/graph-module.js"
import type { ComputedValue } from "./types.js"

let inProcess: Client | undefined

/** The default client, or the in-process one (made on first use; it has no workers, so it keeps nothing alive). */
const clientForGraphs = (): Client => Client.current() ?? (inProcess ??= inProcessClient<Client>())

/**
 * The values of the Delayeds in each argument (a Delayed, or arrays and plain objects of them),
 * computed together so that shared inputs run once: `const [a, b] = await compute(x, y)`.
 * Other values pass through; Futures give their values.
 */
export function compute<A extends unknown[]>(...xs: A): Promise<{ -readonly [K in keyof A]: ComputedValue<A[K]> }> {
  const client = clientForGraphs()
  // A compiled graph's run-time fan-out (a .map over a task's result) is expanded first.
  if (fanOutsMade() > 0)
    return expandFanOutsIn(client, xs).then(({ value, release }) =>
      client.gather(client.compute(value)).finally(release)
    ) as never
  return client.gather(client.compute(xs)) as Promise<{ -readonly [K in keyof A]: ComputedValue<A[K]> }>
}

/** Starts computing the Delayeds in each argument and returns at once the same values backed by running Futures. */
export function persist<A extends unknown[]>(...xs: A): A {
  return clientForGraphs().persist(xs) as A
}

setGraphRunner({
  compute: (delayed) => compute(delayed).then(([value]) => value),
  persist: (delayed) => persist(delayed)[0]
})
