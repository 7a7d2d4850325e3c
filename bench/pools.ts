/**
 * The two sides of every comparison, on the same number of workers: a weft local cluster and a
 * raw tinypool pool whose worker (`baseline-worker.mjs`) runs the same trivial functions.
 */
import { Tinypool } from "tinypool"
import { Client } from "weft"

/** Workers on each side. */
export const workers = 2

/** The raw tinypool worker module. */
export const baselineWorker = new URL("./baseline-worker.mjs", import.meta.url).href

/** A weft local cluster of `workers` worker threads (resolves once every worker ran a batch). */
export const startWeft = (): Promise<Client> => Client.local({ workers })

/** A raw tinypool pool of `workers` threads, warmed up: every thread has loaded the worker module. */
export async function startTinypool(): Promise<Tinypool> {
  const pool = new Tinypool({
    filename: baselineWorker,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 2 ** 31 - 1
  })
  await Promise.all(Array.from({ length: workers * 2 }, () => pool.run(0)))
  return pool
}

/** Starts both sides, runs `body`, and always stops both (so that the process can exit). */
export async function withBoth<T>(body: (client: Client, pool: Tinypool) => Promise<T>): Promise<T> {
  const client = await startWeft()
  try {
    const pool = await startTinypool()
    try {
      return await body(client, pool)
    } finally {
      await pool.destroy()
    }
  } finally {
    await client.close()
  }
}
