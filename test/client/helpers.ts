/** Shared set-up for the client tests. */
import { mkdtempSync, readFileSync, existsSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import { Client, type ClientOptions } from "weft"

/** A client started once for the test file and closed after it. */
export function useClient(options: ClientOptions = { workers: 2 }): () => Client {
  let client: Client | undefined
  beforeAll(async () => {
    client = await Client.local(options)
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
