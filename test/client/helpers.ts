/** Shared set-up for the client tests. */
import { mkdtempSync, readFileSync, existsSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import { Client, type ClientOptions } from "weft"

/**
 * Where `useClient` gets clients with workers: `Client.local` by default; the cluster suite
 * (test/cluster/core-client-suite.test.ts) points it at `Client.connect` on a real cluster, so the
 * same behaviour tests run there unchanged.
 */
let connectClient: ((options: ClientOptions) => Promise<Client>) | undefined

/** Makes `useClient` connect through `connect` (for clients with workers) from now on in this process. */
export function useClientsFrom(connect: (options: ClientOptions) => Promise<Client>): void {
  connectClient = connect
}

/** A client started once for the test file and closed after it. */
export function useClient(options: ClientOptions = { workers: 2 }): () => Client {
  let client: Client | undefined
  beforeAll(async () => {
    client =
      connectClient !== undefined && options.workers !== 0 ? await connectClient(options) : await Client.local(options)
  })
  afterAll(async () => {
    await client?.close()
  })
  return () => {
    if (client === undefined) throw new Error("the client is not started yet")
    return client
  }
}

/** A fresh file path for a task to log its runs to. */
export function runLog(): string {
  return join(mkdtempSync(join(tmpdir(), "weft-test-")), "runs.log")
}

/** How many runs a task logged. */
export function runCount(log: string): number {
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").length - 1 : 0
}
